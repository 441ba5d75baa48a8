// `npm run bench`: Roost's task overhead on real Postgres with the agent in its own process, over MQTT
// on TCP and on WebSocket. Prints a table and writes test/bench/out/latest.json. A bench, not a test:
// nothing here asserts a time. Options: --runs 5 --warmup 1 --tasks 40 --transports tcp,ws|none --no-foreach
// --wait follow|poll --database postgres://postgres@127.0.0.1:5432/postgres (or ROOST_BENCH_DATABASE_URL)
// --profile (V8 CPU profiles of the control plane and agents in test/bench/out/profiles)
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { useToken } from '../support/api.ts';
import { freePort } from '../support/processes.ts';
import { type BenchDatabase, createBenchDatabase } from './database.ts';
import { FOREACH_CASES, runForEach } from './foreach.ts';
import { cpuTimeMs, type RoostChild, spawnRoost, waitForHealth } from './processes.ts';
import { formatResults, type ScenarioResult, summarize } from './report.ts';
import { applyFlow, flowId, measure, runOnce, type Sample, type WaitMode } from './sequential.ts';

const OUT = resolve(import.meta.dirname, 'out');
const START_TIMEOUT_MS = 60_000;
const EXECUTION_TIMEOUT_MS = 120_000;
const FOREACH_TIMEOUT_MS = 120_000;

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    tasks: { type: 'string', default: '40' },
    transports: { type: 'string', default: 'tcp,ws' },
    wait: { type: 'string', default: 'follow' },
    database: { type: 'string' },
    profile: { type: 'boolean', default: false },
    foreach: { type: 'boolean', default: true },
  },
  allowNegative: true,
});
const count = (name: string, text: string, min: number) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number >= ${min}`);
  return value;
};
const options = {
  runs: count('runs', flags.runs, 1),
  warmup: count('warmup', flags.warmup, 0),
  tasks: count('tasks', flags.tasks, 1),
  transports: flags.transports === 'none' ? [] : flags.transports.split(',').map((t) => t.trim()),
  wait: flags.wait as WaitMode,
  database:
    flags.database ?? process.env.ROOST_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  profile: flags.profile,
  foreach: flags.foreach,
};
/** with --profile, each child writes a V8 CPU profile into out/profiles when it exits */
const nodeArgs = options.profile ? ['--cpu-prof', '--cpu-prof-dir', join(OUT, 'profiles')] : [];
if (options.wait !== 'follow' && options.wait !== 'poll') throw new Error('--wait must be follow or poll');
for (const t of options.transports) if (t !== 'tcp' && t !== 'ws') throw new Error(`unknown transport ${t}`);

// Everything started is registered here and undone in reverse order, on success, error or signal.
const undo: (() => Promise<void> | void)[] = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of undo.reverse()) {
      try {
        await step();
      } catch (error) {
        console.error(`cleanup: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}
let interrupted = false;
/** aborts the bench's own open requests (an open follow stream would hold the server's shutdown) */
const requests = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    requests.abort();
    console.error(`\n${signal}: stopping the bench's processes and dropping its database`);
    void cleanup().finally(() => process.exit(130));
  });
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  undo.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function startAgent(
  url: string,
  transport: string,
  secret: string,
): Promise<{ agent: RoostChild; id: string }> {
  const args = ['agent', 'start', '--url', url, '--data-dir', tempDir('roost-bench-agent-')];
  const agent = spawnRoost(
    `agent-${transport}`,
    [...args, '--slots', '4', '--name', `bench-${transport}`],
    join(OUT, `agent-${transport}.log`),
    { ROOST_AGENT_SECRET: secret },
    nodeArgs,
  );
  undo.push(() => agent.stop());
  const [banner] = await Promise.all([
    agent.waitFor(/roost agent (\S+) \(/, START_TIMEOUT_MS, 'its banner'),
    agent.waitFor(/\bwelcomed\b/, START_TIMEOUT_MS, 'the control plane to welcome it'),
  ]);
  return { agent, id: banner[1]! };
}

/** CPU ms used so far by the control plane, the agent and the bench database's backends (by pid). */
async function cpuSnapshot(server: RoostChild, agent: RoostChild, db: BenchDatabase) {
  const backends = new Map((await db.backendPids()).map((pid) => [pid, cpuTimeMs(pid) ?? 0]));
  return { controlPlane: cpuTimeMs(server.pid) ?? 0, agent: cpuTimeMs(agent.pid) ?? 0, backends };
}

async function scenario(
  api: string,
  server: RoostChild,
  db: BenchDatabase,
  transport: string,
  url: string,
  secret: string,
) {
  const { agent, id } = await startAgent(url, transport, secret);
  // an error the control plane logs (pino level 50 or 60) fails the run at once, with the line
  const serverError = server.waitFor(/"level":[56]0\b/, undefined, 'an error line').then((match) => {
    throw new Error(`the control plane logged an error:\n${match.input?.slice(0, 3000)}`);
  });
  serverError.catch(() => {});
  const run = async () => {
    const started = runOnce(api, options.tasks, options.wait, EXECUTION_TIMEOUT_MS, requests.signal);
    return measure(await Promise.race([started, serverError]), options.tasks);
  };
  const warmup: Sample[] = [];
  for (let i = 0; i < options.warmup; i++) warmup.push(await run());
  const before = await cpuSnapshot(server, agent, db);
  const startedAt = Date.now();
  const samples: Sample[] = [];
  for (let i = 0; i < options.runs; i++) {
    samples.push(await run());
    process.stderr.write(`  ${transport} run ${i + 1}: ${samples[i]!.perTaskMs.toFixed(1)} ms/task\n`);
  }
  const wallMs = Date.now() - startedAt;
  const after = await cpuSnapshot(server, agent, db);
  const taskCount = options.runs * options.tasks;
  let postgresMs = 0;
  for (const [pid, cpu] of after.backends) postgresMs += cpu - (before.backends.get(pid) ?? 0);
  // the agent must be gone (offline for the control plane) before the next one starts, or jobs go to it
  const offline = server.waitFor(
    new RegExp(`^(?=.*${id})(?=.*agent offline)`),
    15_000,
    `agent ${id} to go offline`,
  );
  await agent.stop();
  await offline;
  return summarize(
    {
      scenario: flowId(options.tasks),
      transport,
      url,
      tasks: options.tasks,
      wallMs,
      cpuPerTaskMs: {
        controlPlane: (after.controlPlane - before.controlPlane) / taskCount,
        agent: (after.agent - before.agent) / taskCount,
        postgres: postgresMs / taskCount,
      },
    },
    warmup,
    samples,
  );
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const loadBefore = loadavg();
  const db = await createBenchDatabase(options.database);
  undo.push(() => db.drop());
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  const secret = randomBytes(16).toString('hex');
  const api = `http://127.0.0.1:${httpPort}`;
  const adminToken = randomBytes(24).toString('hex');
  useToken(api, adminToken);
  // the secret goes by flag as the brief's command line does; it is a throwaway per run
  const server = spawnRoost(
    'control-plane',
    ['server', 'standalone', '--database-url', db.url, '--port', String(httpPort), '--host', '127.0.0.1']
      .concat(['--mqtt-port', String(mqttPort), '--mqtt-host', '127.0.0.1', '--agent-secret', secret])
      .concat(['--data-dir', tempDir('roost-bench-server-')]),
    join(OUT, 'server.log'),
    { ROOST_ADMIN_TOKEN: adminToken },
    nodeArgs,
  );
  undo.push(() => server.stop());
  await server.waitFor(/Roost standalone is running\./, START_TIMEOUT_MS, 'its ready line');
  await waitForHealth(`${api}/health`, START_TIMEOUT_MS);
  await applyFlow(api, options.tasks);
  console.error(`bench database ${db.name}; control plane on ${api}, MQTT on ${mqttPort}`);

  const results: ScenarioResult[] = [];
  for (const transport of options.transports) {
    const url = transport === 'tcp' ? `mqtt://127.0.0.1:${mqttPort}` : `ws://127.0.0.1:${httpPort}/mqtt`;
    results.push(await scenario(api, server, db, transport, url, secret));
  }

  const forEach = [];
  if (options.foreach) {
    const { agent } = await startAgent(`mqtt://127.0.0.1:${mqttPort}`, 'tcp', secret);
    for (const c of FOREACH_CASES) {
      const result = await runForEach(api, c, FOREACH_TIMEOUT_MS);
      process.stderr.write(
        `  ${result.scenario}: ${result.state}, ${result.taskRuns} task runs, ${result.ms} ms\n`,
      );
      forEach.push(result);
    }
    await agent.stop();
  }

  const report = {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cpuModel: cpus()[0]?.model ?? 'unknown',
      cpus: availableParallelism(),
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      postgres: await db.version(),
      loadAverage: { before: loadBefore, after: loadavg() },
    },
    options,
    peer: 'none: no peer (graphile-worker, pg-boss) is installed; see test/bench/RESULTS.md',
    results,
    forEach,
  };
  writeFileSync(join(OUT, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(formatResults(results));
  console.log(
    `\nload average before/after: ${loadBefore.map((l) => l.toFixed(2)).join(' ')} / ${report.machine.loadAverage.after.map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log(`peer comparison: ${report.peer}`);
  console.log(`written: ${join(OUT, 'latest.json')}`);
}

try {
  await main();
} catch (error) {
  if (!interrupted) console.error(`bench failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
