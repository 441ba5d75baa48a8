// TLS from configured certificate files: HTTPS for the API (with Secure session cookies), wss:// for
// MQTT over WebSocket and mqtts:// for MQTT over TCP. The certificate is made at test time with openssl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess } from '../support/in-process.ts';

function certificate(dir: string) {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-subj',
      '/CN=roost-test',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8') };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function https(
  url: string,
  ca: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {}, ca },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('TLS', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;
  let dir: string;
  let cert: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'roost-tls-'));
    const files = certificate(dir);
    cert = files.cert;
    db = await createTestDatabase();
    plane = await startInProcess(db.url!, { tls: files });
  }, 60_000);

  afterAll(async () => {
    await plane?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the API over HTTPS only, and marks session cookies Secure', async () => {
    expect(plane.api).toMatch(/^https:/);
    const health = await https(`${plane.api}/health`, cert);
    expect(health.status).toBe(200);
    await expect(fetch(`${plane.api.replace('https:', 'http:')}/health`)).rejects.toThrow();
    await expect(https(`${plane.api}/health`, 'not a certificate authority')).rejects.toThrow();

    const admin = { authorization: `Bearer ${plane.adminToken}`, 'content-type': 'application/json' };
    const user = await https(`${plane.api}/api/v1/users`, cert, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'tess', role: 'viewer', password: 'over tls please' }),
    });
    expect(user.status).toBe(201);
    const login = await https(`${plane.api}/api/v1/login`, cert, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'tess', password: 'over tls please' }),
    });
    expect(login.status).toBe(200);
    expect(String(login.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
  });

  it('runs a task on an agent connected over mqtts://', async () => {
    expect(plane.mqttUrl).toMatch(/^mqtts:/);
    await plane.agent('over-tls');
    const admin = { authorization: `Bearer ${plane.adminToken}` };
    const flow = await https(`${plane.api}/api/v1/flows`, cert, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/x-yaml' },
      body: 'id: secure\nnamespace: tls\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.debug.Return\n    format: sealed\n',
    });
    expect(flow.status).toBe(201);
    const created = await https(`${plane.api}/api/v1/executions/tls/secure`, cert, {
      method: 'POST',
      headers: admin,
    });
    const id = (JSON.parse(created.body) as { id: string }).id;
    const followed = await https(`${plane.api}/api/v1/executions/${id}/follow`, cert, { headers: admin });
    expect(followed.body).toContain('"current":"SUCCESS"');
    expect(followed.body).toContain('sealed');
  });

  it('accepts MQTT over wss:// and refuses plain MQTT on the TLS port', async () => {
    const port = new URL(plane.api).port;
    const client = await mqtt.connectAsync(`wss://127.0.0.1:${port}/mqtt`, {
      clientId: 'ws-tls',
      username: 'ws-tls',
      password: plane.secret,
      ca: cert,
      reconnectPeriod: 0,
    });
    expect(client.connected).toBe(true);
    await client.endAsync();
    const plain = mqtt.connect(plane.mqttUrl.replace('mqtts:', 'mqtt:'), {
      clientId: 'plain',
      username: 'plain',
      password: plane.secret,
      reconnectPeriod: 0,
    });
    const outcome = await new Promise<string>((resolve) => {
      plain.once('connect', () => resolve('connected'));
      plain.once('close', () => resolve('closed'));
    });
    plain.end(true);
    expect(outcome).toBe('closed');
  });
});
