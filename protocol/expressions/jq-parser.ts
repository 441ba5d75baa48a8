// Parser for the subset of jq that the `jq` filter runs: paths, iteration, pipes, commas, arithmetic,
// comparisons, `and`/`or`/`//`, array and object construction, if/elif/else, `as $x`, reduce and builtin calls.
import { FailureKind, fail } from './errors.ts';
import { type JqNode, lexJq as lex, type JqToken as Tok } from './jq-syntax.ts';

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=']);

class JqParser {
  private pos = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly source: string,
  ) {}

  private peek(): Tok {
    return this.toks[this.pos]!;
  }
  private is(k: Tok['k'], v?: string): boolean {
    const t = this.peek();
    return t.k === k && (v === undefined || t.v === v);
  }
  private take(k: Tok['k'], v?: string): Tok {
    if (!this.is(k, v)) this.bad(`expected ${v ?? k} but found '${this.peek().v || 'end'}'`);
    return this.toks[this.pos++]!;
  }
  private accept(k: Tok['k'], v: string): boolean {
    if (!this.is(k, v)) return false;
    this.pos++;
    return true;
  }
  bad(reason: string): never {
    return fail(FailureKind.SYNTAX, `jq expression '${this.source}': ${reason}`);
  }

  parseAll(): JqNode {
    const node = this.pipe();
    this.take('end');
    return node;
  }

  pipe(): JqNode {
    const left = this.comma();
    return this.accept('op', '|') ? { t: 'pipe', left, right: this.pipe() } : left;
  }

  private comma(): JqNode {
    let left = this.alt();
    while (this.accept('op', ',')) left = { t: 'comma', left, right: this.alt() };
    return left;
  }

  private alt(): JqNode {
    const left = this.or();
    return this.accept('op', '//') ? { t: 'alt', left, right: this.alt() } : left;
  }

  private or(): JqNode {
    let left = this.and();
    while (this.accept('ident', 'or')) left = { t: 'or', left, right: this.and() };
    return left;
  }

  private and(): JqNode {
    let left = this.compare();
    while (this.accept('ident', 'and')) left = { t: 'and', left, right: this.compare() };
    return left;
  }

  private compare(): JqNode {
    const left = this.additive();
    const t = this.peek();
    if (t.k === 'op' && COMPARISONS.has(t.v)) {
      this.pos++;
      return { t: 'binary', op: t.v, left, right: this.additive() };
    }
    return left;
  }

  private additive(): JqNode {
    let left = this.multiplicative();
    while (this.is('op', '+') || this.is('op', '-')) {
      const op = this.take('op').v;
      left = { t: 'binary', op, left, right: this.multiplicative() };
    }
    return left;
  }

  private multiplicative(): JqNode {
    let left = this.unary();
    while (this.is('op', '*') || this.is('op', '/') || this.is('op', '%')) {
      const op = this.take('op').v;
      left = { t: 'binary', op, left, right: this.unary() };
    }
    return left;
  }

  private unary(): JqNode {
    if (this.accept('op', '-')) return { t: 'neg', body: this.unary() };
    const term = this.postfix(this.primary());
    if (this.accept('ident', 'as')) {
      const name = this.take('var').v;
      this.take('op', '|');
      return { t: 'bind', source: term, name, body: this.pipe() };
    }
    return term;
  }

  private postfix(start: JqNode): JqNode {
    let node = start;
    for (;;) {
      if (this.is('field')) node = { t: 'field', target: node, name: this.take('field').v };
      else if (this.is('op', '.') && this.toks[this.pos + 1]?.k === 'str') {
        this.pos++;
        node = { t: 'field', target: node, name: this.take('str').v };
      } else if (this.is('op', '[') || (this.is('op', '.') && this.toks[this.pos + 1]?.v === '[')) {
        if (this.is('op', '.')) this.pos++;
        node = this.bracket(node);
      } else if (this.accept('op', '?')) node = { t: 'optional', body: node };
      else return node;
    }
  }

  private bracket(target: JqNode): JqNode {
    this.take('op', '[');
    if (this.accept('op', ']')) return { t: 'iterate', target };
    const from = this.is('op', ':') ? undefined : this.pipe();
    if (this.accept('op', ':')) {
      const to = this.is('op', ']') ? undefined : this.pipe();
      this.take('op', ']');
      return { t: 'slice', target, from, to };
    }
    this.take('op', ']');
    return { t: 'index', target, index: from! };
  }

  private primary(): JqNode {
    const t = this.peek();
    if (t.k === 'field') return { t: 'identity' };
    if (t.k === 'ident') return this.identifier();
    this.pos++;
    if (t.k === 'num') return { t: 'literal', value: Number(t.v) };
    if (t.k === 'str') return { t: 'literal', value: t.v };
    if (t.k === 'var') return { t: 'var', name: t.v };
    if (t.k === 'op') {
      if (t.v === '..') return { t: 'recurse' };
      if (t.v === '.') {
        if (this.is('str')) return { t: 'field', target: { t: 'identity' }, name: this.take('str').v };
        if (this.is('op', '[')) return this.bracket({ t: 'identity' });
        return { t: 'identity' };
      }
      if (t.v === '(') {
        const inner = this.pipe();
        this.take('op', ')');
        return inner;
      }
      if (t.v === '[') {
        if (this.accept('op', ']')) return { t: 'array', body: undefined };
        const body = this.pipe();
        this.take('op', ']');
        return { t: 'array', body };
      }
      if (t.v === '{') return this.object();
    }
    return this.bad(`unexpected '${t.v || 'end'}'`);
  }

  /** `{a, "b": 1, (expr): v, $x}` after the opening brace. */
  private object(): JqNode {
    const entries: Array<{ key: JqNode; value: JqNode }> = [];
    while (!this.is('op', '}')) {
      const t = this.peek();
      let key: JqNode;
      if (t.k === 'ident' || t.k === 'str' || t.k === 'var') {
        this.pos++;
        key = { t: 'literal', value: t.v };
      } else if (this.accept('op', '(')) {
        key = this.pipe();
        this.take('op', ')');
      } else {
        return this.bad(`unexpected '${t.v}' in an object`);
      }
      const value: JqNode = this.accept('op', ':')
        ? this.alt()
        : t.k === 'var'
          ? { t: 'var', name: t.v }
          : { t: 'field', target: { t: 'identity' }, name: t.v };
      entries.push({ key, value });
      if (!this.accept('op', ',')) break;
    }
    this.take('op', '}');
    return { t: 'object', entries };
  }

  private identifier(): JqNode {
    const name = this.take('ident').v;
    if (name === 'true' || name === 'false') return { t: 'literal', value: name === 'true' };
    if (name === 'null') return { t: 'literal', value: null };
    if (name === 'if') return this.conditional();
    if (name === 'reduce') {
      const source = this.postfix(this.primary());
      this.take('ident', 'as');
      const varName = this.take('var').v;
      this.take('op', '(');
      const init = this.pipe();
      this.take('op', ';');
      const update = this.pipe();
      this.take('op', ')');
      return { t: 'reduce', source, name: varName, init, update };
    }
    const args: JqNode[] = [];
    if (this.accept('op', '(')) {
      do args.push(this.pipe());
      while (this.accept('op', ';'));
      this.take('op', ')');
    }
    return { t: 'call', name, args };
  }

  private conditional(): JqNode {
    const branches: Array<{ cond: JqNode; body: JqNode }> = [];
    do {
      const cond = this.pipe();
      this.take('ident', 'then');
      branches.push({ cond, body: this.pipe() });
    } while (this.accept('ident', 'elif'));
    const otherwise = this.accept('ident', 'else') ? this.pipe() : undefined;
    this.take('ident', 'end');
    return { t: 'if', branches, otherwise };
  }
}

const cache = new Map<string, JqNode>();

export function parseJq(source: string): JqNode {
  let node = cache.get(source);
  if (!node) {
    node = new JqParser(lex(source), source).parseAll();
    if (cache.size > 200) cache.clear();
    cache.set(source, node);
  }
  return node;
}
