// Oversize and malicious input is refused with a clear error, changes nothing, and the server keeps
// answering: a 10 MB request body, a 1 KB YAML alias bomb, a body sent without credentials, and a
// 50 MB MQTT publish over the webserver's WebSocket.
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upTopic } from '../../protocol/index.ts';
import { call } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess } from '../support/in-process.ts';

type Problem = { code: string; message: string };

/** A flow whose variables expand to 10^8 nodes through nested aliases, in about 1 KB of YAML. */
function aliasBomb(): string {
  const lines = ['id: bomb', 'namespace: limits', 'variables:', '  a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let level = 1; level < 9; level++) {
    const previous = String.fromCharCode(96 + level);
    const name = String.fromCharCode(97 + level);
    lines.push(`  ${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`);
  }
  lines.push('tasks:', '  - id: t', '    type: io.kestra.plugin.core.log.Log', '    message: boom');
  return `${lines.join('\n')}\n`;
}

describe('input limits', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
  }, 60_000);

  afterAll(async () => {
    await plane?.stop();
    await db?.drop();
  });

  const flowCount = async () =>
    (await call<{ total: number }>(plane.api, 'GET', '/api/v1/flows/search')).body.total;
  const executionCount = async () =>
    (await call<{ total: number }>(plane.api, 'GET', '/api/v1/executions/search')).body.total;

  it('refuses a 10 MB body with 413 naming the limit, and keeps answering', async () => {
    await call(
      plane.api,
      'POST',
      '/api/v1/flows',
      'id: small\nnamespace: limits\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n',
      'application/x-yaml',
    );
    const [flows, executions] = [await flowCount(), await executionCount()];
    const big = 'x'.repeat(10 * 1024 * 1024);
    const json = await call<Problem>(plane.api, 'POST', '/api/v1/executions/limits/small', { big });
    expect(json.status).toBe(413);
    expect(json.body.code).toBe('ROOST_PAYLOAD_TOO_LARGE');
    expect(json.body.message).toBe('the request body is over the limit of 1048576 bytes');
    const yaml = await call<Problem>(
      plane.api,
      'POST',
      '/api/v1/flows',
      `id: big\n# ${big}\n`,
      'application/x-yaml',
    );
    expect(yaml.status).toBe(413);
    expect((await call(plane.api, 'GET', '/health')).body).toEqual({ status: 'UP' });
    expect([await flowCount(), await executionCount()]).toEqual([flows, executions]);
  });

  it('answers a large body without credentials with 401, before reading it', async () => {
    const res = await call<Problem>(
      plane.api,
      'POST',
      '/api/v1/flows',
      'y'.repeat(10 * 1024 * 1024),
      'application/x-yaml',
      null,
    );
    expect(res.status).toBe(401);
  });

  it('refuses a YAML alias bomb with a clear error and stores nothing', async () => {
    const source = aliasBomb();
    expect(source.length).toBeLessThan(1200);
    const before = await flowCount();
    for (const path of ['/api/v1/flows', '/api/v1/flows/validate']) {
      const res = await call<Problem & [{ constraints: string }]>(
        plane.api,
        'POST',
        path,
        source,
        'application/x-yaml',
      );
      const text = JSON.stringify(res.body);
      expect(text).toContain('alias count');
      if (path === '/api/v1/flows') {
        expect(res.status).toBe(422);
        expect(res.body.code).toBe('ROOST_FLOW_YAML');
      }
    }
    expect(await flowCount()).toBe(before);
    expect((await call(plane.api, 'GET', '/api/v1/flows/limits/bomb')).status).toBe(404);
    expect((await call(plane.api, 'GET', '/health')).body).toEqual({ status: 'UP' });
  });

  it('cuts off a 50 MB MQTT publish over WebSocket, and the broker and the API keep serving', async () => {
    const wsUrl = `${plane.api.replace('http:', 'ws:')}/mqtt`;
    const connect = (id: string) =>
      mqtt.connectAsync(wsUrl, { clientId: id, username: id, password: plane.secret, reconnectPeriod: 0 });
    const flooder = await connect('flooder');
    const closed = new Promise<void>((resolve) => flooder.once('close', () => resolve()));
    flooder.publish(upTopic('flooder', 'result'), Buffer.alloc(50 * 1024 * 1024, 120), { qos: 0 });
    await closed;
    flooder.end(true);
    expect((await call(plane.api, 'GET', '/health')).body).toEqual({ status: 'UP' });
    const next = await connect('after-flood');
    expect(next.connected).toBe(true);
    await next.endAsync();
  });
});
