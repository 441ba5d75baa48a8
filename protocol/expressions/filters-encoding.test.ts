import { describe } from 'vitest';
import { runCases } from './test-cases.ts';

const context = {
  payload: { name: 'John', tags: ['a', 'b'], nested: { ok: true, none: null } },
  jsonText: '{"a": {"b": [1, 2]}}',
  yamlText: 'key1: value1\nkey2: [1, 2]\n',
};

describe('JSON and YAML filters', () => {
  runCases([
    {
      title: 'serializes a map with toJson',
      template: '{{ payload | toJson }}',
      context,
      expected: '{"name":"John","tags":["a","b"],"nested":{"ok":true,"none":null}}',
    },
    {
      title: 'serializes a string with toJson, quotes included',
      template: '{{ "foo" | toJson }}',
      expected: '"foo"',
    },
    {
      title: 'serializes booleans and lists with toJson',
      template: '{{ true | toJson }} {{ [1, 2, 3] | json }}',
      expected: 'true [1,2,3]',
    },
    {
      title: 'escapes newlines and quotes with toJson',
      template: "{{ {'message': m} | toJson }}",
      context: { m: 'line "1"\nline 2' },
      expected: '{"message":"line \\"1\\"\\nline 2"}',
    },
    {
      title: 'parses JSON text with fromJson',
      template: '{{ (jsonText | fromJson).a.b[1] }}',
      context,
      expected: '2',
    },
    {
      title: 'parses JSON text with jsonToObject',
      template: '{{ (jsonText | jsonToObject).a }}',
      context,
      expected: '{"b":[1,2]}',
    },
    {
      title: 'fails on invalid JSON',
      template: "{{ '{oops' | fromJson }}",
      error: "The filter 'fromJson' got invalid JSON",
    },
    {
      title: 'serializes to YAML with yaml',
      template: "{{ {'key': 'value', 'list': [1, 2]} | yaml }}",
      expected: 'key: value\nlist:\n  - 1\n  - 2\n',
    },
    {
      title: 'parses YAML text with fromYaml',
      template: '{{ (yamlText | fromYaml).key2 }}',
      context,
      expected: '[1,2]',
    },
    {
      title: 'indents YAML for a templated task',
      template: "{{ {'a': 1, 'b': 2} | yaml | indent(4) }}",
      expected: 'a: 1\n    b: 2\n',
    },
  ]);
});

describe('encoding filters', () => {
  runCases([
    { title: 'encodes base64', template: "{{ 'test' | base64encode }}", expected: 'dGVzdA==' },
    {
      title: 'decodes base64 into UTF-8',
      template: "{{ 'dGVzdA==' | base64decode }} {{ 'w7w=' | base64decode }}",
      expected: 'test ü',
    },
    {
      title: 'fails on invalid base64',
      template: "{{ 'not base64!' | base64decode }}",
      error: 'not valid base64',
    },
    {
      title: 'url-encodes as Java URLEncoder does',
      template: "{{ 'The string ü@foo-bar' | urlencode }}",
      expected: 'The+string+%C3%BC%40foo-bar',
    },
    {
      title: 'url-encodes characters JavaScript would leave alone',
      template: '{{ "a*b!c\'(d)~" | urlencode }}',
      expected: 'a*b%21c%27%28d%29%7E',
    },
    {
      title: 'url-decodes',
      template: "{{ 'The+string+%C3%BC%40foo-bar' | urldecode }}",
      expected: 'The string ü@foo-bar',
    },
    {
      title: 'hashes with sha256',
      template: "{{ 'test' | sha256 }}",
      expected: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    },
    {
      title: 'hashes with sha1 and md5',
      template: "{{ 'test' | sha1 }} {{ 'test' | md5 }}",
      expected: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3 098f6bcd4621d373cade4e832627b4f6',
    },
  ]);
});
