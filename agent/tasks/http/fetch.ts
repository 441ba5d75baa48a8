// Sends a request with the task's timeouts and kill signal, and reads the body as a stream of chunks.
import { RoostError } from '../../../protocol/errors.ts';
import type { HttpCall } from './request-options.ts';

export interface Exchange {
  response: Response;
  /** the body's chunks; a silence longer than readIdleTimeout, or a kill, ends it with an error */
  chunks(): AsyncGenerator<Uint8Array>;
}

export async function send(call: HttpCall, signal: AbortSignal): Promise<Exchange> {
  const abort = new AbortController();
  const onKill = () => abort.abort(new Error('killed'));
  signal.addEventListener('abort', onKill, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number | undefined, what: string) => {
    clearTimeout(timer);
    if (ms !== undefined) timer = setTimeout(() => abort.abort(new Error(what)), ms);
  };
  const done = () => {
    clearTimeout(timer);
    signal.removeEventListener('abort', onKill);
  };
  arm(
    call.connectTimeoutMs,
    `no response within ${call.connectTimeoutMs} ms (options.timeout.connectTimeout)`,
  );
  let response: Response;
  try {
    response = await fetch(call.uri, { ...call.init, signal: abort.signal });
  } catch (error) {
    done();
    const reason = abort.signal.aborted ? (abort.signal.reason as Error).message : describe(error);
    throw new RoostError('ROOST_TASK_FAILED', `${call.init.method} ${call.uri} failed: ${reason}`, {
      retryable: true,
    });
  }
  const idle = `no data for ${call.readIdleTimeoutMs} ms (options.timeout.readIdleTimeout)`;
  return {
    response,
    async *chunks() {
      try {
        if (!response.body) return;
        arm(call.readIdleTimeoutMs, idle);
        for await (const chunk of response.body) {
          arm(call.readIdleTimeoutMs, idle);
          yield chunk;
        }
      } catch (error) {
        const reason = abort.signal.aborted ? (abort.signal.reason as Error).message : describe(error);
        throw new RoostError('ROOST_TASK_FAILED', `reading the response of ${call.uri} failed: ${reason}`, {
          retryable: true,
        });
      } finally {
        done();
      }
    },
  };
}

/** fetch hides the reason of a network error in `cause` (ECONNREFUSED, ...). */
function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** Response headers as Kestra gives them: each name to the list of its values. */
export function headerLists(headers: Headers): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of headers) out[name] = [...(out[name] ?? []), value];
  const cookies = headers.getSetCookie();
  if (cookies.length) out['set-cookie'] = cookies;
  return out;
}
