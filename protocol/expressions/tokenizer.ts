// Splits a template into text and the tokens of its `{{ }}` and `{% %}` blocks, applying comments, raw blocks,
// whitespace control (`{{-`, `-%}`) and Pebble's trimming of the first newline after a tag.
import { expressionError, FailureKind, type Source } from './errors.ts';

export type TokenType =
  | 'text'
  | 'print_open'
  | 'print_close'
  | 'tag_open'
  | 'tag_close'
  | 'name'
  | 'number'
  | 'string'
  | 'punct'
  | 'eof';

/** A piece of a double-quoted string: literal text, or the tokens of a `#{ }` interpolation. */
export type StringPart = { text: string } | { tokens: Token[] };

export interface Token {
  type: TokenType;
  value: string;
  offset: number;
  /** set on double-quoted strings that contain `#{ }` */
  parts?: StringPart[];
}

/** longest first, so that `???` wins over `??` and `..` over `.` */
const PUNCTUATION = '??? ?? .. == != <= >= < > + - * / % ~ | ? : , . ( ) [ ] { } ='.split(' ');
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[lL]?/y;
const RAW_OPEN = /\{%(-?)\s*(raw|verbatim)\s*(-?)%\}/y;
const RAW_CLOSE = /\{%(-?)\s*end(?:raw|verbatim)\s*(-?)%\}/g;
const ESCAPES = new Map([
  ['n', '\n'],
  ['t', '\t'],
  ['r', '\r'],
  ['b', '\b'],
  ['f', '\f'],
  ['\\', '\\'],
  ["'", "'"],
  ['"', '"'],
]);
const OPENER = /\{[{%#]/g;

class Lexer {
  private pos = 0;
  private readonly tokens: Token[] = [];
  /** whitespace control for the next text token: 'all' after `-}}`, 'newline' after `%}` */
  private trimNext: 'none' | 'all' | 'newline' = 'none';

  constructor(private readonly source: Source) {}

  private get text(): string {
    return this.source.text;
  }

  run(): Token[] {
    const text = this.text;
    while (this.pos < text.length) {
      OPENER.lastIndex = this.pos;
      const opener = OPENER.exec(text);
      if (!opener) {
        this.pushText(text.slice(this.pos));
        break;
      }
      const at = opener.index;
      if (at > this.pos) this.pushText(text.slice(this.pos, at));
      this.pos = at;
      const trimBefore = text[at + 2] === '-';
      if (trimBefore) this.trimPreviousText();
      const kind = text[at + 1];
      if (kind === '#') this.lexComment();
      else if (kind === '{') this.lexBlock('print_open', 'print_close', trimBefore);
      else if (!this.lexRaw()) this.lexBlock('tag_open', 'tag_close', trimBefore);
    }
    this.tokens.push({ type: 'eof', value: '', offset: text.length });
    return this.tokens;
  }

  runExpression(): Token[] {
    this.lexCode(() => false);
    this.tokens.push({ type: 'eof', value: '', offset: this.text.length });
    return this.tokens;
  }

  private error(offset: number, reason: string): never {
    throw expressionError(this.source, offset, FailureKind.SYNTAX, reason);
  }

  private pushText(value: string): void {
    let text = value;
    if (this.trimNext === 'all') text = text.replace(/^\s+/, '');
    else if (this.trimNext === 'newline') text = text.replace(/^\r?\n/, '');
    this.trimNext = 'none';
    if (text.length > 0) this.tokens.push({ type: 'text', value: text, offset: this.pos });
  }

  private trimPreviousText(): void {
    const last = this.tokens.at(-1);
    if (last?.type !== 'text') return;
    last.value = last.value.replace(/\s+$/, '');
    if (last.value === '') this.tokens.pop();
  }

  private lexComment(): void {
    const start = this.pos;
    const end = this.text.indexOf('#}', start + 2);
    if (end === -1) this.error(start, 'Unclosed comment: expected "#}"');
    this.trimNext = this.text[end - 1] === '-' && end - 1 > start + 2 ? 'all' : 'none';
    this.pos = end + 2;
  }

  /** `{% raw %}...{% endraw %}` becomes one text token; returns false when the tag is not raw. */
  private lexRaw(): boolean {
    RAW_OPEN.lastIndex = this.pos;
    const open = RAW_OPEN.exec(this.text);
    if (!open) return false;
    RAW_CLOSE.lastIndex = RAW_OPEN.lastIndex;
    const close = RAW_CLOSE.exec(this.text);
    if (!close) this.error(this.pos, `Unclosed "${open[2]}" block: expected "{% end${open[2]} %}"`);
    let content = this.text.slice(RAW_OPEN.lastIndex, close.index);
    content = open[3] === '-' ? content.replace(/^\s+/, '') : content.replace(/^\r?\n/, '');
    if (close[1] === '-') content = content.replace(/\s+$/, '');
    this.trimNext = 'none';
    if (content.length > 0) this.tokens.push({ type: 'text', value: content, offset: RAW_OPEN.lastIndex });
    this.pos = close.index + close[0].length;
    this.trimNext = close[2] === '-' ? 'all' : 'newline';
    return true;
  }

  private lexBlock(openType: TokenType, closeType: TokenType, trimBefore: boolean): void {
    const start = this.pos;
    this.tokens.push({ type: openType, value: this.text.slice(start, start + 2), offset: start });
    this.pos += trimBefore ? 3 : 2;
    const closer = openType === 'print_open' ? '}}' : '%}';
    const found = this.lexCode((depth) => {
      if (depth > 0) return false;
      if (this.text.startsWith(closer, this.pos)) return true;
      return this.text[this.pos] === '-' && this.text.startsWith(closer, this.pos + 1);
    });
    if (!found) this.error(start, `Unclosed "${this.text.slice(start, start + 2)}": expected "${closer}"`);
    const trimAfter = this.text[this.pos] === '-';
    this.tokens.push({ type: closeType, value: closer, offset: this.pos });
    this.pos += trimAfter ? 3 : 2;
    this.trimNext = trimAfter ? 'all' : openType === 'tag_open' ? 'newline' : 'none';
  }

  /** Lexes code tokens until `atEnd(depth)` says stop (depth counts open `{` of map literals); false at end of input. */
  private lexCode(atEnd: (depth: number) => boolean, into: Token[] = this.tokens): boolean {
    const text = this.text;
    let depth = 0;
    while (this.pos < text.length) {
      const ch = text[this.pos]!;
      if (/\s/.test(ch)) {
        this.pos++;
        continue;
      }
      if (atEnd(depth)) return true;
      const offset = this.pos;
      if (ch === "'" || ch === '"') {
        into.push(this.lexString(ch));
        continue;
      }
      NAME.lastIndex = offset;
      const name = NAME.exec(text);
      if (name) {
        into.push({ type: 'name', value: name[0], offset });
        this.pos = NAME.lastIndex;
        continue;
      }
      NUMBER.lastIndex = offset;
      const number = NUMBER.exec(text);
      if (number) {
        into.push({ type: 'number', value: number[0].replace(/[lL]$/, ''), offset });
        this.pos = NUMBER.lastIndex;
        continue;
      }
      const punct = PUNCTUATION.find((p) => text.startsWith(p, offset));
      if (!punct) this.error(offset, `Unexpected character "${ch}"`);
      if (punct === '{') depth++;
      if (punct === '}') depth--;
      into.push({ type: 'punct', value: punct, offset });
      this.pos += punct.length;
    }
    return false;
  }

  private lexString(quote: string): Token {
    const text = this.text;
    const offset = this.pos;
    const parts: StringPart[] = [];
    let current = '';
    this.pos++;
    while (this.pos < text.length) {
      const ch = text[this.pos]!;
      if (ch === quote) {
        this.pos++;
        if (parts.length === 0) return { type: 'string', value: current, offset };
        if (current) parts.push({ text: current });
        return { type: 'string', value: '', offset, parts };
      }
      if (ch === '\\' && this.pos + 1 < text.length) {
        const next = text[this.pos + 1]!;
        current += ESCAPES.get(next) ?? `\\${next}`;
        this.pos += 2;
      } else if (quote === '"' && ch === '#' && text[this.pos + 1] === '{') {
        if (current) parts.push({ text: current });
        current = '';
        const start = this.pos;
        this.pos += 2;
        const tokens: Token[] = [];
        const closed = this.lexCode((depth) => depth === 0 && text[this.pos] === '}', tokens);
        if (!closed) this.error(start, 'Unclosed "#{" in string');
        tokens.push({ type: 'eof', value: '', offset: this.pos });
        parts.push({ tokens });
        this.pos++;
      } else {
        current += ch;
        this.pos++;
      }
    }
    return this.error(offset, 'Unclosed string literal');
  }
}

export function tokenize(source: Source): Token[] {
  return new Lexer(source).run();
}

/** Tokens of a bare expression (no braces), ending with eof. */
export function tokenizeExpression(source: Source): Token[] {
  return new Lexer(source).runExpression();
}
