// MQTT topic tree: one subtree per agent, `roost/v1/agents/{agentId}/{down|up}/{kind}`.

export const TOPIC_ROOT = 'roost/v1/agents';

export const DownKind = { jobs: 'jobs', control: 'control' } as const;
export type DownKind = (typeof DownKind)[keyof typeof DownKind];

export const UpKind = {
  hello: 'hello',
  heartbeat: 'heartbeat',
  ack: 'ack',
  logs: 'logs',
  result: 'result',
  trigger: 'trigger',
  status: 'status',
  credential: 'credential',
} as const;
export type UpKind = (typeof UpKind)[keyof typeof UpKind];

const UP_KINDS: ReadonlySet<string> = new Set(Object.values(UpKind));

/** Agent ids are used inside topics and as MQTT client ids: no wildcards, separators or `$`. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isValidAgentId(id: string): boolean {
  return AGENT_ID_PATTERN.test(id);
}

export function downTopic(agentId: string, kind: DownKind): string {
  return `${TOPIC_ROOT}/${agentId}/down/${kind}`;
}

export function upTopic(agentId: string, kind: UpKind): string {
  return `${TOPIC_ROOT}/${agentId}/up/${kind}`;
}

/** The subscription the control plane holds for everything agents send. */
export const ALL_UP_TOPICS = `${TOPIC_ROOT}/+/up/+`;

/** The subscription an agent holds for everything sent to it. */
export function agentDownSubscription(agentId: string): string {
  return `${TOPIC_ROOT}/${agentId}/down/+`;
}

/** Splits an up topic into agent id and kind; undefined for anything else. */
export function parseUpTopic(topic: string): { agentId: string; kind: UpKind } | undefined {
  const parts = topic.split('/');
  if (parts.length !== 6 || `${parts[0]}/${parts[1]}/${parts[2]}` !== TOPIC_ROOT || parts[4] !== 'up') {
    return undefined;
  }
  const agentId = parts[3] ?? '';
  const kind = parts[5] ?? '';
  if (!isValidAgentId(agentId) || !UP_KINDS.has(kind)) return undefined;
  return { agentId, kind: kind as UpKind };
}

/** True when `topic` lies inside the given agent's own tree (used by the broker's ACL). */
export function inAgentTree(agentId: string, topic: string, direction: 'up' | 'down'): boolean {
  return topic.startsWith(`${TOPIC_ROOT}/${agentId}/${direction}/`);
}
