// An agent that is nothing but an MQTT client speaking the protocol, for tests that decide exactly when
// each message goes and what it says: it says hello, keeps what it is sent, and publishes what it is told.
import mqtt, { type MqttClient } from 'mqtt';
import { makeResult } from '../../agent/test-support/fixtures.ts';
import {
  type Control,
  encode,
  type Hello,
  type Job,
  PROTOCOL_VERSION,
  type Result,
} from '../../protocol/index.ts';
import { agentDownSubscription, upTopic } from '../../protocol/topics.ts';
import { type InProcessPlane, until } from './in-process.ts';

export interface BareAgent {
  readonly agentId: string;
  readonly client: MqttClient;
  /** jobs it was sent, in order (tests may empty it) */
  readonly jobs: Job[];
  /** control messages it was sent, in order (tests may empty it) */
  readonly controls: Control[];
  /** Publishes a result of `job`: SUCCESS with no outputs, run for no time, unless `fields` say else. */
  sendResult(job: Job, fields?: Partial<Result>): Promise<void>;
  close(): Promise<void>;
}

/** Connects it to `plane`'s broker and says hello (slots 1 unless `hello` says else); resolves once welcomed. */
export async function connectBareAgent(
  plane: InProcessPlane,
  agentId: string,
  hello: Partial<Hello> = {},
): Promise<BareAgent> {
  let n = 0;
  const envelope = () => ({ v: PROTOCOL_VERSION, id: `${agentId}.${++n}` });
  const client = await mqtt.connectAsync(plane.mqttUrl, {
    clientId: agentId,
    username: agentId,
    password: plane.secret,
    reconnectPeriod: 0,
  });
  const jobs: Job[] = [];
  const controls: Control[] = [];
  client.on('message', (topic, payload) => {
    const message = JSON.parse(payload.toString());
    if (topic.endsWith('/jobs')) jobs.push(message);
    else controls.push(message);
  });
  await client.subscribeAsync(agentDownSubscription(agentId), { qos: 1 });
  await client.publishAsync(
    upTopic(agentId, 'hello'),
    encode({
      ...envelope(),
      agentId,
      sessionId: 'session-1',
      name: agentId,
      agentVersion: '0.0.0-test',
      labels: {},
      slots: 1,
      maintenance: false,
      held: [],
      ...hello,
    }),
    { qos: 1 },
  );
  await until(async () => controls.some((c) => c.kind === 'welcome'), `the welcome of ${agentId}`);
  return {
    agentId,
    client,
    jobs,
    controls,
    async sendResult(job, fields = {}) {
      await client.publishAsync(upTopic(agentId, 'result'), encode(makeResult(job, fields)), { qos: 1 });
    },
    async close() {
      await client.endAsync(true);
    },
  };
}
