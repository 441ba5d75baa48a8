// `npm run bench`: Roost on real Postgres, with the control plane and every agent in its own process.
// Prints tables and writes test/bench/out/latest.json. A bench, not a test: nothing here asserts a time.
// Scenarios (--scenarios, comma-separated; default all):
//   sequential  N strictly sequential Return tasks, per transport (--tasks 40, --runs 5, --transports)
//   foreach     ForEach over 1,000 values (no limit) and over 100 values one at a time, one agent
//               (--foreach-runs 3 executions of each, --foreach-slots 8: the worker threads Kestra
//               starts by default on this 2-core machine, 4 per core); wall time and CPU per task
//   parallel    one Parallel of N Return tasks across 4 agents of 4 slots (--parallel-tasks 200,
//               --parallel-runs 3); total time, tasks/s and tasks per agent
//   latency     trigger to first task: one-task executions one after another on one agent
//               (--latency-executions 200, after 20 warm-up executions); p50 and p99
//   idle        one welcomed agent left idle (--idle-seconds 30): RSS, peak RSS and CPU
//   peers       graphile-worker and pg-boss: a chain of --tasks no-op jobs, --runs chains after --warmup,
//               each in its own process and database; ms/job and Roost's sequential ms/task over theirs
// Other options: --warmup 1 (warm-up executions of sequential and parallel; 0 also skips latency's)
// --transports tcp,ws|none (none skips sequential) --no-foreach (skips foreach) --wait follow|poll
// --database postgres://postgres@127.0.0.1:5432/postgres (or ROOST_BENCH_DATABASE_URL)
// --profile (V8 CPU profiles of the control plane and agents in test/bench/out/profiles)
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type BenchDatabase, createBenchDatabase } from './database.ts';
import { FOREACH_CASES, runForEach } from './foreach.ts';
import { type BenchAgent, type ControlPlane, Harness } from './harness.ts';
import { formatIdle, type IdleResult, measureIdle } from './idle.ts';
import { formatLatency, type LatencyResult, runLatency } from './latency.ts';
import {
  formatParallel,
  type ParallelResult,
  type ParallelSample,
  parallelRunner,
  summarizeParallel,
} from './parallel.ts';
import { formatPeers, PEER_LIBRARIES, type PeerResult, runPeer } from './peer.ts';
import { cpuTimeMs, REPO_ROOT } from './processes.ts';
import { formatResults, type ScenarioResult, summarize } from './report.ts';
import { applyFlow, flowId, measure, runOnce, type Sample, type WaitMode } from './sequential.ts';

const OUT = resolve(import.meta.dirname, 'out');
const EXECUTION_TIMEOUT_MS = 120_000;
const FOREACH_TIMEOUT_MS = 120_000;
const SCENARIOS = ['sequential', 'foreach', 'parallel', 'latency', 'idle', 'peers'] as const;
type Scenario = (typeof SCENARIOS)[number];
const PARALLEL_AGENTS = 4;
const PARALLEL_SLOTS = 4;
const LATENCY_WARMUP = 20;

const { values: flags } = parseArgs({
  options: {
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    tasks: { type: 'string', default: '40' },
    transports: { type: 'string', default: 'tcp,ws' },
    'parallel-tasks': { type: 'string', default: '200' },
    'parallel-runs': { type: 'string', default: '3' },
    'foreach-runs': { type: 'string', default: '3' },
    'foreach-slots': { type: 'string', default: '8' },
    'latency-executions': { type: 'string', default: '200' },
    'idle-seconds': { type: 'string', default: '30' },
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
const scenarios = new Set<Scenario>();
for (const name of flags.scenarios.split(',').map((s) => s.trim())) {
  if (!(SCENARIOS as readonly string[]).includes(name)) {
    throw new Error(`--scenarios: unknown scenario "${name}" (known: ${SCENARIOS.join(', ')})`);
  }
  scenarios.add(name as Scenario);
}
if (flags.transports === 'none') scenarios.delete('sequential');
if (!flags.foreach) scenarios.delete('foreach');
const options = {
  scenarios: SCENARIOS.filter((s) => scenarios.has(s)),
  runs: count('runs', flags.runs, 1),
  warmup: count('warmup', flags.warmup, 0),
  tasks: count('tasks', flags.tasks, 1),
  transports: flags.transports === 'none' ? [] : flags.transports.split(',').map((t) => t.trim()),
  parallelTasks: count('parallel-tasks', flags['parallel-tasks'], 1),
  parallelRuns: count('parallel-runs', flags['parallel-runs'], 1),
  forEachRuns: count('foreach-runs', flags['foreach-runs'], 1),
  forEachSlots: count('foreach-slots', flags['foreach-slots'], 1),
  latencyExecutions: count('latency-executions', flags['latency-executions'], 1),
  idleSeconds: count('idle-seconds', flags['idle-seconds'], 1),
  wait: flags.wait as WaitMode,
  database:
    flags.database ?? process.env.ROOST_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  profile: flags.profile,
};
if (options.parallelTasks > 1000)
  throw new Error('--parallel-tasks must be at most 1000 (task ids are p000-p999)');
if (options.wait !== 'follow' && options.wait !== 'poll') throw new Error('--wait must be follow or poll');
for (const t of options.transports) if (t !== 'tcp' && t !== 'ws') throw new Error(`unknown transport ${t}`);

/** with --profile, each child writes a V8 CPU profile into out/profiles when it exits */
const harness = new Harness(
  OUT,
  options.profile ? ['--cpu-prof', '--cpu-prof-dir', join(OUT, 'profiles')] : [],
);
const load = () => loadavg().map((l) => Math.round(l * 100) / 100);
/** the 1, 5 and 15-minute load averages when each scenario began and ended */
const loadByScenario: Record<string, { before: number[]; after: number[] }> = {};
async function timed<T>(name: string, run: () => Promise<T>): Promise<T> {
  const before = load();
  const result = await run();
  loadByScenario[name] = { before, after: load() };
  return result;
}

/** CPU ms used so far by the control plane, the agent and the bench database's backends (by pid). */
async function cpuSnapshot(cp: ControlPlane, agent: BenchAgent, db: BenchDatabase) {
  const backends = new Map((await db.backendPids()).map((pid) => [pid, cpuTimeMs(pid) ?? 0]));
  return { controlPlane: cpuTimeMs(cp.server.pid) ?? 0, agent: cpuTimeMs(agent.child.pid) ?? 0, backends };
}

async function sequential(cp: ControlPlane, db: BenchDatabase, transport: string, url: string) {
  const agent = await harness.startAgent(transport, url);
  const run = async () => {
    const started = runOnce(
      cp.api,
      flowId(options.tasks),
      options.wait,
      EXECUTION_TIMEOUT_MS,
      harness.requests.signal,
    );
    return measure(await Promise.race([started, cp.error]), options.tasks);
  };
  const warmup: Sample[] = [];
  for (let i = 0; i < options.warmup; i++) warmup.push(await run());
  const before = await cpuSnapshot(cp, agent, db);
  const startedAt = Date.now();
  const samples: Sample[] = [];
  for (let i = 0; i < options.runs; i++) {
    samples.push(await run());
    process.stderr.write(`  ${transport} run ${i + 1}: ${samples[i]!.perTaskMs.toFixed(1)} ms/task\n`);
  }
  const wallMs = Date.now() - startedAt;
  const after = await cpuSnapshot(cp, agent, db);
  const taskCount = options.runs * options.tasks;
  let postgresMs = 0;
  for (const [pid, cpu] of after.backends) postgresMs += cpu - (before.backends.get(pid) ?? 0);
  await harness.stopAgent(agent);
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

async function forEachCases(cp: ControlPlane, db: BenchDatabase) {
  const agent = await harness.startAgent('foreach', cp.mqttUrl, options.forEachSlots);
  const results = [];
  for (const c of FOREACH_CASES) {
    for (let i = 0; i < options.forEachRuns; i++) {
      const before = await cpuSnapshot(cp, agent, db);
      const result = await Promise.race([runForEach(cp.api, c, FOREACH_TIMEOUT_MS), cp.error]);
      const after = await cpuSnapshot(cp, agent, db);
      let postgresMs = 0;
      for (const [pid, cpu] of after.backends) postgresMs += cpu - (before.backends.get(pid) ?? 0);
      const cpuPerTaskMs = {
        controlPlane: (after.controlPlane - before.controlPlane) / c.values,
        agent: (after.agent - before.agent) / c.values,
        postgres: postgresMs / c.values,
      };
      const cpu = Object.values(cpuPerTaskMs)
        .map((ms) => ms.toFixed(2))
        .join(' / ');
      process.stderr.write(
        `  ${result.scenario} run ${i + 1}: ${result.state}, ${result.taskRuns} task runs, ${result.ms} ms (first lease after ${result.firstLeaseMs} ms); cpu ms/task cp / agent / pg ${cpu}\n`,
      );
      results.push({ ...result, run: i + 1, cpuPerTaskMs });
    }
  }
  await harness.stopAgent(agent);
  return results;
}

async function parallel(cp: ControlPlane, db: BenchDatabase): Promise<ParallelResult> {
  const agents: BenchAgent[] = [];
  for (let i = 1; i <= PARALLEL_AGENTS; i++) {
    agents.push(await harness.startAgent(`tcp-${i}`, cp.mqttUrl, PARALLEL_SLOTS));
  }
  const once = await parallelRunner(cp.api, agents, {
    tasks: options.parallelTasks,
    wait: options.wait,
    timeoutMs: EXECUTION_TIMEOUT_MS,
    signal: harness.requests.signal,
    failure: cp.error,
  });
  const warmup: ParallelSample[] = [];
  for (let i = 0; i < options.warmup; i++) warmup.push(await once());
  const cpu = async () => {
    const backends = new Map((await db.backendPids()).map((pid) => [pid, cpuTimeMs(pid) ?? 0]));
    const agentsMs = agents.reduce((sum, agent) => sum + (cpuTimeMs(agent.child.pid) ?? 0), 0);
    return { controlPlane: cpuTimeMs(cp.server.pid) ?? 0, agents: agentsMs, backends };
  };
  const before = await cpu();
  const samples: ParallelSample[] = [];
  for (let i = 0; i < options.parallelRuns; i++) {
    const sample = await once();
    samples.push(sample);
    const perAgent = Object.values(sample.perAgent).join('/');
    process.stderr.write(
      `  parallel run ${i + 1}: ${sample.totalMs} ms, ${sample.tasksPerSecond.toFixed(0)} tasks/s, per agent ${perAgent}\n`,
    );
  }
  const after = await cpu();
  for (const agent of agents) await harness.stopAgent(agent);
  const taskCount = options.parallelRuns * options.parallelTasks;
  let postgresMs = 0;
  for (const [pid, ms] of after.backends) postgresMs += ms - (before.backends.get(pid) ?? 0);
  const cpuPerTaskMs = {
    controlPlane: (after.controlPlane - before.controlPlane) / taskCount,
    agents: (after.agents - before.agents) / taskCount,
    postgres: postgresMs / taskCount,
  };
  const base = {
    tasks: options.parallelTasks,
    agents: agents.length,
    slotsPerAgent: PARALLEL_SLOTS,
    cpuPerTaskMs,
  };
  return summarizeParallel(base, warmup, samples);
}

async function latency(cp: ControlPlane): Promise<LatencyResult> {
  const agent = await harness.startAgent('latency', cp.mqttUrl);
  const result = await runLatency(cp.api, {
    executions: options.latencyExecutions,
    warmupExecutions: options.warmup > 0 ? LATENCY_WARMUP : 0,
    wait: options.wait,
    timeoutMs: EXECUTION_TIMEOUT_MS,
    signal: harness.requests.signal,
    failure: cp.error,
  });
  await harness.stopAgent(agent);
  return result;
}

/**
 * The idle agent twice: as installed (the `npm run build` bundle under plain node; built first) and from
 * the sources through tsx, as `npm start` and the tests run it.
 */
async function idle(cp: ControlPlane): Promise<IdleResult[]> {
  execFileSync(process.execPath, [resolve(REPO_ROOT, 'installers/build-bundle.mjs')], { stdio: 'ignore' });
  const results: IdleResult[] = [];
  for (const bundle of [true, false]) {
    const name = bundle ? 'idle-bundle' : 'idle-tsx';
    const agent = await harness.startAgent(name, cp.mqttUrl, 4, bundle);
    const scenario = bundle ? 'agent-idle (bundle, node)' : 'agent-idle (sources, tsx)';
    const window = measureIdle(
      scenario,
      agent,
      cp.server,
      options.idleSeconds * 1000,
      harness.requests.signal,
    );
    results.push(await Promise.race([window, cp.error]));
    await harness.stopAgent(agent);
  }
  return results;
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const loadBefore = load();
  const db = await createBenchDatabase(options.database);
  harness.defer(() => db.drop());
  const cp = await harness.startControlPlane(db.url);
  await applyFlow(cp.api, options.tasks);
  console.error(`bench database ${db.name}; control plane on ${cp.api.base}, MQTT on ${cp.mqttUrl}`);
  console.error(`scenarios: ${options.scenarios.join(', ')}`);

  const results: ScenarioResult[] = [];
  if (scenarios.has('sequential')) {
    for (const transport of options.transports) {
      const url = transport === 'tcp' ? cp.mqttUrl : cp.wsUrl;
      results.push(await timed(`sequential-${transport}`, () => sequential(cp, db, transport, url)));
    }
  }
  const forEach = scenarios.has('foreach') ? await timed('foreach', () => forEachCases(cp, db)) : [];
  const parallelResults = scenarios.has('parallel') ? [await timed('parallel', () => parallel(cp, db))] : [];
  const latencyResults = scenarios.has('latency') ? [await timed('latency', () => latency(cp))] : [];
  const idleResults = scenarios.has('idle') ? await timed('idle', () => idle(cp)) : [];
  const peers: PeerResult[] = [];
  if (scenarios.has('peers')) {
    for (const library of PEER_LIBRARIES) {
      const peerOptions = {
        databaseBase: options.database,
        jobs: options.tasks,
        runs: options.runs,
        warmup: options.warmup,
      };
      const result = await timed(`peer-${library}`, () => runPeer(harness, library, peerOptions));
      process.stderr.write(`  ${library}: ${result.perJobMs.median.toFixed(1)} ms/job\n`);
      peers.push(result);
    }
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
      loadAverage: { before: loadBefore, after: load(), byScenario: loadByScenario },
    },
    options,
    results,
    forEach,
    parallel: parallelResults,
    latency: latencyResults,
    idle: idleResults,
    peers,
  };
  writeFileSync(join(OUT, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  if (results.length) console.log(formatResults(results));
  if (forEach.length) {
    console.log('\nForEach:');
    for (const r of forEach)
      console.log(`  ${r.scenario} run ${r.run}: ${r.state}, ${r.taskRuns} task runs, ${r.ms} ms`);
  }
  if (parallelResults.length)
    console.log(
      `\nParallel (ms, median (min-max) over the measured runs):\n${formatParallel(parallelResults)}`,
    );
  if (latencyResults.length)
    console.log(`\nTrigger to the first task's RUNNING (ms):\n${formatLatency(latencyResults)}`);
  if (idleResults.length) console.log(`\nIdle agent:\n${formatIdle(idleResults)}`);
  console.log('\nload average (1/5/15 min) when each scenario began -> ended:');
  for (const [name, l] of Object.entries(loadByScenario)) {
    console.log(`  ${name}: ${l.before.join(' ')} -> ${l.after.join(' ')}`);
  }
  if (peers.length)
    console.log(
      `\nPeers (ms per task or job, median (min-max) over the measured chains):\n${formatPeers(results, peers)}`,
    );
  console.log(`written: ${join(OUT, 'latest.json')}`);
}

try {
  await main();
} catch (error) {
  if (!harness.interrupted) console.error(`bench failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await harness.cleanup();
}
