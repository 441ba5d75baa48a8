// The runnable tasks an agent knows, by Kestra type name and alias.
import { RoostError } from '../../protocol/errors.ts';
import { echo, fail, log, outputValues, returnTask } from './core.ts';
import { download, request } from './http/tasks.ts';
import { nodeCommands, nodeScript, pythonCommands, pythonScript } from './scripts/languages.ts';
import { commands, script } from './shell/commands.ts';
import type { TaskModule } from './types.ts';

export const BUILT_IN_TASKS: readonly TaskModule[] = [
  log,
  returnTask,
  echo,
  outputValues,
  fail,
  commands,
  script,
  pythonScript,
  pythonCommands,
  nodeScript,
  nodeCommands,
  request,
  download,
];

export class TaskRegistry {
  readonly #byType = new Map<string, TaskModule>();

  constructor(tasks: readonly TaskModule[] = BUILT_IN_TASKS) {
    for (const task of tasks) {
      for (const name of [task.type, ...(task.aliases ?? [])]) {
        if (this.#byType.has(name)) throw new Error(`two tasks claim the type ${name}`);
        this.#byType.set(name, task);
      }
    }
  }

  get types(): string[] {
    return [...this.#byType.keys()];
  }

  /** The task module for `type`, or a ROOST_FLOW_UNKNOWN_TYPE error naming it. */
  resolve(type: unknown): TaskModule {
    const task = typeof type === 'string' ? this.#byType.get(type) : undefined;
    if (!task) {
      throw new RoostError(
        'ROOST_FLOW_UNKNOWN_TYPE',
        `this agent cannot run tasks of type ${JSON.stringify(type)}: no such plugin is installed`,
      );
    }
    return task;
  }
}
