// A peer of the bench in its own process: `node bin/run-ts.mjs test/bench/peers/chain.ts --library
// graphile-worker|pg-boss --database URL --jobs 40 --runs 5 --warmup 1`. A chain is `jobs` no-op jobs,
// each added by the one before; chains run one after another. It prints `peer ready`, `peer measuring`
// (warm-up done) and `peer result {json}`, then stops the library and exits.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startGraphileWorker } from './graphile-worker.ts';
import { startPgBoss } from './pg-boss.ts';

export interface ChainPayload {
  chain: string;
  /** 1-based position in the chain */
  n: number;
  total: number;
}

export interface Peer {
  /** Runs one chain of `total` jobs; resolves with first job created -> last job completed, in ms. */
  runChain(chain: string, total: number): Promise<number>;
  stop(): Promise<void>;
}

export const PEERS = {
  'graphile-worker': startGraphileWorker,
  'pg-boss': startPgBoss,
} as const;

export interface PeerReport {
  library: string;
  jobs: number;
  /** per measured chain: first created -> last completed, ms */
  chainsMs: number[];
  /** this process's CPU (user + system) over the measured chains, ms */
  cpuMs: number;
}

const { values } = parseArgs({
  options: {
    library: { type: 'string' },
    database: { type: 'string' },
    jobs: { type: 'string', default: '40' },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
  },
});
const start = PEERS[values.library as keyof typeof PEERS];
if (!start) throw new Error(`--library must be one of ${Object.keys(PEERS).join(', ')}`);
if (!values.database) throw new Error('--database is required (a database of its own)');
const [jobs, runs, warmup] = [values.jobs, values.runs, values.warmup].map(Number) as [
  number,
  number,
  number,
];
if (![jobs, runs, warmup].every((v) => Number.isInteger(v) && v >= 0) || jobs < 1 || runs < 1) {
  throw new Error('--jobs and --runs must be whole numbers >= 1, --warmup >= 0');
}

const peer = await start(values.database);
try {
  console.log('peer ready');
  for (let i = 0; i < warmup; i++) await peer.runChain(randomUUID(), jobs);
  console.log('peer measuring');
  const before = process.cpuUsage();
  const chainsMs: number[] = [];
  for (let i = 0; i < runs; i++) chainsMs.push(await peer.runChain(randomUUID(), jobs));
  const cpu = process.cpuUsage(before);
  const report: PeerReport = {
    library: values.library!,
    jobs,
    chainsMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
  console.log(`peer result ${JSON.stringify(report)}`);
} finally {
  await peer.stop();
}
