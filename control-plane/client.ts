// A small client of Roost's REST API for the CLI: errors come back as RoostErrors with the server's text.
import { type ErrorCode, RoostError } from '../protocol/index.ts';

export interface ApiClientOptions {
  server: string;
  token?: string | undefined;
}

export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  private url(path: string): string {
    return new URL(
      path,
      this.options.server.endsWith('/') ? this.options.server : `${this.options.server}/`,
    ).toString();
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}), ...extra };
  }

  async request<T>(method: string, path: string, body?: { type: string; data: string }): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url(path), {
        method,
        headers: this.headers(body ? { 'content-type': body.type } : {}),
        ...(body ? { body: body.data } : {}),
      });
    } catch (error) {
      throw new RoostError(
        'ROOST_CONFIG',
        `cannot reach the Roost server at ${this.options.server}: ${(error as Error).cause ?? error}`,
      );
    }
    const text = await response.text();
    const parsed = text ? safeJson(text) : undefined;
    if (!response.ok) {
      const problem = parsed as { code?: ErrorCode; message?: string; details?: unknown } | undefined;
      const hint =
        response.status === 401 && !this.options.token
          ? ' (no API token given: set ROOST_TOKEN or pass --token)'
          : '';
      throw new RoostError(
        problem?.code ?? 'ROOST_INTERNAL',
        `${problem?.message ?? `HTTP ${response.status}: ${text}`}${hint}`,
        {
          details: problem?.details,
        },
      );
    }
    return parsed as T;
  }

  /** Reads a server-sent event stream, calling `onEvent` with each event's parsed data, until it ends. */
  async follow(path: string, onEvent: (data: unknown) => void): Promise<void> {
    const response = await fetch(this.url(path), { headers: this.headers({ accept: 'text/event-stream' }) });
    if (!response.ok || !response.body) {
      const text = await response.text();
      const problem = safeJson(text) as { code?: ErrorCode; message?: string } | undefined;
      throw new RoostError(problem?.code ?? 'ROOST_INTERNAL', problem?.message ?? `HTTP ${response.status}`);
    }
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (data) onEvent(safeJson(data));
        end = buffer.indexOf('\n\n');
      }
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
