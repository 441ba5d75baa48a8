// Validating a flow: types known or not, ids, labels, expressions in typed properties, old names, and
// the ways to read a parsed flow (walkTasks, flowLabels).
import { describe, expect, it } from 'vitest';
import { flowLabels, parseFlow, validateFlowSource, walkTasks } from './index.ts';

const LOG = 'io.kestra.plugin.core.log.Log';
const flow = (...lines: string[]) => ['id: f', 'namespace: company.team', ...lines].join('\n');
const messages = (source: string, allowPlanned = false) =>
  validateFlowSource(source, { allowPlanned }).errors.map((error) => `${error.code} ${error.message}`);

describe('task types', () => {
  it('names an unknown type and where it is', () => {
    const source = flow('tasks:', '  - id: x', '    type: x.y.Z');
    expect(messages(source)).toEqual([
      "ROOST_FLOW_UNKNOWN_TYPE unknown task type 'x.y.Z' at tasks[0] (line 5, column 5)",
    ]);
  });

  it('refuses a type Roost does not run yet, unless planned types are allowed', () => {
    const source = flow(
      'tasks:',
      '  - id: log',
      `    type: ${LOG}`,
      '    message: hi',
      '  - id: each',
      '    type: io.kestra.plugin.core.flow.ForEachItem',
      '    items: x',
      '    namespace: n',
      '    flowId: f',
    );
    expect(messages(source)).toEqual([
      "ROOST_FLOW_UNKNOWN_TYPE task type 'io.kestra.plugin.core.flow.ForEachItem' at tasks[1] is not supported by Roost yet (line 8, column 5)",
    ]);
    expect(messages(source, true)).toEqual([]);
  });

  it('accepts the old name of a type and says which one it became', () => {
    expect(
      messages(flow('tasks:', '  - id: log', '    type: io.kestra.core.tasks.log.Log', '    message: hi')),
    ).toEqual([]);
    const planned = flow('tasks:', '  - id: fetch', '    type: io.kestra.core.tasks.log.Fetch');
    expect(messages(planned)[0]).toContain(
      "task type 'io.kestra.core.tasks.log.Fetch' (now io.kestra.plugin.core.log.Fetch)",
    );
  });

  it('refuses a trigger used as a task, and a task used as a trigger', () => {
    const source = flow(
      'tasks:',
      '  - id: t',
      '    type: io.kestra.plugin.core.trigger.Schedule',
      '    cron: "* * * * *"',
      'triggers:',
      '  - id: log',
      `    type: ${LOG}`,
    );
    expect(messages(source, true)).toEqual([
      "ROOST_FLOW_INVALID 'io.kestra.plugin.core.trigger.Schedule' at tasks[0] is a trigger type, not a task (line 5, column 5)",
      `ROOST_FLOW_INVALID '${LOG}' at triggers[0] is a task type, not a trigger (line 9, column 5)`,
    ]);
  });

  it('names both places of a duplicate task id, nested, in errors and in finally', () => {
    const source = flow(
      'tasks:',
      '  - id: seq',
      '    type: io.kestra.plugin.core.flow.Sequential',
      '    tasks:',
      '      - id: a',
      `        type: ${LOG}`,
      '        message: one',
      'finally:',
      '  - id: a',
      `    type: ${LOG}`,
      '    message: two',
    );
    expect(messages(source)).toEqual([
      "ROOST_FLOW_DUPLICATE_ID duplicate task id 'a' at finally[0] (line 11, column 5), first used at tasks[0].tasks[0] (line 7, column 9)",
    ]);
  });

  it('explains a property of the wrong type with its path', () => {
    const source = flow(
      'tasks:',
      '  - id: r',
      '    type: io.kestra.plugin.core.debug.Return',
      '    format: [a]',
      '    retry:',
      '      type: constant',
      '    timeout: one hour',
    );
    expect(messages(source)).toEqual([
      'ROOST_FLOW_INVALID tasks[0].format: expected a string, got a list (line 6, column 5)',
      'ROOST_FLOW_INVALID tasks[0].retry.interval: required property is missing (line 7, column 5)',
      'ROOST_FLOW_INVALID tasks[0].timeout: expected an ISO-8601 duration such as PT30S or P1D or an expression "{{ ... }}", got "one hour" (line 9, column 5)',
    ]);
  });

  it('accepts expressions where Kestra renders the property, and only there', () => {
    const forEach = (limit: string, values: string) =>
      flow(
        'tasks:',
        '  - id: each',
        '    type: io.kestra.plugin.core.flow.ForEach',
        `    concurrencyLimit: ${limit}`,
        `    values: ${values}`,
        '    tasks:',
        '      - id: log',
        `        type: ${LOG}`,
        '        message: "{{ taskrun.value }}"',
      );
    expect(messages(forEach('"{{ inputs.limit }}"', '"{{ inputs.list }}"'), true)).toEqual([]);
    expect(messages(forEach('2', '[a, b]'), true)).toEqual([]);
    expect(messages(forEach('lots', '[a]'), true)).toEqual([
      'ROOST_FLOW_INVALID tasks[0].concurrencyLimit: expected an integer ≥ 0 or an expression "{{ ... }}", got "lots" (line 6, column 5)',
    ]);
  });

  it('treats a property set to null as absent, as Kestra does', () => {
    const source = flow(
      'tasks:',
      '  - id: s',
      '    type: io.kestra.plugin.core.flow.Switch',
      '    value: x',
      '    cases:',
      '      x:',
      '        - id: log',
      `          type: ${LOG}`,
      '          message: hi',
      '    defaults: null',
      'errors: null',
    );
    const parsed = parseFlow(source, { allowPlanned: true });
    expect(parsed.tasks[0]).not.toHaveProperty('defaults');
    expect(parsed).not.toHaveProperty('errors');
  });
});

describe('flow properties', () => {
  const task = ['tasks:', '  - id: log', `    type: ${LOG}`, '    message: hi'];

  it('reads labels as a map or as a list of key and value', () => {
    const asMap = parseFlow(flow('labels:', '  team: data', '  tier: 1', ...task));
    const asList = parseFlow(
      flow('labels:', '  - key: team', '    value: data', '  - key: tier', '    value: "1"', ...task),
    );
    const expected = [
      { key: 'team', value: 'data' },
      { key: 'tier', value: '1' },
    ];
    expect(flowLabels(asMap)).toEqual(expected);
    expect(flowLabels(asList)).toEqual(expected);
    expect(messages(flow('labels:', '  - key: team', ...task))).toEqual([
      'ROOST_FLOW_INVALID labels[0].value: required property is missing (line 4, column 5)',
    ]);
  });

  it('refuses system labels, in either form, except system.readOnly', () => {
    expect(messages(flow('labels:', '  system.readOnly: "true"', ...task))).toEqual([]);
    expect(messages(flow('labels:', '  - key: system.correlationId', '    value: x', ...task))).toEqual([
      "ROOST_FLOW_INVALID label 'system.correlationId' at labels[0].key: labels starting with 'system.' are set by Roost itself (a flow may set only system.readOnly) (line 4, column 5)",
    ]);
  });

  it('normalizes old names: taskDefaults into pluginDefaults, an input name into its id; drops revision', () => {
    const source = flow(
      'revision: 3',
      'inputs:',
      '  - name: who',
      '    type: STRING',
      'pluginDefaults:',
      `  - type: ${LOG}`,
      '    values: { level: WARN }',
      'taskDefaults:',
      `  - type: ${LOG}`,
      '    values: { level: ERROR }',
      ...task,
    );
    const parsed = parseFlow(source);
    expect(parsed.inputs).toEqual([{ id: 'who', type: 'STRING' }]);
    expect(parsed.pluginDefaults?.map((entry) => entry.values.level)).toEqual(['WARN', 'ERROR']);
    expect(parsed).not.toHaveProperty('taskDefaults');
    expect(parsed).not.toHaveProperty('revision');
  });

  it('refuses an unknown flow property, listing the known ones', () => {
    expect(messages(flow('listener: []', ...task))[0]).toMatch(
      /^ROOST_FLOW_INVALID listener: unknown property 'listener' of the flow \(its properties: afterExecution, concurrency, .*\) \(line 3, column 1\)$/,
    );
  });

  it('refuses listeners and sla until Roost supports them, unless planned features are allowed', () => {
    const source = flow(
      'sla:',
      '  - id: max',
      '    type: MAX_DURATION',
      '    behavior: FAIL',
      '    duration: PT1H',
      ...task,
    );
    expect(messages(source)).toEqual([
      'ROOST_FLOW_INVALID sla is not supported by Roost yet (line 3, column 1)',
    ]);
    expect(messages(source, true)).toEqual([]);
  });
});

describe('walkTasks', () => {
  it('visits every task with its path and parent: nested, errors, finally and afterExecution', () => {
    const source = flow(
      'tasks:',
      '  - id: if',
      '    type: io.kestra.plugin.core.flow.If',
      '    condition: "{{ true }}"',
      '    then: [{ id: a, type: io.kestra.plugin.core.debug.Return }]',
      '    else: [{ id: b, type: io.kestra.plugin.core.debug.Return }]',
      '    errors: [{ id: c, type: io.kestra.plugin.core.debug.Return }]',
      'errors: [{ id: d, type: io.kestra.plugin.core.debug.Return }]',
      'finally: [{ id: e, type: io.kestra.plugin.core.debug.Return }]',
      'afterExecution: [{ id: g, type: io.kestra.plugin.core.debug.Return }]',
    );
    const walked = [...walkTasks(parseFlow(source, { allowPlanned: true }))];
    expect(walked.map(({ task, path, parentId }) => [task.id, path, parentId])).toEqual([
      ['if', 'tasks[0]', undefined],
      ['a', 'tasks[0].then[0]', 'if'],
      ['b', 'tasks[0].else[0]', 'if'],
      ['c', 'tasks[0].errors[0]', 'if'],
      ['d', 'errors[0]', undefined],
      ['e', 'finally[0]', undefined],
      ['g', 'afterExecution[0]', undefined],
    ]);
  });
});
