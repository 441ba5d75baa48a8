// Kestra's own example flows (../shared/kestra-flows): every valid one parses, and validates unless it
// uses a plugin Roost lacks; every invalid one is refused with a message naming what and where.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { RoostError } from '../errors.ts';
import { parseFlow, resolveTaskType, validateFlowSource } from './index.ts';

const CORPUS = new URL('../../../shared/kestra-flows/', import.meta.url);
const read = (dir: string) =>
  readdirSync(new URL(`${dir}/`, CORPUS))
    .sort()
    .map((file) => ({ file, source: readFileSync(new URL(`${dir}/${file}`, CORPUS), 'utf8') }));

/** Types the corpus uses that are Kestra test fixtures or non-core plugins: Roost must name them as unknown. */
const NOT_CORE = [
  /^io\.kestra\.core\.tasks\.test\./,
  /^io\.kestra\.core\.runners\.test\./,
  /^io\.kestra\.plugin\.fs\.http\.Trigger$/,
];

/** Every plugin type named in a document (tasks, triggers, conditions), found without the registry's help. */
function pluginTypes(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) pluginTypes(item, found);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'type' && typeof item === 'string' && item.startsWith('io.kestra.')) found.add(item);
      else pluginTypes(item, found);
    }
  }
  return found;
}

/** The registry's verdict on one valid flow, and the plugin types it names that Roost does not know. */
function classify(source: string) {
  const unknown = [...pluginTypes(parseYaml(source))].filter((type) => !resolveTaskType(type));
  const result = validateFlowSource(source, { allowPlanned: true });
  return { unknown, ...result, runsToday: validateFlowSource(source).flow !== undefined };
}

describe('conformance: Kestra valid flows', () => {
  const valids = read('valids');

  it.each(valids)('$file parses, and validates unless it uses a type Roost lacks', ({ source }) => {
    const { unknown, flow, errors } = classify(source);
    if (unknown.length === 0) {
      expect(errors).toEqual([]);
      expect(flow?.tasks.length).toBeGreaterThan(0);
      return;
    }
    expect(flow).toBeUndefined();
    for (const type of unknown) {
      expect(
        NOT_CORE.some((pattern) => pattern.test(type)),
        `${type} should be in the registry`,
      ).toBe(true);
    }
    expect(errors.every((error) => error.code === 'ROOST_FLOW_UNKNOWN_TYPE')).toBe(true);
    const named = new Set(errors.map((error) => /type '([^']+)'/.exec(error.message)?.[1]));
    expect(named).toEqual(new Set(unknown));
    for (const error of errors) {
      expect(error.path).toMatch(/\.type$/);
      expect(error.message).toContain(` at ${error.path.slice(0, -'.type'.length)} (line `);
    }
  });

  it('validates all but the flows that use Kestra test fixtures or non-core plugins', () => {
    const results = valids.map(({ source }) => classify(source));
    const validated = results.filter((result) => result.flow !== undefined).length;
    const unknownTypes = new Set(results.flatMap((result) => result.unknown));
    const runsToday = results.filter((result) => result.runsToday).length;
    console.log(
      [
        `Kestra valids: ${valids.length} files`,
        `  validate fully (every type known, planned types allowed): ${validated}`,
        `  refused for unknown types: ${valids.length - validated} (${[...unknownTypes].sort().join(', ')})`,
        `  validate with only the types Roost runs today: ${runsToday}`,
      ].join('\n'),
    );
    expect(validated).toBe(167);
    expect(runsToday).toBeGreaterThan(0);
  });
});

type Code = 'ROOST_FLOW_INVALID' | 'ROOST_FLOW_YAML' | 'ROOST_FLOW_DUPLICATE_ID' | 'ROOST_FLOW_UNKNOWN_TYPE';
/** Message fragments a user needs to find and fix the problem; `others` have their own code. */
type Expected = { code: Code; says: string[]; others?: [Code, string][] };

/** For each invalid flow: the code and the message fragments a user needs to find and fix it. */
const INVALIDS: Record<string, Expected | 'accepted'> = {
  'dag-cyclicdependency.yaml': {
    code: 'ROOST_FLOW_INVALID',
    says: ['Dag tasks[0] has a dependency cycle: task1 -> task2 -> task1'],
  },
  'dag-notexist-task.yaml': {
    code: 'ROOST_FLOW_INVALID',
    says: ["tasks[0].tasks[1].dependsOn[0]: 'taskX' is not a task of the Dag"],
  },
  'duplicate-inputs.yaml': {
    code: 'ROOST_FLOW_INVALID',
    says: ["duplicate input id 'first_input' at inputs[1] (line 8"],
  },
  'duplicate-key.yaml': {
    code: 'ROOST_FLOW_YAML',
    says: ["line 10, column 7: duplicate key 'variables.tf'"],
  },
  'duplicate-parallel.yaml': {
    code: 'ROOST_FLOW_DUPLICATE_ID',
    says: [
      "duplicate task id 't3' at tasks[1].tasks[3].tasks[0].tasks[0].tasks[0].tasks[0]",
      'first used at tasks[0]',
    ],
  },
  'duplicate.yaml': {
    code: 'ROOST_FLOW_DUPLICATE_ID',
    says: ["duplicate task id 'date' at tasks[2].tasks[0]", "duplicate task id 'date' at errors[0]"],
    others: [
      [
        'ROOST_FLOW_INVALID',
        "duplicate trigger id 'trigger' at triggers[1] (line 37, column 5), first used at triggers[0]",
      ],
    ],
  },
  'empty.yaml': { code: 'ROOST_FLOW_INVALID', says: ['tasks: required property is missing'] },
  'inputs-bad-type.yaml': { code: 'ROOST_FLOW_INVALID', says: ['inputs[0].type: unknown type "FOO"'] },
  'inputs-bad-validator-syntax.yaml': {
    code: 'ROOST_FLOW_INVALID',
    says: ['inputs[0].validator: not a valid regular expression'],
  },
  'inputs-validation.yaml': {
    code: 'ROOST_FLOW_INVALID',
    says: [
      'inputs[0].defaults: the default breaks the FILE input',
      'inputs[1].itemType: an ARRAY input cannot hold arrays',
    ],
  },
  'inputs.yaml': { code: 'ROOST_FLOW_INVALID', says: ['inputs[0].type: required property is missing'] },
  'invalid-parallel.yaml': {
    code: 'ROOST_FLOW_INVALID',
    says: [
      'id: expected an id',
      'namespace: expected a namespace',
      'tasks[0].tasks: required property is missing',
      'tasks[1].tasks: must not be empty',
      'tasks[2].tasks: required property is missing',
    ],
  },
  'invalid-property.yaml': {
    code: 'ROOST_FLOW_INVALID',
    says: ["tasks[0].invalid: unknown property 'invalid' of io.kestra.plugin.core.debug.Return"],
  },
  'invalid-task.yaml': {
    code: 'ROOST_FLOW_UNKNOWN_TYPE',
    says: [
      "unknown task type 'io.kestra.plugin.core.debug.MissingOne' at listeners[0].tasks[0]",
      "unknown task type 'io.kestra.plugin.core.debug.MissingTwo' at tasks[0]",
      "unknown task type 'io.kestra.plugin.core.debug.MissingThree' at errors[0]",
    ],
  },
  'invalid.yaml': {
    code: 'ROOST_FLOW_INVALID',
    says: [
      'id: expected an id',
      'got "my#flow"',
      'got "MY$NAMESPACE"',
      'tasks[0].id: required property is missing',
    ],
  },
  'listener.yaml': {
    code: 'ROOST_FLOW_INVALID',
    says: ['listeners[0].tasks: must not be empty', 'listeners[1].tasks: must not be empty'],
  },
  'recursive-flow.yaml': {
    code: 'ROOST_FLOW_INVALID',
    says: ['tasks[0] starts its own flow io.kestra.tests.recursive-flow'],
  },
  'switch-invalid.yaml': {
    code: 'ROOST_FLOW_INVALID',
    says: ["Switch tasks[0] has no task to run: give at least one task under 'cases' or 'defaults'"],
  },
  'system-labels.yaml': {
    code: 'ROOST_FLOW_INVALID',
    says: ["label 'system.label'", "label 'system.id'", 'tasks[0].id: required property is missing'],
  },
  // Kestra's open-source edition refuses worker groups only because they are an Enterprise feature;
  // worker groups are part of Roost's design (DESIGN.md §5), so this flow is valid here.
  'worker-group.yaml': 'accepted',
  'workingdirectory-invalid.yaml': {
    code: 'ROOST_FLOW_INVALID',
    says: [
      'tasks[0].tasks[1]: a WorkingDirectory runs only runnable tasks, and io.kestra.plugin.core.flow.Pause is flowable',
    ],
  },
  'workingdirectory-no-tasks.yaml': {
    code: 'ROOST_FLOW_INVALID',
    says: ['tasks[0].tasks: required property is missing'],
  },
};

describe('conformance: Kestra invalid flows', () => {
  const invalids = read('invalids');

  it('has an expectation for every invalid flow of the corpus', () => {
    expect(invalids.map(({ file }) => file)).toEqual(Object.keys(INVALIDS).sort());
  });

  it.each(invalids)('$file is refused with a message naming what is wrong and where', ({ file, source }) => {
    const expected = INVALIDS[file];
    const { flow, errors } = validateFlowSource(source, { allowPlanned: true });
    if (expected === 'accepted' || expected === undefined) {
      expect(errors).toEqual([]);
      expect(flow).toBeDefined();
      return;
    }
    expect(flow).toBeUndefined();
    const fragments = [
      ...expected.says.map((text): [Code, string] => [expected.code, text]),
      ...(expected.others ?? []),
    ];
    for (const [code, fragment] of fragments) {
      const match = errors.find((error) => error.message.includes(fragment));
      expect(
        match,
        `no error says "${fragment}" in ${JSON.stringify(errors.map((e) => e.message))}`,
      ).toBeDefined();
      expect(match?.code).toBe(code);
    }
    expect(errors.every((error) => error.line !== undefined && error.column !== undefined)).toBe(true);
    const thrown = (() => {
      try {
        parseFlow(source, { allowPlanned: true });
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(RoostError);
    expect((thrown as RoostError).message).toBe(errors[0]?.message);
  });

  it('refuses every invalid flow but the one Roost accepts by design', () => {
    const refused = invalids.filter(
      ({ source }) => validateFlowSource(source, { allowPlanned: true }).errors.length > 0,
    );
    const accepted = invalids.filter(({ file }) => INVALIDS[file] === 'accepted').map(({ file }) => file);
    console.log(
      `Kestra invalids: ${invalids.length} files, refused: ${refused.length}, accepted by design: ${accepted.join(', ')}`,
    );
    expect(refused.length).toBe(invalids.length - accepted.length);
  });
});
