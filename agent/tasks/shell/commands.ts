// io.kestra.plugin.scripts.shell.Commands and io.kestra.plugin.scripts.shell.Script.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringList, type TaskModule } from '../types.ts';
import { interpreter, preamble, runShell } from './run-shell.ts';

export const commands: TaskModule = {
  type: 'io.kestra.plugin.scripts.shell.Commands',
  aliases: ['io.kestra.core.tasks.scripts.Bash'],
  async run(ctx) {
    const lines = stringList(ctx.render(ctx.task.commands, 'commands'), 'commands');
    if (lines.length === 0) throw new TypeError(`property 'commands' is required`);
    return runShell(ctx, interpreter(ctx), [...preamble(ctx), ...lines].join('\n'));
  },
};

export const script: TaskModule = {
  type: 'io.kestra.plugin.scripts.shell.Script',
  async run(ctx) {
    const body = ctx.renderString('script');
    if (body === undefined) throw new TypeError(`property 'script' is required`);
    const argv = interpreter(ctx);
    const file = join(await ctx.workingDirectory(), 'script.sh');
    await writeFile(file, body, { mode: 0o700 });
    // The file runs with the interpreter's own program (`/bin/sh script.sh` by default).
    return runShell(ctx, argv, [...preamble(ctx), `${argv[0]} ./script.sh`].join('\n'));
  },
};
