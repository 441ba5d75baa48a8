// Finds a language's interpreter on the agent's PATH (Kestra's Process task runner: no containers).
import { constants } from 'node:fs';
import { access, mkdir, symlink } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { RoostError } from '../../../protocol/errors.ts';

/** The first of `programs` found on `path`, as an absolute path, or undefined. */
export async function findProgram(programs: readonly string[], path: string): Promise<string | undefined> {
  for (const program of programs) {
    for (const directory of path.split(delimiter).filter(Boolean)) {
      const candidate = join(directory, program);
      const found = await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      );
      if (found) return candidate;
    }
  }
  return undefined;
}

export interface HostInterpreter {
  /** the program that runs a script file */
  program: string;
  /** PATH with a directory of aliases first (`python` for `python3`), so Kestra's commands find them */
  path: string;
}

/**
 * The interpreter for a language, or a ROOST_TASK_FAILED error saying it is missing on this agent.
 * `aliases` are names Kestra's examples call it by; each missing one is linked to the program found.
 */
export async function hostInterpreter(
  language: string,
  programs: readonly string[],
  aliases: readonly string[],
  env: Readonly<Record<string, string>>,
  cwd: string,
): Promise<HostInterpreter> {
  const path = env.PATH ?? '';
  const program = await findProgram(programs, path);
  if (!program) {
    throw new RoostError(
      'ROOST_TASK_FAILED',
      `${language} is not installed on this agent: none of ${programs.join(', ')} is on its PATH (scripts run with the host's interpreter; install it or send the task to a worker group that has it)`,
    );
  }
  const shims = join(cwd, '.bin');
  await mkdir(shims, { recursive: true });
  for (const alias of aliases) {
    if (!(await findProgram([alias], path))) await symlink(program, join(shims, alias));
  }
  return { program, path: `${shims}${delimiter}${path}` };
}
