// A cursor over tokens, shared by the expression parser and the template parser, with syntax-error helpers.
import { expressionError, FailureKind, type Source } from './errors.ts';
import type { Token } from './tokenizer.ts';

/** A cursor over tokens, shared by the expression parser and the template parser. */
export class TokenStream {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    readonly source: Source,
  ) {}

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)]!;
  }

  next(): Token {
    const token = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return token;
  }

  isPunct(value: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.type === 'punct' && token.value === value;
  }

  isName(value: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.type === 'name' && token.value === value;
  }

  acceptPunct(value: string): boolean {
    if (!this.isPunct(value)) return false;
    this.next();
    return true;
  }

  expectPunct(value: string): Token {
    if (!this.isPunct(value)) this.unexpected(`expected "${value}"`);
    return this.next();
  }

  expectName(what = 'a name'): Token {
    if (this.peek().type !== 'name') this.unexpected(`expected ${what}`);
    return this.next();
  }

  expectType(type: Token['type'], what: string): Token {
    if (this.peek().type !== type) this.unexpected(`expected ${what}`);
    return this.next();
  }

  unexpected(expectation: string): never {
    const token = this.peek();
    const found = token.type === 'eof' ? 'end of input' : describeToken(token);
    return this.error(token.offset, `Unexpected ${found}: ${expectation}`);
  }

  error(offset: number, reason: string): never {
    throw expressionError(this.source, offset, FailureKind.SYNTAX, reason);
  }
}

export function describeToken(token: Token): string {
  if (token.type === 'print_close' || token.type === 'tag_close') return `"${token.value}"`;
  if (token.type === 'string') return 'string';
  return `"${token.value}"`;
}
