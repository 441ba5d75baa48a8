// Summaries of measured samples, and the table the bench prints.
import type { Sample } from './sequential.ts';

/** The value at `p` (0-100) of `values`, by the nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted[sorted.length - 1] ?? Number.NaN };
}

/** CPU time used during the measured executions, per task, by each process (ms). */
export interface CpuPerTask {
  controlPlane: number;
  agent: number;
  /** the Postgres backends serving the bench database (not the WAL writer or checkpointer) */
  postgres: number;
}

export interface ScenarioResult {
  scenario: string;
  transport: string;
  url: string;
  tasks: number;
  /** wall time of the measured executions, client side (ms) */
  wallMs: number;
  perTaskMs: Spread;
  postToFirstRunningMs: Spread;
  startToFirstRunningMs: Spread;
  createdToRunningMs: Spread;
  runningToEndMs: Spread;
  endToNextCreatedMs: Spread;
  tailMs: Spread;
  cpuPerTaskMs: CpuPerTask;
  warmup: Sample[];
  samples: Sample[];
}

export function summarize(
  base: Pick<ScenarioResult, 'scenario' | 'transport' | 'url' | 'tasks' | 'wallMs' | 'cpuPerTaskMs'>,
  warmup: Sample[],
  samples: Sample[],
): ScenarioResult {
  const of = (key: keyof Omit<Sample, 'executionId' | 'tasks' | 'runningBeforeCreated'>) =>
    spread(samples.map((s) => s[key]));
  return {
    ...base,
    perTaskMs: of('perTaskMs'),
    postToFirstRunningMs: of('postToFirstRunningMs'),
    startToFirstRunningMs: of('startToFirstRunningMs'),
    createdToRunningMs: of('createdToRunningMs'),
    runningToEndMs: of('runningToEndMs'),
    endToNextCreatedMs: of('endToNextCreatedMs'),
    tailMs: of('tailMs'),
    warmup,
    samples,
  };
}

const f = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '-');
const range = (s: Spread) => `${f(s.median)} (${f(s.min)}-${f(s.max)})`;

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The printed report: figures as median (min-max) over the measured executions. */
export function formatResults(results: ScenarioResult[]): string {
  const main = table(
    ['scenario', 'transport', 'ms/task', 'POST->1st RUNNING', 'start->1st RUNNING', 'n'],
    results.map((r) => [
      r.scenario,
      r.transport,
      range(r.perTaskMs),
      range(r.postToFirstRunningMs),
      range(r.startToFirstRunningMs),
      String(r.samples.length),
    ]),
  );
  const where = table(
    [
      'scenario',
      'transport',
      'CREATED->RUNNING',
      'RUNNING->end',
      'last end->exec end',
      'cpu ms/task cp/agent/pg',
    ],
    results.map((r) => [
      r.scenario,
      r.transport,
      f(r.createdToRunningMs.median),
      f(r.runningToEndMs.median),
      f(r.tailMs.median),
      `${f(r.cpuPerTaskMs.controlPlane)} / ${f(r.cpuPerTaskMs.agent)} / ${f(r.cpuPerTaskMs.postgres)}`,
    ]),
  );
  const disordered = results.flatMap((r) =>
    [...r.warmup, ...r.samples]
      .filter((s) => s.runningBeforeCreated > 0)
      .map((s) => `${r.transport}:${s.runningBeforeCreated}`),
  );
  return [
    'Figures in ms, median (min-max) over the measured executions.',
    main,
    '',
    'Where a task hop goes (ms, mean per task, median over executions; CPU over the measured executions):',
    where,
    'CREATED = the executor decision that also ended the previous task; RUNNING = the lease (control plane);',
    'end = the executor decision on the result. Agent-side start/end times are not exposed by the API.',
    ...(disordered.length
      ? [`task runs with RUNNING dated before CREATED (per execution): ${disordered.join(' ')}`]
      : []),
  ].join('\n');
}
