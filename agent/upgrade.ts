// Upgrades of an agent installed by install.sh (PREFIX/app holds the running bundle, PREFIX/app.previous
// the one before). A bundle is fetched from the control plane and verified (SHA-256) into a staging
// directory first; the switch is two renames, made only when the agent holds no job, and keeps the
// previous bundle for `--rollback`.
// - `roost agent upgrade`: by hand; waits (at most --wait) for the agent to be idle, then switches. The
//   running agent needs a restart afterwards (the service manager's, or stop and start).
// - `roost agent start --auto-upgrade`: the agent itself, when its control plane advertises a newer
//   bundle (Welcome, or Rejected for a version outside the accepted range): fetch, drain, switch,
//   then exit with RESTART_EXIT_CODE so that PREFIX/bin/roost-agent runs the new bundle.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { versionInRange } from '../protocol/agent-versions.ts';
import { RoostError } from '../protocol/errors.ts';
import type { AgentBundle } from '../protocol/messages.ts';
import { openLibsqlBuffer } from './buffer/index.ts';
import { readEnrolment } from './identity.ts';

const run = promisify(execFile);
const USAGE =
  'usage: roost agent upgrade [--wait DURATION] [--rollback] [--data-dir DIR]   (agents installed by install.sh)';
const fail = (message: string) => new RoostError('ROOST_CONFIG', message);

/** `roost agent start` exits with this after switching bundles: PREFIX/bin/roost-agent starts it again. */
export const RESTART_EXIT_CODE = 75;
/** How long `roost agent upgrade` waits for a busy agent to become idle, unless --wait says otherwise. */
const DEFAULT_WAIT_MS = 10 * 60_000;

/** The install prefix when this code runs from PREFIX/app/roost-agent.mjs; undefined otherwise. */
export function installPrefix(): string | undefined {
  const file = fileURLToPath(import.meta.url);
  if (basename(file) !== 'roost-agent.mjs' || basename(dirname(file)) !== 'app') return undefined;
  return dirname(dirname(file));
}

/** Whether an agent of version `own` should switch to the advertised bundle. */
export function wantsBundle(own: string, bundle: AgentBundle, rejected: boolean): boolean {
  if (bundle.version === own) return false;
  // newer than its own; or, when the control plane refuses this version, whatever it serves
  return rejected || !versionInRange(bundle.version, { max: own });
}

export interface StagedBundle {
  version: string;
  /** the unpacked bundle, inside `work` */
  dir: string;
  work: string;
}

/**
 * Downloads the control plane's bundle into PREFIX/.upgrade.*, checks its SHA-256 (against `sha256`
 * when given, else against the control plane's .sha256), and unpacks it. Nothing in use changes.
 */
export async function stageBundle(prefix: string, server: string, sha256?: string): Promise<StagedBundle> {
  const base = server.replace(/\/+$/, '');
  const work = await mkdtemp(join(prefix, '.upgrade.'));
  try {
    const expected =
      sha256 ?? (await download(`${base}/install/agent.tar.gz.sha256`)).toString('utf8').split(/\s+/)[0];
    const tarball = await download(`${base}/install/agent.tar.gz`);
    const actual = createHash('sha256').update(tarball).digest('hex');
    if (actual !== expected)
      throw fail(`the downloaded bundle is corrupt: SHA-256 ${actual}, the control plane says ${expected}`);
    await writeFile(join(work, 'agent.tar.gz'), tarball);
    const dir = join(work, 'app');
    await mkdir(dir, { recursive: true });
    await run('tar', ['-xzf', join(work, 'agent.tar.gz'), '-C', dir]);
    if (!existsSync(join(dir, 'roost-agent.mjs'))) throw fail('the bundle holds no roost-agent.mjs');
    return { version: await version(dir), dir, work };
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
}

/** Puts a staged bundle in PREFIX/app, the current one in PREFIX/app.previous; returns both versions. */
export async function switchTo(prefix: string, staged: StagedBundle): Promise<{ now: string; kept: string }> {
  const app = join(prefix, 'app');
  const previous = join(prefix, 'app.previous');
  try {
    await rm(previous, { recursive: true, force: true });
    await rename(app, previous);
    await rename(staged.dir, app);
  } finally {
    await rm(staged.work, { recursive: true, force: true });
  }
  return { now: await version(app), kept: await version(previous) };
}

export async function discard(staged: StagedBundle): Promise<void> {
  await rm(staged.work, { recursive: true, force: true });
}

export async function upgradeCommand(argv: string[], env: NodeJS.ProcessEnv, out: (line: string) => void) {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: { rollback: { type: 'boolean' }, 'data-dir': { type: 'string' }, wait: { type: 'string' } },
    }));
  } catch (error) {
    throw fail(`${(error as Error).message}\n${USAGE}`);
  }
  const waitMs = values.wait === undefined ? DEFAULT_WAIT_MS : parseWait(values.wait as string);
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

  if (values.rollback) {
    if (!existsSync(previous)) throw fail(`nothing to roll back to: ${previous} does not exist`);
    await waitForIdle(dataDir, waitMs, out);
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
  const staged = await stageBundle(prefix, enrolled.server);
  try {
    await waitForIdle(dataDir, waitMs, out);
  } catch (error) {
    await discard(staged);
    throw error;
  }
  const { now, kept } = await switchTo(prefix, staged);
  out(`upgraded to agent ${now} (${kept} kept in app.previous); restart the agent`);
}

/** `--wait`: a duration such as 30s, 10m or 1h; 0 refuses at once when the agent is busy. */
function parseWait(text: string): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw fail(`--wait: "${text}" is not a duration like 30s, 10m or 1h\n${USAGE}`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1_000;
  return Number(match[1]) * unit;
}

/**
 * Waits until the agent's buffer holds no job, for at most `waitMs`: a command run by hand, so it looks
 * again every second (the running agent's buffer is another process's file). Only then does it switch.
 */
async function waitForIdle(dataDir: string, waitMs: number, out: (line: string) => void): Promise<void> {
  const held = async () => {
    const buffer = await openLibsqlBuffer(dataDir);
    try {
      return (await buffer.heldJobs()).length;
    } finally {
      await buffer.close();
    }
  };
  let count = await held();
  if (count === 0) return;
  if (waitMs === 0)
    throw fail(`the agent holds ${count} job(s): upgrade when it is idle (or drain it first)`);
  out(`the agent holds ${count} job(s): waiting until it is idle (at most ${Math.round(waitMs / 1000)} s)`);
  const deadline = Date.now() + waitMs;
  while (count > 0) {
    if (Date.now() >= deadline)
      throw fail(
        `the agent still holds ${count} job(s) after ${Math.round(waitMs / 1000)} s: nothing was switched; drain it (roost agent maintenance on) or pass a longer --wait`,
      );
    await sleep(Math.min(1_000, Math.max(0, deadline - Date.now())));
    count = await held();
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
