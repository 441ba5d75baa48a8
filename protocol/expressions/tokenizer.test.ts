import { describe, expect, it } from 'vitest';
import { ExpressionError } from './errors.ts';
import { runCases } from './test-cases.ts';
import { tokenize, tokenizeExpression } from './tokenizer.ts';

const kinds = (text: string) => tokenize({ text }).map((t) => `${t.type}:${t.value}`);

describe('tokenizer', () => {
  it('splits text, output blocks and tags into tokens', () => {
    expect(kinds('a {{ b.c }} {% if x %}')).toEqual([
      'text:a ',
      'print_open:{{',
      'name:b',
      'punct:.',
      'name:c',
      'print_close:}}',
      'text: ',
      'tag_open:{%',
      'name:if',
      'name:x',
      'tag_close:%}',
      'eof:',
    ]);
  });

  it('reads the longest operator first', () => {
    const values = tokenizeExpression({ text: 'a ??? b ?? c .. d <= e' }).map((t) => t.value);
    expect(values).toEqual(['a', '???', 'b', '??', 'c', '..', 'd', '<=', 'e', '']);
  });

  it('reads 1..3 as a range rather than a decimal number', () => {
    expect(tokenizeExpression({ text: '1..3' }).map((t) => t.value)).toEqual(['1', '..', '3', '']);
  });

  it('keeps the offset of every token for error positions', () => {
    const tokens = tokenize({ text: 'ab{{ x }}' });
    expect(tokens.find((t) => t.value === 'x')?.offset).toBe(5);
  });

  it('rejects a character that cannot start a token', () => {
    expect(() => tokenizeExpression({ text: 'a @ b' })).toThrow(ExpressionError);
    expect(() => tokenizeExpression({ text: 'a @ b' })).toThrow('Unexpected character "@"');
  });
});

describe('whitespace, comments and raw blocks', () => {
  runCases([
    { title: 'trims whitespace before {{-', template: 'a  \n {{- 1 }}', expected: 'a1' },
    { title: 'trims whitespace after -}}', template: '{{ 1 -}}  \n b', expected: '1b' },
    {
      title: 'trims both sides of {%- -%} tags',
      template: 'a \n{%- if true -%}\n x \n{%- endif -%}\n b',
      expected: 'axb',
    },
    {
      title: 'drops the first newline after a tag',
      template: '{% if true %}\nyes\n{% endif %}\nafter',
      expected: 'yes\nafter',
    },
    { title: 'keeps the newline after an output block', template: '{{ 1 }}\n{{ 2 }}', expected: '1\n2' },
    {
      title: 'renders a multi-line loop one line per item',
      template: '{% for x in [1, 2] %}\necho {{ x }}\n{% endfor %}\n',
      expected: 'echo 1\necho 2\n',
    },
    { title: 'trims whitespace around a comment with {#- -#}', template: 'a {#- note -#} b', expected: 'ab' },
    {
      title: 'keeps the inside of a raw block verbatim',
      template: '{% raw %}{{ not.parsed }} {% if %}{% endraw %}',
      expected: '{{ not.parsed }} {% if %}',
    },
    {
      title: 'accepts verbatim as a synonym of raw',
      template: '{% verbatim %}{{ x }}{% endverbatim %}',
      expected: '{{ x }}',
    },
    { title: 'reads }} inside a string as text', template: "{{ '}}' }}", expected: '}}' },
    { title: 'reads {{ inside a string as text', template: '{{ "{{ x }}" }}', expected: '{{ x }}' },
    { title: 'fails on an unclosed output block', template: 'a {{ b', error: 'Unclosed "{{"' },
    { title: 'fails on an unclosed comment', template: 'a {# b', error: 'Unclosed comment' },
    { title: 'fails on an unclosed string', template: "{{ 'abc }}", error: 'Unclosed string literal' },
    { title: 'fails on an unclosed raw block', template: '{% raw %}abc', error: 'Unclosed "raw" block' },
  ]);
});
