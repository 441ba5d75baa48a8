// A tiny REST client for tests, and a wait for an execution to end (by following its event stream).
// The API authenticates callers: the helpers that start a control plane register its admin token here
// under its base URL, and every call to that URL carries it (pass `token` to call as someone else,
// or `null` to call with no credentials).

const tokens = new Map<string, string>();

/** Calls to `api` carry this bearer token from now on. */
export function useToken(api: string, token: string): void {
  tokens.set(api, token);
}

export function authHeaders(api: string, token?: string | null): Record<string, string> {
  const bearer = token === undefined ? tokens.get(api) : token;
  return bearer ? { authorization: `Bearer ${bearer}` } : {};
}
export interface ExecutionJson {
  id: string;
  state: {
    current: string;
    histories: { state: string; date: string }[];
    startDate: string;
    endDate?: string;
  };
  outputs?: Record<string, unknown>;
  taskRunList: {
    id: string;
    taskId: string;
    value: string | null;
    state: {
      current: string;
      histories?: { state: string; date: string }[];
      startDate?: string;
      endDate?: string;
    };
    outputs?: Record<string, unknown>;
    attempts: { state: { current: string }; agentId?: string; error?: { message: string; code?: string } }[];
  }[];
}

export async function call<T = unknown>(
  api: string,
  method: string,
  path: string,
  body?: unknown,
  type = 'application/json',
  token?: string | null,
) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { ...authHeaders(api, token), ...(body === undefined ? {} : { 'content-type': type }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function applyFlow(api: string, yaml: string) {
  const result = await call<{ revision: number }>(api, 'POST', '/api/v1/flows', yaml, 'application/x-yaml');
  if (result.status >= 300) throw new Error(`flow refused: ${JSON.stringify(result.body)}`);
  return result.body;
}

export async function runFlow(
  api: string,
  namespace: string,
  flowId: string,
  inputs: Record<string, unknown> = {},
) {
  const result = await call<ExecutionJson>(api, 'POST', `/api/v1/executions/${namespace}/${flowId}`, inputs);
  if (result.status >= 300) throw new Error(`execution refused: ${JSON.stringify(result.body)}`);
  return result.body;
}

/** Starts an execution with FILE inputs, sent as multipart/form-data (files given by content). */
export async function runFlowWithFiles(
  api: string,
  namespace: string,
  flowId: string,
  inputs: Record<string, unknown>,
  files: Record<string, string>,
) {
  const body = new FormData();
  for (const [name, value] of Object.entries(inputs)) body.append(name, String(value));
  for (const [name, content] of Object.entries(files)) body.append(name, new Blob([content]), `${name}.txt`);
  const response = await fetch(`${api}/api/v1/executions/${namespace}/${flowId}`, {
    method: 'POST',
    body,
    headers: authHeaders(api),
  });
  const created = (await response.json()) as ExecutionJson;
  if (response.status >= 300) throw new Error(`execution refused: ${JSON.stringify(created)}`);
  return created;
}

const TERMINAL = new Set(['SUCCESS', 'WARNING', 'FAILED', 'KILLED', 'CANCELLED', 'RETRIED']);

/** Follows the execution's server-sent events until one says it ended; returns that execution. */
export async function waitForEnd(api: string, id: string, timeoutMs = 30_000): Promise<ExecutionJson> {
  return waitForExecution(api, id, (e) => TERMINAL.has(e.state.current), timeoutMs);
}

export async function waitForExecution(
  api: string,
  id: string,
  until: (execution: ExecutionJson) => boolean,
  timeoutMs = 30_000,
): Promise<ExecutionJson> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let last: ExecutionJson | undefined;
  try {
    const response = await fetch(`${api}/api/v1/executions/${id}/follow`, {
      signal: controller.signal,
      headers: authHeaders(api),
    });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .find((l) => l.startsWith('data:'));
        buffer = buffer.slice(end + 2);
        if (!data) continue;
        last = JSON.parse(data.slice(5)) as ExecutionJson;
        if (until(last)) return last;
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  throw new Error(
    `execution ${id} did not reach the expected state; last seen: ${JSON.stringify(last?.state)}`,
  );
}
