// The Agent's options, and the environments it derives from them (expression `envs`, child processes).
import { KESTRA_SECRET_PREFIX } from '../protocol/environment.ts';
import type { AgentBundle } from '../protocol/messages.ts';
import type { AgentBuffer } from './buffer/types.ts';
import type { AgentHooks } from './hooks.ts';
import type { Logger } from './logger.ts';
import { SECRET_ENV_PREFIX } from './secrets.ts';
import type { BackoffPolicy } from './transport/backoff.ts';
import type { AgentTransport } from './transport/types.ts';

export interface AgentOptions {
  /** broker URL: mqtt://, mqtts://, ws:// or wss:// */
  url: string;
  /** for mqtts:// and wss://: a certificate authority to trust, and the name to check the certificate against */
  tls?: { ca: string; servername?: string | undefined };
  agentId: string;
  secret: string;
  name: string;
  labels: Record<string, string>;
  slots: number;
  /** the control plane's HTTP base URL, for files (default: derived from a ws:// or wss:// broker URL) */
  serverUrl?: string;
  /** where the libSQL buffer and the jobs' working directories live */
  dataDir: string;
  logger?: Logger;
  /** environment for `envs` in expressions (variables named ENV_X become `envs.x`); default process.env */
  env?: Record<string, string | undefined>;
  /** heartbeat at least this often (the control plane's interval from Welcome applies when shorter) */
  heartbeatIntervalMs?: number;
  /** say Hello again when no Welcome came within this time (default 5 s) */
  helloRetryMs?: number;
  /** tell the control plane not to send new work */
  maintenance?: boolean;
  /** slots of offline-capable jobs it may hold beyond `slots`, to run if cut off (default 0) */
  prefetch?: number;
  /**
   * slots of jobs it may hold ready beyond `slots`, to start the moment a slot frees; the control plane
   * fills them only while this agent's jobs run short (default: `defaultReady(slots)`; none with `once`)
   */
  ready?: number;
  /** ephemeral: run one job, deliver its result, then stop */
  once?: boolean;
  /** secrets from --secrets-file; ROOST_SECRET_* variables of `env` are added (and win) */
  secrets?: Record<string, string>;
  /** commands run at start, before and after each job, and at stop (see hooks.ts) */
  hooks?: AgentHooks;
  /** time a killed task's process group gets between SIGTERM and SIGKILL (default 5 s) */
  killGraceMs?: number;
  backoff?: BackoffPolicy;
  /** a store other than the libSQL file in dataDir (tests, embedding) */
  buffer?: AgentBuffer;
  /** keeps a credential the control plane rotated in (without it, rotation is refused) */
  storeCredential?: (credential: string) => Promise<void>;
  /** the control plane advertised its agent bundle (in a Welcome, or a Rejected when `rejected`) */
  bundleAdvertised?: (bundle: AgentBundle, rejected: boolean) => void;
  /** a connection other than MQTT (tests, embedding) */
  transport?: AgentTransport;
}

/** Kestra's convention: ENV_MY_VAR is exposed to expressions as `envs.my_var`. */
export { ENV_PREFIX, expressionEnvs } from '../protocol/environment.ts';

/** Variables a task's processes must not inherit from the agent. */
const WITHHELD = new Set([
  'ROOST_AGENT_SECRET',
  'ROOST_TOKEN',
  'ROOST_REGISTRATION_TOKEN',
  'ROOST_ADMIN_TOKEN',
  'ROOST_SECRETS_FILE',
]);

/** The agent's own environment for child processes, without its credentials and local secrets (ROOST_SECRET_*, SECRET_*). */
/**
 * How many slots of jobs an agent holds ready by default: enough for a burst while the control plane
 * records the one before it (8 jobs), or its slots if it has more. A job held ready that waits longer
 * than RETURN_WAITING_AFTER_MS is given back, so a deep window costs another agent at most that.
 */
export function defaultReady(slots: number): number {
  return Math.max(slots, 8);
}

export function childEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (
      value !== undefined &&
      !WITHHELD.has(key) &&
      !key.startsWith(SECRET_ENV_PREFIX) &&
      !key.startsWith(KESTRA_SECRET_PREFIX)
    )
      out[key] = value;
  }
  return out;
}
