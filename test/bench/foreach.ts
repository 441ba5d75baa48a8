// The ForEach scenarios of the flows issue: a ForEach over 1,000 values with concurrencyLimit 0 and one
// over 100 values with concurrencyLimit 1, each of a trivial Return, on one agent. Measured from the
// execution's own start and end dates.
import type { BenchApi } from './client.ts';

export interface ForEachCase {
  values: number;
  concurrencyLimit: number;
}

export const FOREACH_CASES: readonly ForEachCase[] = [
  { values: 1000, concurrencyLimit: 0 },
  { values: 100, concurrencyLimit: 1 },
];

export const forEachFlowId = (c: ForEachCase) => `foreach-${c.values}-limit-${c.concurrencyLimit}`;

export function forEachFlow(c: ForEachCase): string {
  const values = JSON.stringify(Array.from({ length: c.values }, (_, i) => `v${i}`));
  return [
    `id: ${forEachFlowId(c)}`,
    'namespace: bench',
    'tasks:',
    '  - id: each',
    '    type: io.kestra.plugin.core.flow.ForEach',
    `    values: '${values}'`,
    `    concurrencyLimit: ${c.concurrencyLimit}`,
    '    tasks:',
    '      - id: work',
    '        type: io.kestra.plugin.core.debug.Return',
    '        format: "{{ taskrun.value }}"',
    '',
  ].join('\n');
}

interface ExecutionState {
  id: string;
  state: { current: string; startDate: string; endDate?: string };
}

interface FullExecution extends ExecutionState {
  taskRunList: { attempts?: { state: { startDate: string } }[] }[];
}

/** From the execution's start to the first attempt leased: the first decision, which creates every iteration. */
function firstLeaseMs(execution: FullExecution): number {
  const starts = execution.taskRunList.flatMap((run) =>
    (run.attempts ?? []).map((attempt) => Date.parse(attempt.state.startDate)),
  );
  return starts.length ? Math.min(...starts) - Date.parse(execution.state.startDate) : Number.NaN;
}

const TERMINAL = new Set(['SUCCESS', 'WARNING', 'FAILED', 'KILLED']);

/**
 * Applies the flow, runs it once, waits (polling every 200 ms, bounded by `timeoutMs`) and measures. The
 * figure comes from the execution's own dates, so the poll's period does not change it. The poll reads
 * the search listing, which carries no task runs: reading the whole execution (1,000 task runs) on every
 * poll would load the control plane with the bench's own watching. The whole execution is read once, at
 * the end, to count its task runs.
 */
export async function runForEach(api: BenchApi, c: ForEachCase, timeoutMs: number) {
  await api.applyFlow(forEachFlow(c));
  const created = await api.json<ExecutionState>(`/api/v1/executions/bench/${forEachFlowId(c)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  const deadline = Date.now() + timeoutMs;
  const full = () => api.json<FullExecution>(`/api/v1/executions/${created.id}`);
  for (;;) {
    const { results } = await api.json<{ results: ExecutionState[] }>(
      `/api/v1/executions/search?namespace=bench&flowId=${forEachFlowId(c)}&size=10`,
    );
    const execution = results.find((e) => e.id === created.id);
    if (execution && TERMINAL.has(execution.state.current)) {
      const ms = Date.parse(execution.state.endDate!) - Date.parse(execution.state.startDate);
      const whole = await full();
      return {
        scenario: forEachFlowId(c),
        state: execution.state.current,
        taskRuns: whole.taskRunList.length,
        ms,
        firstLeaseMs: firstLeaseMs(whole),
      };
    }
    if (Date.now() > deadline) {
      return {
        scenario: forEachFlowId(c),
        state: `not ended after ${timeoutMs} ms`,
        taskRuns: (await full()).taskRunList.length,
        ms: Number.NaN,
        firstLeaseMs: Number.NaN,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
