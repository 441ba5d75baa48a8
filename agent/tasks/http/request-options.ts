// What Kestra's HTTP tasks take: uri, method, headers, body or formData, contentType, and `options`
// (timeouts, redirects, authentication, size limit, allowFailed), rendered and turned into a fetch request.
import { parseIsoDuration } from '../../../protocol/flow/iso-time.ts';
import { stringMap, type TaskContext } from '../types.ts';

/** Kestra's default limit on a response kept in outputs. */
export const DEFAULT_MAX_CONTENT_LENGTH = 10 * 1024 * 1024;

export interface HttpCall {
  uri: string;
  init: RequestInit & { headers: Record<string, string> };
  /** ms until the response headers arrive (connect and first byte) */
  connectTimeoutMs: number | undefined;
  /** ms of silence allowed while the body arrives */
  readIdleTimeoutMs: number | undefined;
  maxContentLength: number;
  allowFailed: boolean;
}

const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

function duration(value: unknown, property: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'number' ? value : parseIsoDuration(String(value));
  if (ms === undefined || ms < 0) {
    throw new TypeError(
      `property '${property}' must be an ISO-8601 duration such as PT30S, not ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

function truthy(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}

/** The request a task describes; every bad property is named. */
export function httpCall(ctx: TaskContext): HttpCall {
  const uri = ctx.renderString('uri');
  if (!uri) throw new TypeError(`property 'uri' is required`);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new TypeError(`property 'uri': '${uri}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`property 'uri': only http:// and https:// are supported, not ${url.protocol}`);
  }
  const method = (ctx.renderString('method') ?? 'GET').toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new TypeError(`property 'method': '${method}' is not an HTTP method`);
  const headers = stringMap(ctx.render(ctx.task.headers, 'headers'), 'headers');
  const options = asRecord(ctx.render(ctx.task.options ?? {}, 'options'));
  const timeout = asRecord(options.timeout);
  authorize(headers, options);

  const init: HttpCall['init'] = {
    method,
    headers,
    redirect: options.followRedirects === false || options.followRedirects === 'false' ? 'manual' : 'follow',
  };
  const contentType = ctx.renderString('contentType');
  const formData = ctx.render(ctx.task.formData, 'formData');
  const body = ctx.task.body === undefined ? undefined : ctx.render(ctx.task.body, 'body');
  if (formData !== undefined && formData !== null) {
    const fields = stringMap(formData, 'formData');
    if (contentType?.toLowerCase().startsWith('multipart/form-data')) {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      init.body = form; // fetch writes the boundary into the content type
    } else {
      init.body = new URLSearchParams(fields).toString();
      headers['content-type'] ??= contentType ?? 'application/x-www-form-urlencoded';
    }
  } else if (body !== undefined && body !== null) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    if (!hasHeader(headers, 'content-type')) headers['content-type'] = contentType ?? 'application/json';
  }
  const maxContentLength = Number(options.maxContentLength ?? DEFAULT_MAX_CONTENT_LENGTH);
  if (!Number.isInteger(maxContentLength) || maxContentLength < 1) {
    throw new TypeError(`property 'options.maxContentLength' must be a positive whole number of bytes`);
  }
  return {
    uri: url.toString(),
    init,
    connectTimeoutMs: duration(
      timeout.connectTimeout ?? options.connectTimeout,
      'options.timeout.connectTimeout',
    ),
    readIdleTimeoutMs: duration(
      timeout.readIdleTimeout ?? options.readIdleTimeout ?? options.readTimeout,
      'options.timeout.readIdleTimeout',
    ),
    maxContentLength,
    allowFailed: truthy(options.allowFailed) || truthy(ctx.render(ctx.task.allowFailed, 'allowFailed')),
  };
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

/** `options.auth` ({type: BASIC, username, password} or {type: BEARER, token}) and the older basicAuthUser. */
function authorize(headers: Record<string, string>, options: Record<string, unknown>): void {
  const auth = asRecord(options.auth);
  const type = String(auth.type ?? '').toUpperCase();
  if (type === 'BASIC' || options.basicAuthUser !== undefined) {
    const user = String(auth.username ?? options.basicAuthUser ?? '');
    const password = String(auth.password ?? options.basicAuthPassword ?? '');
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  } else if (type === 'BEARER') {
    headers.authorization = `Bearer ${String(auth.token ?? '')}`;
  } else if (type) {
    throw new TypeError(`property 'options.auth.type': ${type} is not supported (BASIC or BEARER)`);
  }
}
