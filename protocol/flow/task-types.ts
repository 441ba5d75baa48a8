// The registry of every task, trigger and condition type Roost knows, by canonical Kestra name and alias.
import type { Static } from '@sinclair/typebox';
import { TaskKind, type TaskTypeInfo } from './task-type.ts';
import { FLOWABLE_TYPES, type SEQUENTIAL } from './types-flowable.ts';
import {
  type LOG,
  type OUTPUT_VALUES,
  type RETURN,
  RUNNABLE_TYPES,
  type SHELL_COMMANDS,
} from './types-runnable.ts';
import { CONDITION_TYPES, TRIGGER_TYPES } from './types-triggers.ts';

const ALL: readonly TaskTypeInfo[] = [
  ...FLOWABLE_TYPES,
  ...RUNNABLE_TYPES,
  ...TRIGGER_TYPES,
  ...CONDITION_TYPES,
];

/** Every known type, keyed by its canonical name. Status lives here, in the source: the lead flips it. */
export const TASK_TYPES: Readonly<Record<string, TaskTypeInfo>> = Object.freeze(
  Object.fromEntries(ALL.map((entry) => [entry.type, entry])),
);

const BY_NAME = new Map<string, TaskTypeInfo>();
for (const entry of ALL) {
  for (const name of [entry.type, ...entry.aliases]) {
    const clash = BY_NAME.get(name);
    if (clash) throw new Error(`task type name ${name} is registered twice (${clash.type}, ${entry.type})`);
    BY_NAME.set(name, entry);
  }
}

/** The registry entry for a type name, canonical or alias; undefined for a type Roost does not know. */
export function resolveTaskType(type: string): TaskTypeInfo | undefined {
  return BY_NAME.get(type);
}

/** Whether a registry entry describes a task (as opposed to a trigger or a condition). */
export function isTaskKind(entry: TaskTypeInfo): boolean {
  return entry.kind === TaskKind.FLOWABLE || entry.kind === TaskKind.RUNNABLE;
}

/** Every registry entry of one kind, in registry order. */
export function taskTypesOfKind(kind: TaskKind): TaskTypeInfo[] {
  return ALL.filter((entry) => entry.kind === kind);
}

/** Typed views of the tasks Roost runs today, for the executor and the agent. */
export type LogTask = Static<typeof LOG.schema>;
export type ReturnTask = Static<typeof RETURN.schema>;
export type OutputValuesTask = Static<typeof OUTPUT_VALUES.schema>;
export type ShellCommandsTask = Static<typeof SHELL_COMMANDS.schema>;
export type SequentialTask = Static<typeof SEQUENTIAL.schema>;
