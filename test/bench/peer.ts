// The peer comparison (DESIGN.md section 10): graphile-worker and pg-boss run a chain of no-op jobs, each
// added by the one before, in a process of their own and on a database of their own on the same Postgres,
// beside Roost's sequential scenario; the table gives each one's ms/job and Roost's ratio to it.
import { join } from 'node:path';
import { createBenchDatabase } from './database.ts';
import type { Harness } from './harness.ts';
import type { PeerReport } from './peers/chain.ts';
import { cpuTimeMs, spawnScript } from './processes.ts';
import { type ScenarioResult, type Spread, spread, table } from './report.ts';

export const PEER_LIBRARIES = ['graphile-worker', 'pg-boss'] as const;
const PEER_TIMEOUT_MS = 300_000;

export interface PeerResult {
  library: string;
  jobs: number;
  /** (last job completed - first job created) / jobs, per measured chain */
  perJobMs: Spread;
  /** CPU per job over the measured chains: the peer's process and its database's Postgres backends */
  cpuPerJobMs: { process: number; postgres: number };
  chainsMs: number[];
}

export interface PeerOptions {
  databaseBase: string;
  jobs: number;
  runs: number;
  warmup: number;
}

/** Runs one library's peer process on a fresh database and reads its result line. */
export async function runPeer(harness: Harness, library: string, o: PeerOptions): Promise<PeerResult> {
  const db = await createBenchDatabase(o.databaseBase);
  harness.defer(() => db.drop());
  const args = ['--library', library, '--database', db.url, '--jobs', String(o.jobs)];
  args.push('--runs', String(o.runs), '--warmup', String(o.warmup));
  const child = spawnScript(
    `peer-${library}`,
    'test/bench/peers/chain.ts',
    args,
    join(harness.outDir, `peer-${library}.log`),
  );
  harness.defer(() => child.stop());
  // both waiters from the start: the lines may follow each other quickly
  const measuring = child.waitFor(/^peer measuring$/, PEER_TIMEOUT_MS, 'the end of its warm-up');
  const result = child.waitFor(/^peer result (.*)$/, PEER_TIMEOUT_MS, 'its result line');
  result.catch(() => {});
  await measuring;
  const backends = async () => new Map((await db.backendPids()).map((pid) => [pid, cpuTimeMs(pid) ?? 0]));
  const before = await backends();
  const report = JSON.parse((await result)[1]!) as PeerReport;
  const after = await backends();
  let postgresMs = 0;
  for (const [pid, cpu] of after) postgresMs += cpu - (before.get(pid) ?? 0);
  const code = await child.exited;
  if (code !== 0) throw new Error(`peer ${library} exited with code ${code}\n${child.tail()}`);
  await db.drop();
  const jobCount = report.chainsMs.length * report.jobs;
  return {
    library,
    jobs: report.jobs,
    perJobMs: spread(report.chainsMs.map((ms) => ms / report.jobs)),
    cpuPerJobMs: { process: report.cpuMs / jobCount, postgres: postgresMs / jobCount },
    chainsMs: report.chainsMs,
  };
}

const f = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');

/** Roost's sequential scenario and the peers on one table; the ratio is Roost (median) / the row's median. */
export function formatPeers(roost: ScenarioResult[], peers: PeerResult[]): string {
  const reference = roost.find((r) => r.transport === 'tcp') ?? roost[0];
  const ratio = (ms: number) => (reference ? (reference.perTaskMs.median / ms).toFixed(2) : '-');
  const rows = [
    ...roost.map((r) => [
      `roost ${r.scenario}`,
      r.transport,
      `${f(r.perTaskMs.median)} (${f(r.perTaskMs.min)}-${f(r.perTaskMs.max)})`,
      `${f(r.cpuPerTaskMs.controlPlane + r.cpuPerTaskMs.agent)} / ${f(r.cpuPerTaskMs.postgres)}`,
      ratio(r.perTaskMs.median),
      String(r.samples.length),
    ]),
    ...peers.map((p) => [
      `${p.library} chain-${p.jobs}`,
      'in process',
      `${f(p.perJobMs.median)} (${f(p.perJobMs.min)}-${f(p.perJobMs.max)})`,
      `${f(p.cpuPerJobMs.process)} / ${f(p.cpuPerJobMs.postgres)}`,
      ratio(p.perJobMs.median),
      String(p.chainsMs.length),
    ]),
  ];
  return table(
    [
      'scenario',
      'transport',
      'ms/job',
      'cpu ms/job procs / pg',
      `roost ${reference?.transport ?? ''} / this`,
      'n',
    ],
    rows,
  );
}
