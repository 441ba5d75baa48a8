// Executes a parsed template: text and `{{ }}` output into a size-bounded buffer, `if`, `for` (with `loop`),
// `set`, `{% filter %}` blocks, and the nested rendering behind render().
import type { Node } from './ast.ts';
import { bindArgs } from './callables.ts';
import { Failure, FailureKind, fail, positioned } from './errors.ts';
import { evaluateExpr } from './evaluate.ts';
import { Evaluation } from './evaluation.ts';
import { FILTERS } from './filters/index.ts';
import { MAX_RENDER_DEPTH } from './options.ts';
import { parseTemplate } from './template-parser.ts';
import { aTypeName, buildMap, isList, isMap, isTruthy, mapEntries, toText } from './values.ts';

class Output {
  private readonly parts: string[] = [];
  private length = 0;
  constructor(private readonly limit: number) {}

  append(text: string): void {
    this.length += text.length;
    if (this.length > this.limit)
      fail(FailureKind.BUDGET, `The rendered output is over its limit of ${this.limit} characters`);
    this.parts.push(text);
  }

  toString(): string {
    return this.parts.join('');
  }
}

export function renderTemplate(ev: Evaluation, nodes: Node[]): string {
  const out = new Output(ev.options.maxOutputLength);
  renderNodes(ev, nodes, out);
  return out.toString();
}

function renderNodes(ev: Evaluation, nodes: Node[], out: Output): void {
  for (const node of nodes) {
    try {
      renderNode(ev, node, out);
    } catch (error) {
      throw positioned(ev.source, node.offset, error);
    }
  }
}

function renderNode(ev: Evaluation, node: Node, out: Output): void {
  switch (node.kind) {
    case 'text':
      ev.step();
      out.append(node.text);
      return;
    case 'print':
      out.append(toText(evaluateExpr(ev, node.expr)));
      return;
    case 'if': {
      const branch = node.branches.find((b) => isTruthy(evaluateExpr(ev, b.test)));
      renderNodes(ev, branch ? branch.body : node.otherwise, out);
      return;
    }
    case 'for':
      renderFor(ev, node, out);
      return;
    case 'set':
      ev.assign(node.name, evaluateExpr(ev, node.value));
      return;
    case 'filterBlock': {
      let value: unknown = renderTemplate(ev, node.body);
      for (const { name, args, offset } of node.filters) {
        const filter = FILTERS.get(name);
        if (!filter)
          throw positioned(ev.source, offset, new Failure(FailureKind.SYNTAX, `Unknown filter '${name}'`));
        const positional = args.positional.map((arg) => evaluateExpr(ev, arg));
        const named = args.named.map((arg) => ({ name: arg.name, value: evaluateExpr(ev, arg.value) }));
        value = filter.apply(
          value,
          bindArgs(filter.params, positional, named, `The filter '${name}'`),
          ev.callContext(),
        );
        ev.checkSize(value);
      }
      out.append(toText(value));
      return;
    }
  }
}

function renderFor(ev: Evaluation, node: Extract<Node, { kind: 'for' }>, out: Output): void {
  const iterable = evaluateExpr(ev, node.iterable);
  const pairs = iterationPairs(iterable, node.names.length);
  if (pairs.length === 0) {
    renderNodes(ev, node.otherwise, out);
    return;
  }
  ev.pushScope();
  try {
    const length = pairs.length;
    pairs.forEach(([first, second], index) => {
      ev.step();
      ev.define('loop', {
        index,
        revindex: length - index - 1,
        first: index === 0,
        last: index === length - 1,
        length,
      });
      ev.define(node.names[0]!, first);
      if (node.names[1] !== undefined) ev.define(node.names[1], second);
      renderNodes(ev, node.body, out);
    });
  } finally {
    ev.popScope();
  }
}

/** What one loop iteration binds: an item (and its index), or a map entry (or its key and value). */
function iterationPairs(iterable: unknown, names: number): Array<[unknown, unknown]> {
  if (iterable === null || iterable === undefined) return [];
  if (isList(iterable)) {
    return iterable.map((item, index) => (names === 2 ? [index, item] : [item, undefined]));
  }
  if (isMap(iterable)) {
    return mapEntries(iterable).map(([key, value]) =>
      names === 2
        ? [key, value]
        : [
            buildMap([
              ['key', key],
              ['value', value],
            ]),
            undefined,
          ],
    );
  }
  return fail(FailureKind.TYPE, `Cannot loop over ${aTypeName(iterable)}; "for" needs a list or a map`);
}

/** render(): renders `template` with the caller's variables and budget; `recursive` repeats while it changes. */
export function renderNested(parent: Evaluation, template: string, recursive: boolean): string {
  let current = template;
  for (let depth = parent.depth + 1; ; depth++) {
    if (depth > MAX_RENDER_DEPTH) {
      fail(FailureKind.BUDGET, `render() nested more than ${MAX_RENDER_DEPTH} levels deep`);
    }
    const where = `${parent.source.where ? `${parent.source.where}, ` : ''}inside render()`;
    const source = { text: current, where };
    const child = new Evaluation({
      source,
      context: parent.context,
      options: parent.options,
      renderNested,
      budget: parent.budget,
      depth,
      locals: parent.locals(),
    });
    const rendered = renderTemplate(child, parseTemplate(source));
    if (!recursive || rendered === current || !/\{\{|\{%/.test(rendered)) return rendered;
    current = rendered;
  }
}
