// The `parallel-N` scenario (agents issue): one Parallel of N independent trivial Return tasks, run
// across several agent processes; measured from the execution's own dates and the attempts' agent ids.
import type { BenchApi } from './client.ts';
import type { BenchAgent } from './harness.ts';
import { type Spread, spread, table } from './report.ts';
import { type ExecutionJson, runOnce, type WaitMode } from './sequential.ts';

export const parallelFlowId = (tasks: number) => `parallel-${tasks}`;

/** The flow: one Parallel task `all` (no concurrency limit) over Return tasks p000, p001, ... */
export function parallelFlow(tasks: number): string {
  const lines = [`id: ${parallelFlowId(tasks)}`, 'namespace: bench', 'tasks:'];
  lines.push('  - id: all', '    type: io.kestra.plugin.core.flow.Parallel', '    tasks:');
  for (let i = 0; i < tasks; i++) {
    lines.push(
      `      - id: p${String(i).padStart(3, '0')}`,
      '        type: io.kestra.plugin.core.debug.Return',
      `        format: "${i}"`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export interface ParallelSample {
  executionId: string;
  /** execution endDate - startDate */
  totalMs: number;
  tasksPerSecond: number;
  /** task runs per agent name, by the agent of each task run's last attempt */
  perAgent: Record<string, number>;
  /** attempts in all (more than the tasks when an attempt was lost and run again) */
  attempts: number;
}

export interface ParallelResult {
  scenario: string;
  tasks: number;
  agents: number;
  slotsPerAgent: number;
  totalMs: Spread;
  tasksPerSecond: Spread;
  /** the median run's spread over agents */
  perAgent: Record<string, number>;
  cpuPerTaskMs: ParallelCpu;
  warmup: ParallelSample[];
  samples: ParallelSample[];
}

/** Checks every task ran to SUCCESS and turns the execution into one sample. */
export function measureParallel(
  execution: ExecutionJson,
  tasks: number,
  agents: BenchAgent[],
): ParallelSample {
  const problem = (what: string) => new Error(`execution ${execution.id}: ${what}`);
  if (execution.state.current !== 'SUCCESS') throw problem(`ended ${execution.state.current}, not SUCCESS`);
  const runs = execution.taskRunList.filter((run) => run.taskId !== 'all');
  if (runs.length !== tasks) throw problem(`has ${runs.length} task runs of Return, expected ${tasks}`);
  const failed = runs.find((run) => run.state.current !== 'SUCCESS');
  if (failed) throw problem(`task ${failed.taskId} ended ${failed.state.current}`);
  const names = new Map(agents.map((agent) => [agent.id, agent.name]));
  const perAgent: Record<string, number> = Object.fromEntries(agents.map((agent) => [agent.name, 0]));
  let attempts = 0;
  for (const run of runs) {
    attempts += run.attempts.length;
    const agentId = run.attempts[run.attempts.length - 1]?.agentId;
    const name = agentId === undefined ? 'none' : (names.get(agentId) ?? `other ${agentId}`);
    perAgent[name] = (perAgent[name] ?? 0) + 1;
  }
  const totalMs = Date.parse(execution.state.endDate ?? '') - Date.parse(execution.state.startDate);
  if (Number.isNaN(totalMs)) throw problem('has no start or end date');
  return { executionId: execution.id, totalMs, tasksPerSecond: tasks / (totalMs / 1000), perAgent, attempts };
}

/** CPU time used during the measured runs, per task (ms): control plane, all agents, Postgres backends */
export interface ParallelCpu {
  controlPlane: number;
  agents: number;
  postgres: number;
}

export interface ParallelOptions {
  tasks: number;
  wait: WaitMode;
  timeoutMs: number;
  signal: AbortSignal;
  /** rejects when the control plane logs an error: ends the scenario at once */
  failure: Promise<never>;
}

/** Applies the flow; the function returned runs one execution to its end and measures it. */
export async function parallelRunner(
  api: BenchApi,
  agents: BenchAgent[],
  o: ParallelOptions,
): Promise<() => Promise<ParallelSample>> {
  await api.applyFlow(parallelFlow(o.tasks));
  return async () => {
    const run = runOnce(api, parallelFlowId(o.tasks), o.wait, o.timeoutMs, o.signal);
    const { execution } = await Promise.race([run, o.failure]);
    return measureParallel(execution, o.tasks, agents);
  };
}

export function summarizeParallel(
  base: Pick<ParallelResult, 'tasks' | 'agents' | 'slotsPerAgent' | 'cpuPerTaskMs'>,
  warmup: ParallelSample[],
  samples: ParallelSample[],
): ParallelResult {
  const median = [...samples].sort((a, b) => a.totalMs - b.totalMs)[samples.length >> 1]!;
  return {
    scenario: parallelFlowId(base.tasks),
    ...base,
    totalMs: spread(samples.map((s) => s.totalMs)),
    tasksPerSecond: spread(samples.map((s) => s.tasksPerSecond)),
    perAgent: median.perAgent,
    warmup,
    samples,
  };
}

const range = (s: Spread, digits = 0) =>
  `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}-${s.max.toFixed(digits)})`;

export function formatParallel(results: ParallelResult[]): string {
  return table(
    [
      'scenario',
      'agents x slots',
      'total ms',
      'tasks/s',
      'cpu ms/task cp/agents/pg',
      'tasks per agent (median run)',
      'n',
    ],
    results.map((r) => [
      r.scenario,
      `${r.agents} x ${r.slotsPerAgent}`,
      range(r.totalMs),
      range(r.tasksPerSecond),
      [r.cpuPerTaskMs.controlPlane, r.cpuPerTaskMs.agents, r.cpuPerTaskMs.postgres]
        .map((v) => v.toFixed(1))
        .join(' / '),
      Object.entries(r.perAgent)
        .map(([name, count]) => `${name}:${count}`)
        .join(' '),
      String(r.samples.length),
    ]),
  );
}
