// io.kestra.plugin.scripts.shell.Commands and io.kestra.plugin.scripts.shell.Script.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { localizeStorageUris } from '../files/working-files.ts';
import { stringList, type TaskContext, type TaskModule } from '../types.ts';
import { interpreter, preamble, runShell } from './run-shell.ts';

/** `commands`, rendered (once the working directory's variables exist) and checked. */
export function renderCommands(ctx: TaskContext): string[] {
  const lines = stringList(ctx.render(ctx.task.commands, 'commands'), 'commands');
  if (lines.length === 0) throw new TypeError(`property 'commands' is required`);
  return lines;
}

/** `script`, rendered and checked. */
export function renderScript(ctx: TaskContext): string {
  const body = ctx.renderString('script');
  if (body === undefined) throw new TypeError(`property 'script' is required`);
  return body;
}

export const commands: TaskModule = {
  type: 'io.kestra.plugin.scripts.shell.Commands',
  aliases: ['io.kestra.core.tasks.scripts.Bash'],
  async run(ctx) {
    return runShell(ctx, {
      argv: interpreter(ctx),
      script: async () => [...preamble(ctx), ...renderCommands(ctx)].join('\n'),
    });
  },
};

export const script: TaskModule = {
  type: 'io.kestra.plugin.scripts.shell.Script',
  async run(ctx) {
    const argv = interpreter(ctx);
    return runShell(ctx, {
      argv,
      async script(cwd) {
        const body = await localizeStorageUris(ctx, cwd, renderScript(ctx));
        await writeFile(join(cwd, 'script.sh'), body, { mode: 0o700 });
        // The file runs with the interpreter's own program (`/bin/sh script.sh` by default).
        return [...preamble(ctx), `${argv[0]} ./script.sh`].join('\n');
      },
    });
  },
};
