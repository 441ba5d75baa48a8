// HTTP Request and Download against a real HTTP server on 127.0.0.1.

import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { memoryFiles } from '../../test-support/memory-files.ts';
import { startTask, type TaskRun } from '../../test-support/task-harness.ts';
import { download, request } from './tasks.ts';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
const routes = new Map<string, Handler>();
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const handler = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
      if (!handler) {
        res.writeHead(404).end('no such page');
        return;
      }
      handler(req, Buffer.concat(chunks).toString(), res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  routes.set('/echo', (req, body, res) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-trace', 'abc');
    res.end(
      JSON.stringify({
        method: req.method,
        body,
        contentType: req.headers['content-type'] ?? null,
        auth: req.headers.authorization ?? null,
        custom: req.headers['x-custom'] ?? null,
      }),
    );
  });
  routes.set('/file.csv', (_req, _body, res) => {
    res.setHeader('content-disposition', 'attachment; filename="report.csv"');
    res.end('a,b\n1,2\n');
  });
  routes.set('/empty', (_req, _body, res) => res.end());
  routes.set('/stall', (_req, _body, res) => {
    res.writeHead(200);
    res.write('first');
    // never ends: the idle timeout must
    setTimeout(() => res.end(), 60_000).unref();
  });
  routes.set('/redirect', (_req, _body, res) => res.writeHead(302, { location: '/echo' }).end());
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const runs: TaskRun[] = [];
async function run(...args: Parameters<typeof startTask>) {
  const r = startTask(...args);
  runs.push(r);
  return { ...(await r.outcome), logs: r.logs.map((l) => l.message) };
}
afterEach(() => {
  for (const r of runs.splice(0)) rmSync(r.workRoot, { recursive: true, force: true });
});

describe('http Request', () => {
  it('sends method, headers and a JSON body and gives code, headers and body as outputs', async () => {
    const out = await run(
      request,
      {
        uri: `${base}/echo`,
        method: 'POST',
        headers: { 'x-custom': '{{ inputs.who }}' },
        body: '{"n": {{ 1 + 1 }}}',
      },
      { context: { inputs: { who: 'Ada' } } },
    );
    expect(out.outputs?.code).toBe(200);
    expect((out.outputs?.headers as Record<string, string[]> | undefined)?.['x-trace']).toEqual(['abc']);
    expect(JSON.parse(String(out.outputs?.body))).toEqual({
      method: 'POST',
      body: '{"n": 2}',
      contentType: 'application/json',
      auth: null,
      custom: 'Ada',
    });
    expect(out.outputs?.uri).toBe(`${base}/echo`);
  });

  it('sends formData url-encoded, or as multipart when contentType says so', async () => {
    const encoded = await run(request, {
      uri: `${base}/echo`,
      method: 'POST',
      formData: { user: 'John Doe' },
    });
    expect(JSON.parse(String(encoded.outputs?.body))).toMatchObject({
      body: 'user=John+Doe',
      contentType: 'application/x-www-form-urlencoded',
    });
    const multipart = await run(request, {
      uri: `${base}/echo`,
      method: 'POST',
      contentType: 'multipart/form-data',
      formData: { user: 'John' },
    });
    const seen = JSON.parse(String(multipart.outputs?.body)) as { body: string; contentType: string };
    expect(seen.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen.body).toContain('name="user"\r\n\r\nJohn');
  });

  it('authenticates with options.auth (BASIC, BEARER)', async () => {
    const basic = await run(request, {
      uri: `${base}/echo`,
      options: { auth: { type: 'BASIC', username: 'u', password: 'p' } },
    });
    expect(JSON.parse(String(basic.outputs?.body)).auth).toBe(
      `Basic ${Buffer.from('u:p').toString('base64')}`,
    );
    const bearer = await run(request, {
      uri: `${base}/echo`,
      options: { auth: { type: 'BEARER', token: 't0k' } },
    });
    expect(JSON.parse(String(bearer.outputs?.body)).auth).toBe('Bearer t0k');
  });

  it('fails on an error status unless allowFailed', async () => {
    await expect(run(request, { uri: `${base}/missing` })).rejects.toThrow(
      `Failed http request with response code '404' from ${base}/missing`,
    );
    const allowed = await run(request, { uri: `${base}/missing`, options: { allowFailed: true } });
    expect(allowed.outputs).toMatchObject({ code: 404, body: 'no such page' });
    const old = await run(request, { uri: `${base}/missing`, allowFailed: true });
    expect(old.outputs?.code).toBe(404);
  });

  it('follows redirects unless told not to', async () => {
    expect((await run(request, { uri: `${base}/redirect` })).outputs?.code).toBe(200);
    const manual = await run(request, { uri: `${base}/redirect`, options: { followRedirects: false } });
    expect(manual.outputs?.code).toBe(302);
  });

  it('ends a stalled response after readIdleTimeout', async () => {
    await expect(
      run(request, { uri: `${base}/stall`, options: { timeout: { readIdleTimeout: 'PT0.2S' } } }),
    ).rejects.toThrow('no data for 200 ms (options.timeout.readIdleTimeout)');
  });

  it('refuses a response over maxContentLength', async () => {
    await expect(run(request, { uri: `${base}/file.csv`, options: { maxContentLength: 4 } })).rejects.toThrow(
      'is over 4 bytes (options.maxContentLength)',
    );
  });

  it('names the property when the request is malformed, and the cause when the server is gone', async () => {
    await expect(run(request, { uri: 'ftp://example.com/x' })).rejects.toThrow(
      "property 'uri': only http:// and https:// are supported",
    );
    await expect(
      run(request, { uri: `${base}/echo`, options: { timeout: { connectTimeout: 'soon' } } }),
    ).rejects.toThrow("property 'options.timeout.connectTimeout' must be an ISO-8601 duration");
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(run(request, { uri: `http://127.0.0.1:${port}/` })).rejects.toThrow('ECONNREFUSED');
  });
});

describe('http Download', () => {
  it('stores the body in internal storage under the name the server gives', async () => {
    const files = memoryFiles();
    const out = await run(download, { uri: `${base}/file.csv` }, { files });
    expect(out.outputs).toMatchObject({
      uri: 'kestra:///ns/flow/executions/E/tasks/task/TR/report.csv',
      code: 200,
      length: 8,
    });
    expect(files.stored.get('kestra:///ns/flow/executions/E/tasks/task/TR/report.csv')).toBe('a,b\n1,2\n');
  });

  it('uses saveAs, and refuses a saveAs that is a path', async () => {
    const files = memoryFiles();
    const out = await run(download, { uri: `${base}/file.csv`, saveAs: 'mine.csv' }, { files });
    expect(out.outputs?.uri).toBe('kestra:///ns/flow/executions/E/tasks/task/TR/mine.csv');
    await expect(run(download, { uri: `${base}/file.csv`, saveAs: '../x' }, { files })).rejects.toThrow(
      "property 'saveAs': '../x' is not a file name",
    );
  });

  it('fails on an empty body unless failOnEmptyResponse is false', async () => {
    const files = memoryFiles();
    await expect(run(download, { uri: `${base}/empty` }, { files })).rejects.toThrow(
      'answered with an empty body',
    );
    const out = await run(download, { uri: `${base}/empty`, failOnEmptyResponse: false }, { files });
    expect(out.outputs).toMatchObject({
      uri: 'kestra:///ns/flow/executions/E/tasks/task/TR/empty',
      length: 0,
    });
  });

  it('fails on an error status', async () => {
    await expect(run(download, { uri: `${base}/missing` }, { files: memoryFiles() })).rejects.toThrow(
      "Failed http request with response code '404'",
    );
  });
});
