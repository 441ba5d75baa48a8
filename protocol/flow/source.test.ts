// Reading a flow's source safely: YAML errors with line and column, size and alias limits, one mapping.
import { describe, expect, it } from 'vitest';
import { RoostError } from '../errors.ts';
import { DEFAULT_MAX_FLOW_BYTES, parseFlow, validateFlowSource } from './index.ts';

const minimal = [
  'id: hello',
  'namespace: company.team',
  'tasks:',
  '  - id: log',
  '    type: io.kestra.plugin.core.log.Log',
  '    message: hi',
];

function thrownBy(action: () => unknown): RoostError {
  try {
    action();
  } catch (error) {
    if (error instanceof RoostError) return error;
    throw error;
  }
  throw new Error('expected a RoostError');
}

describe('flow source', () => {
  it('parses a minimal flow', () => {
    const flow = parseFlow(minimal.join('\n'));
    expect(flow).toMatchObject({
      id: 'hello',
      namespace: 'company.team',
      tasks: [{ id: 'log', message: 'hi' }],
    });
  });

  it('names the line and column of a YAML syntax error', () => {
    const source = [
      'id: hello',
      'namespace: company.team',
      'tasks:',
      '  - id: log',
      '    message: [unclosed',
      'x: 1',
    ].join('\n');
    const error = thrownBy(() => parseFlow(source));
    expect(error.code).toBe('ROOST_FLOW_YAML');
    expect(error.message).toMatch(/^invalid YAML at line \d+, column \d+: /);
    const [issue] = validateFlowSource(source).errors;
    expect(issue?.line).toBeGreaterThanOrEqual(5);
    expect(issue?.column).toBeGreaterThan(0);
  });

  it('names a duplicate key and where it is', () => {
    const source = [...minimal, 'namespace: other'].join('\n');
    const error = thrownBy(() => parseFlow(source));
    expect(error.code).toBe('ROOST_FLOW_YAML');
    expect(error.message).toBe("invalid YAML at line 7, column 1: duplicate key 'namespace'");
  });

  it('refuses an alias bomb', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 8; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    const source = [...minimal, 'variables:', ...levels.map((line) => `  ${line}`)].join('\n');
    const error = thrownBy(() => parseFlow(source));
    expect(error.code).toBe('ROOST_FLOW_YAML');
    expect(error.message).toContain('alias count');
  });

  it('accepts a few aliases and merge keys', () => {
    const source = [
      'id: anchors',
      'namespace: company.team',
      'variables:',
      '  base: &base { level: INFO }',
      'tasks:',
      '  - <<: *base',
      '    id: log',
      '    type: io.kestra.plugin.core.log.Log',
      '    message: hi',
    ].join('\n');
    expect(parseFlow(source).tasks[0]).toMatchObject({ id: 'log', level: 'INFO' });
  });

  it('refuses a source over the size limit, 1 MiB by default', () => {
    const padding = `# ${'x'.repeat(DEFAULT_MAX_FLOW_BYTES)}`;
    const error = thrownBy(() => parseFlow([...minimal, padding].join('\n')));
    expect(error.code).toBe('ROOST_PAYLOAD_TOO_LARGE');
    expect(error.message).toMatch(/over the limit of 1048576 bytes/);
    expect(thrownBy(() => parseFlow(minimal.join('\n'), { maxBytes: 64 })).code).toBe(
      'ROOST_PAYLOAD_TOO_LARGE',
    );
  });

  it.each([
    ['an empty source', '', 'ROOST_FLOW_INVALID', 'flow source is empty'],
    ['only comments', '# nothing here\n', 'ROOST_FLOW_INVALID', 'flow source is empty'],
    ['a list', '- id: a\n- id: b\n', 'ROOST_FLOW_INVALID', 'flow source is a list'],
    ['a scalar', 'just text\n', 'ROOST_FLOW_INVALID', 'flow source is a single value'],
    [
      'two documents',
      `${minimal.join('\n')}\n---\n${minimal.join('\n')}\n`,
      'ROOST_FLOW_YAML',
      'several YAML documents',
    ],
  ])('refuses %s: a flow is one mapping', (_what, source, code, message) => {
    const { flow, errors } = validateFlowSource(source);
    expect(flow).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code });
    expect(errors[0]?.message).toContain(message);
  });

  it('reports every problem, in document order, and throws the first with all of them attached', () => {
    const source = [
      'id: bad id',
      'namespace: company.team',
      'tasks:',
      '  - id: log',
      '    type: io.kestra.plugin.core.log.Log',
    ].join('\n');
    const { errors } = validateFlowSource(source);
    expect(errors.map((error) => error.path)).toEqual(['id', 'tasks[0].message']);
    expect(errors[0]).toMatchObject({ code: 'ROOST_FLOW_INVALID', line: 1, column: 1 });
    expect(errors[1]?.message).toBe('tasks[0].message: required property is missing (line 4, column 5)');
    const error = thrownBy(() => parseFlow(source));
    expect(error.message).toBe(errors[0]?.message);
    expect(error.details).toEqual({ issues: errors });
  });

  it.each([
    'tasks: {a: 1}',
    'tasks: [[1], 1, null]',
    'inputs: 5\ntriggers: [1, {type: 5}]\ntasks: []',
    'pluginDefaults: 7\ntaskDefaults: [1]\nlabels: [1, {key: 2}]\ntasks: [{id: a}]',
    'tasks: [{id: d, type: io.kestra.plugin.core.flow.Dag, tasks: [{task: 5}, 7, {task: {id: b}, dependsOn: 5}]}]',
    'tasks: [{id: s, type: io.kestra.plugin.core.flow.Switch, value: x, cases: {a: 5}}]',
    'triggers: [{id: t, type: io.kestra.plugin.core.trigger.Flow, conditions: [5, {type: io.kestra.plugin.core.condition.MultipleCondition, id: m, conditions: {a: 3}}]}]\ntasks: []',
  ])('reports a malformed document as problems, never as a crash: %s', (body) => {
    const { flow, errors } = validateFlowSource(`id: f\nnamespace: company.team\n${body}`, {
      allowPlanned: true,
    });
    expect(flow).toBeUndefined();
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error.code).not.toBe('ROOST_INTERNAL');
      expect(error.line).toBeGreaterThan(0);
    }
  });
});
