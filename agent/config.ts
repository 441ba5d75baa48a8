// `roost agent start` configuration: flags over ROOST_* environment over defaults, checked with errors naming the flag.
import { readFileSync } from 'node:fs';
import { availableParallelism, homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RoostError } from '../protocol/errors.ts';
import { isValidAgentId } from '../protocol/topics.ts';
import { type AgentHooks, HookName } from './hooks.ts';
import { readEnrolment } from './identity.ts';
import { readSecretsFile } from './secrets.ts';
import { brokerUrl } from './transport/url.ts';

export interface AgentConfig {
  url: string;
  secret: string;
  name: string;
  labels: Record<string, string>;
  slots: number;
  dataDir: string;
  /** given with --agent-id or ROOST_AGENT_ID; otherwise the id kept in the data directory */
  agentId: string | undefined;
  /** the control plane's HTTP base URL, for files; undefined = derived from a ws:// or wss:// --url */
  serverUrl: string | undefined;
  /** a port on 127.0.0.1 serving GET /health and GET /status; undefined = none */
  healthPort: number | undefined;
  /** registered with `roost agent register`: the credential lives in agent.json and may be rotated */
  enrolled: boolean;
  /** the certificate authority read from --ca-file, trusted for mqtts:// and wss:// */
  tls?: { ca: string };
  /** ephemeral: one job, then exit (slots is 1) */
  once: boolean;
  /** slots of offline-capable jobs held beyond `slots` */
  prefetch: number;
  /** slots of jobs held ready beyond `slots` while jobs run short (undefined: the agent's default) */
  ready?: number;
  /** switch to a newer bundle the control plane advertises, when idle, and restart (install.sh only) */
  autoUpgrade: boolean;
  hooks: AgentHooks;
  /** secrets read from --secrets-file */
  secrets?: Record<string, string>;
}

export const AGENT_START_USAGE = `usage: roost agent start --url URL [--labels k=v,...] [--slots N] [--name NAME]
                         [--data-dir DIR] [--secret S] [--agent-id ID]
  --url        where the control plane's broker is: mqtt://, mqtts://, ws:// or wss://  (ROOST_URL)
  --labels     labels of this agent, e.g. region=eu-west,gpu=true                (ROOST_AGENT_LABELS)
  --slots      how many job slots it runs at once (default: CPU count)            (ROOST_AGENT_SLOTS)
  --name       display name (default: host name)                                  (ROOST_AGENT_NAME)
  --data-dir   buffer, identity and working directories (default: ~/.roost-agent) (ROOST_DATA_DIR)
  --secret     the agent credential (prefer the environment: flags show in ps)    (ROOST_AGENT_SECRET)
  --agent-id   use this id instead of the one kept in the data directory          (ROOST_AGENT_ID)
  --server     the control plane's HTTP URL, for files (default: from a ws/wss --url) (ROOST_SERVER)
  --health-port serve GET /health and /status on 127.0.0.1:PORT (default: none)  (ROOST_AGENT_HEALTH_PORT)
  --hook-start, --hook-before-job, --hook-after-job, --hook-stop  commands run through sh at
               agent start, before a job (non-zero exit refuses it), after a job, at agent stop
               (ROOST_HOOK_START, ...); ROOST_JOB_ID, ROOST_TASK_ID, ... describe the job
  --secrets-file NAME=value lines for {{ secret('NAME') }}, mode 0600 (ROOST_SECRETS_FILE);
               ROOST_SECRET_NAME variables count too. Values never reach the control plane.
  --prefetch   slots of offline-capable jobs to hold beyond --slots, so that they run
               even if the link drops (default 0)                                  (ROOST_AGENT_PREFETCH)
  --ready      slots of jobs to hold ready beyond --slots while jobs finish within 50 ms,
               so that a freed slot starts the next at once (one that waits 0.5 s goes back
               to the control plane); 0 turns it off (default: 8, or --slots if more) (ROOST_AGENT_READY)
  --once       ephemeral: run one job, deliver its result, exit 0 (one slot)
  --ca-file    PEM certificates to trust for mqtts:// and wss:// (a private CA)   (ROOST_CA_FILE)
  --auto-upgrade  (installed by install.sh) when the control plane serves a newer bundle: fetch
               and verify it, drain, switch (the previous one kept for rollback), restart
                                                                                    (ROOST_AGENT_AUTO_UPGRADE=1)
WebSocket URLs honour HTTPS_PROXY (wss://), HTTP_PROXY (ws://) and NO_PROXY.`;

const configError = (message: string) => new RoostError('ROOST_CONFIG', message);

/** Parses `k=v,k2=v2`; `source` names the flag or variable in errors. */
export function parseLabels(text: string, source: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? '' : pair.slice(0, eq).trim();
    if (!key) throw configError(`${source}: "${pair}" is not of the form key=value`);
    labels[key] = pair.slice(eq + 1).trim();
  }
  return labels;
}

function parseSlots(text: string, source: string): number {
  const slots = Number(text);
  if (!/^\d+$/.test(text.trim()) || slots < 1 || slots > 4096) {
    throw configError(`${source}: "${text}" is not a whole number of slots between 1 and 4096`);
  }
  return slots;
}

/** Reads `roost agent start` flags (without the `start`) and the environment. */
export function resolveAgentConfig(argv: string[], env: NodeJS.ProcessEnv): AgentConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        labels: { type: 'string' },
        slots: { type: 'string' },
        name: { type: 'string' },
        'data-dir': { type: 'string' },
        secret: { type: 'string' },
        'agent-id': { type: 'string' },
        'health-port': { type: 'string' },
        server: { type: 'string' },
        'ca-file': { type: 'string' },
        once: { type: 'boolean' },
        'auto-upgrade': { type: 'boolean' },
        prefetch: { type: 'string' },
        ready: { type: 'string' },
        'secrets-file': { type: 'string' },
        'hook-start': { type: 'string' },
        'hook-before-job': { type: 'string' },
        'hook-after-job': { type: 'string' },
        'hook-stop': { type: 'string' },
      },
    }));
  } catch (error) {
    throw configError(`${(error as Error).message}\n${AGENT_START_USAGE}`);
  }
  const pick = (flag: string, variable: string): { value: string | undefined; source: string } => {
    const fromFlag = values[flag];
    if (typeof fromFlag === 'string') return { value: fromFlag, source: `--${flag}` };
    return { value: env[variable] || undefined, source: variable };
  };

  const dataDir = resolve(pick('data-dir', 'ROOST_DATA_DIR').value ?? join(homedir(), '.roost-agent'));
  // an enrolled agent (roost agent register) finds its broker URL, credential, name and labels here
  const enrolled = readEnrolment(dataDir);
  const url = pick('url', 'ROOST_URL');
  url.value ??= enrolled?.url;
  if (!url.value)
    throw configError(
      '--url is required (or set ROOST_URL): where the control plane listens; or enrol with roost agent register',
    );
  const secret = enrolled
    ? { value: enrolled.credential, source: 'agent.json' }
    : pick('secret', 'ROOST_AGENT_SECRET');
  if (!secret.value)
    throw configError(
      'the agent has no credential: enrol it with roost agent register, or set ROOST_AGENT_SECRET (or pass --secret)',
    );
  const labels = pick('labels', 'ROOST_AGENT_LABELS');
  if (enrolled && labels.value === undefined)
    labels.value = Object.entries(enrolled.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  const slots = pick('slots', 'ROOST_AGENT_SLOTS');
  const agentId = pick('agent-id', 'ROOST_AGENT_ID');
  if (enrolled && agentId.value !== undefined && agentId.value !== enrolled.agentId)
    throw configError(`${agentId.source}: this data directory is enrolled as agent ${enrolled.agentId}`);
  if (agentId.value !== undefined && !isValidAgentId(agentId.value)) {
    throw configError(
      `${agentId.source}: "${agentId.value}" is not a valid agent id (letters, digits, . _ -)`,
    );
  }
  try {
    brokerUrl(url.value);
  } catch (error) {
    throw configError((error as Error).message.replace(/^--url/, url.source));
  }
  const caFile = pick('ca-file', 'ROOST_CA_FILE');
  const secretsFile = pick('secrets-file', 'ROOST_SECRETS_FILE');
  return {
    ...(secretsFile.value ? { secrets: readSecretsFile(secretsFile.value, secretsFile.source) } : {}),
    ...(caFile.value ? { tls: { ca: readCaFile(caFile.value, caFile.source) } } : {}),
    url: url.value,
    secret: secret.value,
    name: pick('name', 'ROOST_AGENT_NAME').value ?? enrolled?.name ?? hostname(),
    labels: labels.value ? parseLabels(labels.value, labels.source) : {},
    // --once runs one job: one slot, so the control plane never leases it a second
    slots: values.once ? 1 : slots.value ? parseSlots(slots.value, slots.source) : availableParallelism(),
    once: values.once === true,
    autoUpgrade: values['auto-upgrade'] === true || env.ROOST_AGENT_AUTO_UPGRADE === '1',
    prefetch: values.once ? 0 : (parseExtraSlots(pick('prefetch', 'ROOST_AGENT_PREFETCH')) ?? 0),
    ...readyOf(values.once === true, parseExtraSlots(pick('ready', 'ROOST_AGENT_READY'))),
    hooks: readHooks(pick),
    dataDir,
    agentId: agentId.value ?? enrolled?.agentId,
    // an enrolled agent reaches the HTTP API (file transfers) where it registered
    serverUrl: pick('server', 'ROOST_SERVER').value ?? enrolled?.server,
    enrolled: enrolled !== undefined,
    healthPort: parseHealthPort(pick('health-port', 'ROOST_AGENT_HEALTH_PORT')),
  };
}

/** The local health port: a whole number from 1 to 65535, or none. */
export function parseHealthPort(given: { value: string | undefined; source: string }): number | undefined {
  if (given.value === undefined || given.value === '') return undefined;
  const port = Number(given.value);
  if (!/^\d+$/.test(given.value.trim()) || port < 1 || port > 65_535) {
    throw configError(`${given.source}: "${given.value}" is not a port between 1 and 65535`);
  }
  return port;
}

/** The certificates of --ca-file: a readable file holding at least one PEM certificate. */
function readCaFile(path: string, source: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw configError(`${source}: cannot read "${path}": ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw configError(`${source}: "${path}" holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return text;
}

/** The hook commands from --hook-NAME or ROOST_HOOK_NAME (e.g. ROOST_HOOK_BEFORE_JOB). */
function readHooks(pick: (flag: string, variable: string) => { value: string | undefined }): AgentHooks {
  const hooks: AgentHooks = {};
  for (const name of Object.values(HookName)) {
    const { value } = pick(`hook-${name}`, `ROOST_HOOK_${name.toUpperCase().replace('-', '_')}`);
    if (value?.trim()) hooks[name] = value;
  }
  return hooks;
}

/** --ready: none for --once (one job, then exit); unset means the agent's default. */
function readyOf(once: boolean, ready: number | undefined): { ready?: number } {
  if (once) return { ready: 0 };
  return ready === undefined ? {} : { ready };
}

/** A count of slots beyond --slots (--prefetch, --ready): a whole number from 0 to 4096, or unset. */
function parseExtraSlots(given: { value: string | undefined; source: string }): number | undefined {
  if (given.value === undefined || given.value === '') return undefined;
  const n = Number(given.value);
  if (!/^\d+$/.test(given.value.trim()) || n > 4096) {
    throw configError(`${given.source}: "${given.value}" is not a whole number of slots between 0 and 4096`);
  }
  return n;
}
