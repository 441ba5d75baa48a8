// The `trigger-to-first-task` scenario (agents issue): executions of a one-task flow started one after
// another, each waited for before the next, so it measures latency and not queueing. For each: the
// client's clock just before the POST, and the execution's startDate, up to the task's first RUNNING
// (the lease, control-plane time; client and server share the machine's clock).
import type { BenchApi } from './client.ts';
import { percentile, table } from './report.ts';
import { applyFlow, flowId, measure, runOnce, type WaitMode } from './sequential.ts';

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export interface LatencyResult {
  scenario: string;
  executions: number;
  warmupExecutions: number;
  /** client clock before the POST -> first task's first RUNNING */
  postToFirstRunningMs: Percentiles;
  /** execution startDate -> first task's first RUNNING (both server-side) */
  startToFirstRunningMs: Percentiles;
  /** the same, split: execution startDate -> the task run's CREATED (the executor's first decision) */
  startToCreatedMs: Percentiles;
  /** ... and the task run's CREATED -> RUNNING (the dispatcher's lease) */
  createdToRunningMs: Percentiles;
  /** per measured execution: [POST -> RUNNING, start -> RUNNING, CREATED -> RUNNING] */
  samples: [number, number, number][];
}

function percentiles(values: number[]): Percentiles {
  return {
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: Math.max(...values),
    mean: values.reduce((a, b) => a + b, 0) / values.length,
  };
}

export interface LatencyOptions {
  executions: number;
  warmupExecutions: number;
  wait: WaitMode;
  timeoutMs: number;
  signal: AbortSignal;
  /** rejects when the control plane logs an error: ends the scenario at once */
  failure: Promise<never>;
}

export async function runLatency(api: BenchApi, o: LatencyOptions): Promise<LatencyResult> {
  await applyFlow(api, 1);
  const once = async () => {
    const started = await Promise.race([runOnce(api, flowId(1), o.wait, o.timeoutMs, o.signal), o.failure]);
    const sample = measure(started, 1);
    const times: [number, number, number] = [
      sample.postToFirstRunningMs,
      sample.startToFirstRunningMs,
      sample.createdToRunningMs,
    ];
    return times;
  };
  for (let i = 0; i < o.warmupExecutions; i++) await once();
  const samples: [number, number, number][] = [];
  for (let i = 0; i < o.executions; i++) {
    samples.push(await once());
    if ((i + 1) % 50 === 0) process.stderr.write(`  latency: ${i + 1} of ${o.executions} executions\n`);
  }
  return {
    scenario: 'trigger-to-first-task',
    executions: o.executions,
    warmupExecutions: o.warmupExecutions,
    postToFirstRunningMs: percentiles(samples.map((s) => s[0])),
    startToFirstRunningMs: percentiles(samples.map((s) => s[1])),
    startToCreatedMs: percentiles(samples.map((s) => s[1] - s[2])),
    createdToRunningMs: percentiles(samples.map((s) => s[2])),
    samples,
  };
}

export function formatLatency(results: LatencyResult[]): string {
  const f = (v: number) => v.toFixed(1);
  return table(
    ['scenario', 'from -> to', 'p50', 'p99', 'max', 'mean', 'n'],
    results.flatMap((r) =>
      (
        [
          ['POST (client) -> RUNNING', r.postToFirstRunningMs],
          ['execution start -> RUNNING', r.startToFirstRunningMs],
          ['  start -> task run CREATED', r.startToCreatedMs],
          ['  CREATED -> RUNNING (lease)', r.createdToRunningMs],
        ] as const
      ).map(([from, p]) => [r.scenario, from, f(p.p50), f(p.p99), f(p.max), f(p.mean), String(r.executions)]),
    ),
  );
}
