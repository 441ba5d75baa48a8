// The task type registry and the JSON Schema built from it.
import { describe, expect, it } from 'vitest';
import { flowJsonSchema, resolveTaskType, TASK_TYPES, TaskKind, TypeStatus } from './index.ts';

describe('task type registry', () => {
  it('marks as ready only the tasks Roost runs today', () => {
    const ready = Object.values(TASK_TYPES)
      .filter((entry) => entry.status === TypeStatus.READY)
      .map((entry) => entry.type)
      .sort();
    expect(ready).toEqual([
      'io.kestra.plugin.core.debug.Echo',
      'io.kestra.plugin.core.debug.Return',
      'io.kestra.plugin.core.execution.Fail',
      'io.kestra.plugin.core.execution.Labels',
      'io.kestra.plugin.core.flow.AllowFailure',
      'io.kestra.plugin.core.flow.Dag',
      'io.kestra.plugin.core.flow.EachParallel',
      'io.kestra.plugin.core.flow.EachSequential',
      'io.kestra.plugin.core.flow.Flow',
      'io.kestra.plugin.core.flow.ForEach',
      'io.kestra.plugin.core.flow.If',
      'io.kestra.plugin.core.flow.LoopUntil',
      'io.kestra.plugin.core.flow.Parallel',
      'io.kestra.plugin.core.flow.Pause',
      'io.kestra.plugin.core.flow.Sequential',
      'io.kestra.plugin.core.flow.Sleep',
      'io.kestra.plugin.core.flow.Subflow',
      'io.kestra.plugin.core.flow.Switch',
      'io.kestra.plugin.core.flow.WorkingDirectory',
      'io.kestra.plugin.core.http.Download',
      'io.kestra.plugin.core.http.Request',
      'io.kestra.plugin.core.log.Log',
      'io.kestra.plugin.core.output.OutputValues',
      'io.kestra.plugin.scripts.node.Commands',
      'io.kestra.plugin.scripts.node.Script',
      'io.kestra.plugin.scripts.python.Commands',
      'io.kestra.plugin.scripts.python.Script',
      'io.kestra.plugin.scripts.shell.Commands',
      'io.kestra.plugin.scripts.shell.Script',
    ]);
  });

  it('resolves canonical names and old aliases to the same entry, and nothing else', () => {
    for (const entry of Object.values(TASK_TYPES)) {
      expect(resolveTaskType(entry.type)).toBe(entry);
      for (const alias of entry.aliases) expect(resolveTaskType(alias)).toBe(entry);
    }
    expect(resolveTaskType('io.kestra.core.tasks.flows.Sequential')?.type).toBe(
      'io.kestra.plugin.core.flow.Sequential',
    );
    expect(resolveTaskType('io.kestra.plugin.core.flow.WaitFor')?.type).toBe(
      'io.kestra.plugin.core.flow.LoopUntil',
    );
    expect(resolveTaskType('io.kestra.plugin.core.log')).toBeUndefined();
    expect(resolveTaskType('Log')).toBeUndefined();
  });

  it('names where the child tasks of each flowable task live', () => {
    const children = (type: string) =>
      resolveTaskType(type)?.children.map((slot) => `${slot.property}:${slot.shape}`);
    expect(children('io.kestra.plugin.core.flow.If')).toEqual([
      'then:list',
      'else:list',
      'errors:list',
      'finally:list',
    ]);
    expect(children('io.kestra.plugin.core.flow.Switch')).toEqual([
      'cases:map',
      'defaults:list',
      'errors:list',
      'finally:list',
    ]);
    expect(children('io.kestra.plugin.core.flow.Dag')).toEqual(['tasks:dag', 'errors:list', 'finally:list']);
    expect(children('io.kestra.plugin.core.log.Log')).toEqual([]);
    for (const entry of Object.values(TASK_TYPES)) {
      if (entry.kind !== TaskKind.FLOWABLE) expect(entry.children).toEqual([]);
    }
  });
});

describe('flowJsonSchema', () => {
  const schema = flowJsonSchema() as {
    $defs: Record<string, { anyOf: { title: string; properties: { type: { enum: string[] } } }[] }>;
    required: string[];
  };

  it('describes tasks, triggers and conditions as unions of every known type, told apart by type', () => {
    const names = (def: string) => schema.$defs[def]?.anyOf.map((variant) => variant.title) ?? [];
    const ofKinds = (...kinds: string[]) =>
      Object.values(TASK_TYPES)
        .filter((entry) => kinds.includes(entry.kind))
        .map((entry) => entry.type);
    expect(names('task').sort()).toEqual(ofKinds(TaskKind.FLOWABLE, TaskKind.RUNNABLE).sort());
    expect(names('trigger').sort()).toEqual(ofKinds(TaskKind.TRIGGER).sort());
    expect(names('condition').sort()).toEqual(ofKinds(TaskKind.CONDITION).sort());
    const log = schema.$defs.task?.anyOf.find((variant) => variant.title === 'io.kestra.plugin.core.log.Log');
    expect(log?.properties.type.enum).toEqual([
      'io.kestra.plugin.core.log.Log',
      'io.kestra.core.tasks.log.Log',
    ]);
    expect(schema.required).toEqual(['id', 'namespace', 'tasks']);
  });

  it('has every reference pointing at a definition, and no placeholder left', () => {
    const text = JSON.stringify(schema);
    const refs = [...text.matchAll(/"\$ref":"#\/\$defs\/(\w+)"/g)].map((match) => match[1]);
    expect(new Set(refs)).toEqual(new Set(['task', 'trigger', 'condition']));
    expect(text).not.toContain('x-roost-ref');
  });

  it('accepts the old name of an input id, and returns a copy each time', () => {
    const text = JSON.stringify(schema);
    expect(text).toContain('"anyOf":[{"required":["id"]},{"required":["name"]}]');
    (flowJsonSchema() as { title?: string }).title = 'changed';
    expect((flowJsonSchema() as { title?: string }).title).toBe('Flow');
  });
});
