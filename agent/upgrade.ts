// `roost agent upgrade`: for an agent installed by install.sh, fetches the control plane's current
// bundle, verifies its SHA-256, and switches to it only while the agent holds no job, keeping the
// previous bundle in app.previous (`--rollback` switches back). The service then needs a restart.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { RoostError } from '../protocol/errors.ts';
import { openLibsqlBuffer } from './buffer/index.ts';
import { readEnrolment } from './identity.ts';

const run = promisify(execFile);
const USAGE = 'usage: roost agent upgrade [--rollback] [--data-dir DIR]   (agents installed by install.sh)';
const fail = (message: string) => new RoostError('ROOST_CONFIG', message);

/** The install prefix when this code runs from PREFIX/app/roost-agent.mjs; undefined otherwise. */
function installPrefix(): string | undefined {
  const file = fileURLToPath(import.meta.url);
  if (basename(file) !== 'roost-agent.mjs' || basename(dirname(file)) !== 'app') return undefined;
  return dirname(dirname(file));
}

export async function upgradeCommand(argv: string[], env: NodeJS.ProcessEnv, out: (line: string) => void) {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: { rollback: { type: 'boolean' }, 'data-dir': { type: 'string' } },
    }));
  } catch (error) {
    throw fail(`${(error as Error).message}\n${USAGE}`);
  }
  const prefix = installPrefix();
  if (!prefix)
    throw fail(
      `this agent was not installed by install.sh (no PREFIX/app): re-run the installer instead\n${USAGE}`,
    );
  const dataDir = resolve(
    (values['data-dir'] as string | undefined) ?? env.ROOST_DATA_DIR ?? join(prefix, 'data'),
  );
  const app = join(prefix, 'app');
  const previous = join(prefix, 'app.previous');
  await mustBeIdle(dataDir);

  if (values.rollback) {
    if (!existsSync(previous)) throw fail(`nothing to roll back to: ${previous} does not exist`);
    const swap = join(prefix, 'app.swap');
    await rm(swap, { recursive: true, force: true });
    await rename(app, swap);
    await rename(previous, app);
    await rename(swap, previous);
    out(
      `rolled back to agent ${await version(app)} (${await version(previous)} kept in app.previous); restart the agent`,
    );
    return;
  }

  const enrolled = readEnrolment(dataDir);
  if (!enrolled) throw fail(`no enrolment in ${dataDir}: the agent does not know its control plane`);
  const base = enrolled.server.replace(/\/+$/, '');
  const work = await mkdtemp(join(prefix, '.upgrade.'));
  try {
    const expected = (await download(`${base}/install/agent.tar.gz.sha256`)).toString('utf8').split(/\s+/)[0];
    const tarball = await download(`${base}/install/agent.tar.gz`);
    const actual = createHash('sha256').update(tarball).digest('hex');
    if (actual !== expected)
      throw fail(`the downloaded bundle is corrupt: SHA-256 ${actual}, the control plane says ${expected}`);
    await writeFile(join(work, 'agent.tar.gz'), tarball);
    const unpacked = join(work, 'app');
    await mkdir(unpacked, { recursive: true });
    await run('tar', ['-xzf', join(work, 'agent.tar.gz'), '-C', unpacked]);
    if (!existsSync(join(unpacked, 'roost-agent.mjs'))) throw fail('the bundle holds no roost-agent.mjs');
    await rm(previous, { recursive: true, force: true });
    await rename(app, previous);
    await rename(unpacked, app);
    out(
      `upgraded to agent ${await version(app)} (${await version(previous)} kept in app.previous); restart the agent`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Refuses while the agent holds a job: a switch happens only when it is idle. */
async function mustBeIdle(dataDir: string): Promise<void> {
  const buffer = await openLibsqlBuffer(dataDir);
  try {
    const held = (await buffer.heldJobs()).length;
    if (held > 0) throw fail(`the agent holds ${held} job(s): upgrade when it is idle (or drain it first)`);
  } finally {
    await buffer.close();
  }
}

async function download(url: string): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw fail(`cannot reach ${url}: ${(error as Error).cause ?? error}`);
  }
  if (!response.ok) throw fail(`${url} answered HTTP ${response.status}: ${await response.text()}`);
  return Buffer.from(await response.arrayBuffer());
}

async function version(app: string): Promise<string> {
  return (await readFile(join(app, 'VERSION'), 'utf8').catch(() => '?')).trim();
}
