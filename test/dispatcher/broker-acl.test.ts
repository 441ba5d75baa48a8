// The broker's rules, tried from outside over TCP and WebSocket, with mqtt.js and with Mosquitto's own
// clients: bad client ids, another agent's id or tree, wildcards, and oversize packets are all refused.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES } from '../../protocol/index.ts';
import { call } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess } from '../support/in-process.ts';

const run = promisify(execFile);

function connect(url: string, clientId: string, password: string, username = clientId): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId,
      username,
      password,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
    });
    client.once('connect', () => resolve(client));
    client.once('error', (error) => client.end(true, () => reject(error)));
  });
}

const closed = (client: MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()));

describe('the broker', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;
  let urls: Record<'tcp' | 'ws', string>;
  let enrolled: { agentId: string; credential: string };
  let other: { agentId: string; credential: string };
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
    urls = { tcp: plane.mqttUrl, ws: `${plane.api.replace('http', 'ws')}/mqtt` };
    const token = (await call<{ token: string }>(plane.api, 'POST', '/api/v1/agent-tokens', {})).body.token;
    enrolled = (await call<typeof enrolled>(plane.api, 'POST', '/api/v1/agents/register', { token })).body;
    other = (await call<typeof other>(plane.api, 'POST', '/api/v1/agents/register', { token })).body;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await plane?.stop();
    await db?.drop();
  });

  for (const transport of ['tcp', 'ws'] as const) {
    describe(`over ${transport}`, () => {
      it.each(['a+b', 'a#b', 'a/b', '$sys', 'roost/v1'])('refuses the client id %s', async (id) => {
        await expect(connect(urls[transport], id, plane.secret)).rejects.toThrow(/Identifier rejected/);
      });

      it("refuses an agent that takes another agent's client id, with its own credential or as another user", async () => {
        await expect(connect(urls[transport], other.agentId, enrolled.credential)).rejects.toThrow(
          /Not authorized/,
        );
        await expect(
          connect(urls[transport], other.agentId, enrolled.credential, enrolled.agentId),
        ).rejects.toThrow(/Bad username or password/);
      });

      it("refuses subscriptions outside the agent's own down tree, wildcards included", async () => {
        const client = await connect(urls[transport], enrolled.agentId, enrolled.credential);
        clients.push(client);
        for (const topic of [
          `roost/v1/agents/${other.agentId}/down/jobs`,
          `roost/v1/agents/${enrolled.agentId}/up/hello`,
          'roost/v1/agents/+/up/+',
          '#',
          `roost/v1/agents/${enrolled.agentId}/down/#`,
        ]) {
          // refused with SUBACK 0x80, which mqtt.js reports as a subscribe error
          await expect(client.subscribeAsync(topic, { qos: 1 }), topic).rejects.toThrow(/Subscribe error/);
        }
        const own = await client.subscribeAsync(`roost/v1/agents/${enrolled.agentId}/down/+`, { qos: 1 });
        expect(own[0]?.qos).toBe(1);
        await client.endAsync();
      });

      it("closes an agent that publishes into another agent's tree", async () => {
        const client = await connect(urls[transport], enrolled.agentId, enrolled.credential);
        clients.push(client);
        const gone = closed(client);
        client.publish(`roost/v1/agents/${other.agentId}/up/hello`, '{}', { qos: 1 });
        await gone;
      });

      it('refuses a message over the payload limit, and closes a connection sending an oversize packet', async () => {
        const client = await connect(urls[transport], enrolled.agentId, enrolled.credential);
        clients.push(client);
        const tooBig = Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20);
        const refused = closed(client);
        client.publish(`roost/v1/agents/${enrolled.agentId}/up/logs`, tooBig, { qos: 1 });
        await refused;

        const again = await connect(urls[transport], enrolled.agentId, enrolled.credential);
        clients.push(again);
        const cut = closed(again);
        again.publish(`roost/v1/agents/${enrolled.agentId}/up/logs`, Buffer.alloc(50 << 20, 0x20), {
          qos: 1,
        });
        await cut;
        expect((await call(plane.api, 'GET', '/health')).status).toBe(200);
      });
    });
  }

  describe('with Mosquitto clients', () => {
    const port = () => new URL(urls.tcp).port;

    it('refuses a client id with a wildcard', async () => {
      const result = run('mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        port(),
        '-i',
        'bad+id',
        '-u',
        'bad+id',
        '-P',
        plane.secret,
        '-t',
        'x',
        '-m',
        'y',
        '-q',
        '1',
      ]);
      await expect(result).rejects.toMatchObject({ stderr: expect.stringMatching(/identifier rejected/i) });
    });

    it("refuses another agent's client id", async () => {
      const result = run('mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        port(),
        '-i',
        other.agentId,
        '-u',
        other.agentId,
        '-P',
        enrolled.credential,
        '-t',
        'x',
        '-m',
        'y',
        '-q',
        '1',
      ]);
      await expect(result).rejects.toMatchObject({ stderr: expect.stringMatching(/not authori[sz]ed/i) });
    });

    it("denies a subscription to another agent's tree", async () => {
      const result = run('mosquitto_sub', [
        '-h',
        '127.0.0.1',
        '-p',
        port(),
        '-i',
        enrolled.agentId,
        '-u',
        enrolled.agentId,
        '-P',
        enrolled.credential,
        '-t',
        `roost/v1/agents/${other.agentId}/down/+`,
        '-C',
        '1',
        '-W',
        '5',
      ]);
      expect((await result).stderr).toMatch(/All subscription requests were denied/);
    });
  });
});
