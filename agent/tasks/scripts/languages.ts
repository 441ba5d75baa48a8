// io.kestra.plugin.scripts.python.Script/Commands and io.kestra.plugin.scripts.node.Script/Commands, run by
// the host's interpreter in the attempt's working directory.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { localizeStorageUris } from '../files/working-files.ts';
import { renderCommands, renderScript } from '../shell/commands.ts';
import { interpreter, preamble, runShell } from '../shell/run-shell.ts';
import { stringList, type TaskContext, type TaskModule } from '../types.ts';
import { hostInterpreter } from './host-interpreter.ts';

interface Language {
  name: string;
  /** Kestra's package: io.kestra.plugin.scripts.{pkg} */
  pkg: string;
  programs: readonly string[];
  aliases: readonly string[];
  extension: string;
}

const PYTHON: Language = {
  name: 'Python',
  pkg: 'python',
  programs: ['python3', 'python'],
  aliases: ['python'],
  extension: 'py',
};
const NODE: Language = {
  name: 'Node.js',
  pkg: 'node',
  programs: ['node', 'nodejs'],
  aliases: ['node'],
  extension: 'js',
};

/** Kestra installs `dependencies` with pip; a Roost agent uses what its host has, and says so. */
function warnAboutDependencies(ctx: TaskContext): void {
  const dependencies = stringList(ctx.render(ctx.task.dependencies, 'dependencies'), 'dependencies');
  if (dependencies.length) {
    ctx.log(
      'WARN',
      `dependencies are not installed by Roost agents (${dependencies.join(', ')}): install them on the agent host`,
    );
  }
}

async function prepare(ctx: TaskContext, language: Language) {
  warnAboutDependencies(ctx);
  const cwd = await ctx.workingDirectory();
  return hostInterpreter(language.name, language.programs, language.aliases, ctx.env, cwd);
}

function scriptTask(language: Language): TaskModule {
  return {
    type: `io.kestra.plugin.scripts.${language.pkg}.Script`,
    async run(ctx) {
      const host = await prepare(ctx, language);
      return runShell(ctx, {
        argv: interpreter(ctx),
        env: { PATH: host.path },
        async script(cwd) {
          const file = join(cwd, `script.${language.extension}`);
          await writeFile(file, await localizeStorageUris(ctx, cwd, renderScript(ctx)), { mode: 0o600 });
          return [
            ...preamble(ctx),
            `'${host.program.replace(/'/g, "'\\''")}' ./script.${language.extension}`,
          ].join('\n');
        },
      });
    },
  };
}

function commandsTask(language: Language): TaskModule {
  return {
    type: `io.kestra.plugin.scripts.${language.pkg}.Commands`,
    async run(ctx) {
      const host = await prepare(ctx, language);
      return runShell(ctx, {
        argv: interpreter(ctx),
        env: { PATH: host.path },
        script: async () => [...preamble(ctx), ...renderCommands(ctx)].join('\n'),
      });
    },
  };
}

export const pythonScript = scriptTask(PYTHON);
export const pythonCommands = commandsTask(PYTHON);
export const nodeScript = scriptTask(NODE);
export const nodeCommands = commandsTask(NODE);

/** For tests: the same tasks looking for other program names. */
export function languageTasks(overrides: Partial<Language> & Pick<Language, 'pkg'>) {
  const base = overrides.pkg === 'node' ? NODE : PYTHON;
  const language = { ...base, ...overrides };
  return { script: scriptTask(language), commands: commandsTask(language) };
}
