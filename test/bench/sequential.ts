// The `sequential-N` scenario: one flow of N strictly sequential trivial Return tasks; one execution
// is started over REST, waited for, and measured from the server's own timestamps.
import type { BenchApi } from './client.ts';

interface History {
  state: string;
  date: string;
}

interface StateJson {
  current: string;
  histories: History[];
  startDate: string;
  endDate?: string;
}

export interface TaskRunJson {
  taskId: string;
  state: StateJson;
  attempts: { agentId?: string; state: { startDate: string; endDate?: string } }[];
}

export interface ExecutionJson {
  id: string;
  state: StateJson;
  taskRunList: TaskRunJson[];
}

export const TERMINAL = new Set([
  'SUCCESS',
  'WARNING',
  'FAILED',
  'KILLED',
  'CANCELLED',
  'SKIPPED',
  'RETRIED',
]);
export const NAMESPACE = 'bench';

export function flowId(tasks: number): string {
  return `sequential-${tasks}`;
}

/** The flow: `tasks` Return tasks t000, t001, ... run one after the other. */
export function sequentialFlow(tasks: number): string {
  const lines = [`id: ${flowId(tasks)}`, `namespace: ${NAMESPACE}`, 'tasks:'];
  for (let i = 0; i < tasks; i++) {
    lines.push(`  - id: ${taskId(i)}`, '    type: io.kestra.plugin.core.debug.Return', `    format: "${i}"`);
  }
  return `${lines.join('\n')}\n`;
}

function taskId(index: number): string {
  return `t${String(index).padStart(3, '0')}`;
}

export async function applyFlow(api: BenchApi, tasks: number): Promise<void> {
  await api.applyFlow(sequentialFlow(tasks));
}

/** Reads server-sent events until the server closes the stream; returns the last execution sent. */
async function follow(api: BenchApi, id: string, signal: AbortSignal): Promise<ExecutionJson | undefined> {
  const response = await api.fetch(`/api/v1/executions/${id}/follow`, { signal });
  if (!response.ok || !response.body) throw new Error(`follow ${id}: HTTP ${response.status}`);
  const decoder = new TextDecoder();
  let buffered = '';
  let last: ExecutionJson | undefined;
  for await (const chunk of response.body) {
    buffered += decoder.decode(chunk, { stream: true });
    for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (/^event: execution$/m.test(event) && data) last = JSON.parse(data) as ExecutionJson;
    }
  }
  return last;
}

async function poll(api: BenchApi, id: string, everyMs: number, signal: AbortSignal): Promise<ExecutionJson> {
  for (;;) {
    const execution = await api.json<ExecutionJson>(`/api/v1/executions/${id}`, { signal });
    if (TERMINAL.has(execution.state.current)) return execution;
    await new Promise((done) => setTimeout(done, everyMs));
  }
}

export type WaitMode = 'follow' | 'poll';

export interface Started {
  /** client clock (ms since epoch) just before the POST was sent */
  postAt: number;
  execution: ExecutionJson;
}

/** A short account of where an execution stands, for errors. */
async function describe(api: BenchApi, id: string): Promise<string> {
  try {
    const execution = await api.json<ExecutionJson>(`/api/v1/executions/${id}`);
    const runs = execution.taskRunList.map((run) => `${run.taskId}:${run.state.current}`);
    return `execution ${id} is ${execution.state.current}; task runs: ${runs.slice(-5).join(' ') || 'none'} (${runs.length} in all)`;
  } catch (error) {
    return `execution ${id} could not be read: ${(error as Error).message}`;
  }
}

/**
 * Starts one execution and waits for its end; the execution returned is terminal. (A controller and a
 * timer rather than AbortSignal.any: on Node 20 a combined signal can be garbage-collected and never fire.)
 */
export async function runOnce(
  api: BenchApi,
  flow: string,
  wait: WaitMode,
  timeoutMs: number,
  abort: AbortSignal,
): Promise<Started> {
  const controller = new AbortController();
  const { signal } = controller;
  const onAbort = () => controller.abort(abort.reason);
  abort.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new Error(`no end within ${timeoutMs} ms`)), timeoutMs);
  const postAt = Date.now();
  let id: string | undefined;
  try {
    const created = await api.json<ExecutionJson>(`/api/v1/executions/${NAMESPACE}/${flow}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      signal,
    });
    id = created.id;
    let execution = wait === 'follow' ? await follow(api, id, signal) : undefined;
    if (!execution || !TERMINAL.has(execution.state.current)) execution = await poll(api, id, 200, signal);
    return { postAt, execution };
  } catch (error) {
    if (id === undefined || abort.aborted) throw error;
    throw new Error(`${(error as Error).message}: ${await describe(api, id)}`);
  } finally {
    clearTimeout(timer);
    abort.removeEventListener('abort', onAbort);
  }
}

export interface Sample {
  executionId: string;
  /** execution endDate - startDate */
  totalMs: number;
  perTaskMs: number;
  /** first task RUNNING (server clock) - POST sent (client clock; same machine) */
  postToFirstRunningMs: number;
  /** first task RUNNING - execution startDate, both server-side */
  startToFirstRunningMs: number;
  /** mean over tasks: task run CREATED -> RUNNING (executor decision committed -> lease granted) */
  createdToRunningMs: number;
  /** mean over tasks: RUNNING -> SUCCESS (lease -> agent -> result -> executor's decision) */
  runningToEndMs: number;
  /** mean over task pairs: one task's end -> the next one's CREATED */
  endToNextCreatedMs: number;
  /** last task's end -> execution end */
  tailMs: number;
  /** task runs whose RUNNING date is earlier than their CREATED date (history out of order) */
  runningBeforeCreated: number;
  /** per task: [CREATED -> RUNNING, RUNNING -> end] in ms, in flow order */
  tasks: [number, number][];
}

const ms = (date: string | undefined) => (date ? Date.parse(date) : Number.NaN);

function dateOf(run: TaskRunJson, state: string): number {
  return ms(run.state.histories.find((h) => h.state === state)?.date);
}

function firstRunning(run: TaskRunJson): number {
  const fromHistory = dateOf(run, 'RUNNING');
  return Number.isNaN(fromHistory) ? ms(run.attempts[0]?.state.startDate) : fromHistory;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);

/** Checks the execution ran every task to SUCCESS and turns its timestamps into one sample. */
export function measure(started: Started, tasks: number): Sample {
  const { execution, postAt } = started;
  const problem = (what: string) =>
    new Error(`execution ${execution.id}: ${what}\n${JSON.stringify(execution, null, 1).slice(0, 4000)}`);
  if (execution.state.current !== 'SUCCESS') throw problem(`ended ${execution.state.current}, not SUCCESS`);
  const runs = [...execution.taskRunList].sort((a, b) => a.taskId.localeCompare(b.taskId));
  if (runs.length !== tasks) throw problem(`has ${runs.length} task runs, expected ${tasks}`);
  const failed = runs.find((run) => run.state.current !== 'SUCCESS');
  if (failed) throw problem(`task ${failed.taskId} ended ${failed.state.current}`);
  const start = ms(execution.state.startDate);
  const end = ms(execution.state.endDate);
  const first = firstRunning(runs[0]!);
  const timeline = runs.map((run): [number, number] => {
    const running = firstRunning(run);
    return [running - dateOf(run, 'CREATED'), ms(run.state.endDate) - running];
  });
  const handoffs = runs.slice(1).map((run, i) => dateOf(run, 'CREATED') - ms(runs[i]!.state.endDate));
  const sample: Sample = {
    executionId: execution.id,
    totalMs: end - start,
    perTaskMs: (end - start) / tasks,
    postToFirstRunningMs: first - postAt,
    startToFirstRunningMs: first - start,
    createdToRunningMs: mean(timeline.map((t) => t[0])),
    runningToEndMs: mean(timeline.map((t) => t[1])),
    endToNextCreatedMs: mean(handoffs),
    tailMs: end - ms(runs[runs.length - 1]!.state.endDate),
    runningBeforeCreated: timeline.filter((t) => t[0] < 0).length,
    tasks: timeline,
  };
  const missing = Object.entries(sample).find(
    ([, value]) => typeof value === 'number' && Number.isNaN(value),
  );
  if (missing) throw problem(`a timestamp for ${missing[0]} is missing`);
  return sample;
}
