import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.ts';
import { startBroker, type TestBroker } from '../test-support/broker.ts';
import { waitUntil } from '../test-support/wait.ts';
import { disableNagle, MqttTransport } from './mqtt.ts';
import { brokerUrl } from './url.ts';

describe('broker URLs', () => {
  it('accepts mqtt, mqtts, ws and wss, giving WebSocket URLs the /mqtt path', () => {
    expect(brokerUrl('mqtt://cp:1883')).toBe('mqtt://cp:1883');
    expect(brokerUrl('mqtts://cp:8883')).toBe('mqtts://cp:8883');
    expect(brokerUrl('ws://cp:8080')).toBe('ws://cp:8080/mqtt');
    expect(brokerUrl('wss://cp.example/')).toBe('wss://cp.example/mqtt');
    expect(brokerUrl('wss://cp.example/roost/mqtt')).toBe('wss://cp.example/roost/mqtt');
  });

  it('refuses other protocols and non-URLs naming --url', () => {
    expect(() => brokerUrl('http://cp:8080')).toThrow(/--url.*http:/);
    expect(() => brokerUrl('cp:1883:x')).toThrow(/--url/);
  });
});

describe('MQTT transport', () => {
  let broker: TestBroker | undefined;
  let transport: MqttTransport | undefined;
  afterEach(async () => {
    await transport?.stop();
    await broker?.close();
  });

  it('turns Nagle off on TCP sockets', () => {
    const calls: boolean[] = [];
    const client = { stream: { setNoDelay: (on: boolean) => calls.push(on) } } as unknown as MqttClient;
    disableNagle(client);
    disableNagle({ stream: {} } as unknown as MqttClient);
    expect(calls).toEqual([true]);
  });

  it('keeps retrying a refused secret and connects once the broker accepts it', async () => {
    let accept = false;
    broker = await startBroker({ secret: 'right' });
    const refusals: string[] = [];
    broker.aedes.authenticate = (client, _user, password, done) => {
      if (accept && password?.toString() === 'wrong') return done(null, true);
      refusals.push(client.id);
      const error = Object.assign(new Error('refused'), { returnCode: 4 as const });
      done(error, false);
    };
    transport = new MqttTransport({
      url: broker.url,
      agentId: 'retrying-agent',
      secret: 'wrong',
      logger: silentLogger,
      backoff: { baseMs: 10, capMs: 40, stableAfterMs: 1_000 },
    });
    const connected = new Promise<string>((resolve) => {
      transport?.start({
        onConnected: resolve,
        onDisconnected: () => {},
        onJob: () => {},
        onControl: () => {},
      });
    });
    await waitUntil(() => refusals.length >= 2, 'the broker refused the agent twice');
    expect(transport.connected).toBe(false);
    accept = true;
    const sessionId = await connected;
    expect(transport.sessionId).toBe(sessionId);
  });
});
