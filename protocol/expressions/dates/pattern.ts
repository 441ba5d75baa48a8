// Reads a Java DateTimeFormatter pattern (`yyyy-MM-dd'T'HH:mm`) into letter runs and literal text.
import { FailureKind, fail } from '../errors.ts';

export type PatternPart = { letter: string; count: number } | { literal: string };

const LETTERS = new Set('GuyDMLdQqYwWEecFaBhKkHmsSAnNVvzOXxZ'.split(''));
const cache = new Map<string, PatternPart[]>();

export function parsePattern(pattern: string): PatternPart[] {
  const cached = cache.get(pattern);
  if (cached) return cached;
  const parts: PatternPart[] = [];
  const literal = (text: string): void => {
    const last = parts.at(-1);
    if (last && 'literal' in last) last.literal += text;
    else parts.push({ literal: text });
  };
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch === "'") {
      if (pattern[i + 1] === "'") {
        literal("'");
        i += 2;
        continue;
      }
      let text = '';
      i++;
      for (;;) {
        if (i >= pattern.length) fail(FailureKind.TYPE, `Date pattern '${pattern}' has an unclosed quote`);
        if (pattern[i] === "'") {
          if (pattern[i + 1] === "'") {
            text += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += pattern[i];
        i++;
      }
      literal(text);
    } else if (/[A-Za-z]/.test(ch)) {
      if (!LETTERS.has(ch))
        fail(FailureKind.TYPE, `Date pattern '${pattern}' uses the unknown letter '${ch}'`);
      let count = 1;
      while (pattern[i + count] === ch) count++;
      parts.push({ letter: ch, count });
      i += count;
    } else if (ch === '[' || ch === ']') {
      i++;
    } else if (ch === '{' || ch === '}' || ch === '#') {
      fail(FailureKind.TYPE, `Date pattern '${pattern}' uses the reserved character '${ch}'`);
    } else {
      literal(ch);
      i++;
    }
  }
  if (cache.size > 500) cache.clear();
  cache.set(pattern, parts);
  return parts;
}
