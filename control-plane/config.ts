// Server configuration: one typed schema; flags > environment (ROOST_*) > YAML config file > defaults.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { RoostError } from '../protocol/index.ts';

export interface ServerConfig {
  /** Postgres URL; none means embedded PGlite under dataDir */
  databaseUrl: string | undefined;
  dataDir: string;
  host: string;
  port: number;
  /** MQTT TCP port of the embedded broker (0 = off) */
  mqttPort: number;
  /** address the MQTT TCP listener binds */
  mqttHost: string;
  /** shared secret agents present until enrolment lands */
  agentSecret: string | undefined;
  leaseMs: number;
  /** the first admin's API token; set, it is (re)stored as an admin token on every start */
  adminToken: string | undefined;
  /** on | off; undefined = the mode's default (local: off unless an admin token is set; standalone: on) */
  auth: 'on' | 'off' | undefined;
  /** PEM certificate and key files: HTTPS, wss:// and mqtts:// */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** agent versions accepted, `MIN..MAX` (either end open); an agent outside is told so and gets no work */
  agentVersions: string | undefined;
  /** Node runtimes the installer may fetch, besides this server's own (default {dataDir}/runtimes) */
  runtimesDir: string | undefined;
  /** where `npm run build` wrote the agent bundle served to installers and upgrades (default dist/) */
  agentBundleDir: string | undefined;
  /** how long past its lease an offline-capable job waits for an agent that is out of reach */
  offlineGraceMs: number;
  logLevel: string;
  logFormat: 'json' | 'pretty' | undefined;
  /** `globals` in expressions (Kestra's kestra.variables.globals); only from the config file's `globals:` map */
  globals: Record<string, unknown>;
}

interface Setting {
  key: keyof ServerConfig;
  flag: string;
  env: string;
  type: 'string' | 'int';
}

export const SETTINGS: readonly Setting[] = [
  { key: 'databaseUrl', flag: 'database-url', env: 'ROOST_DATABASE_URL', type: 'string' },
  { key: 'dataDir', flag: 'data-dir', env: 'ROOST_DATA_DIR', type: 'string' },
  { key: 'host', flag: 'host', env: 'ROOST_HOST', type: 'string' },
  { key: 'port', flag: 'port', env: 'ROOST_PORT', type: 'int' },
  { key: 'mqttPort', flag: 'mqtt-port', env: 'ROOST_MQTT_PORT', type: 'int' },
  { key: 'mqttHost', flag: 'mqtt-host', env: 'ROOST_MQTT_HOST', type: 'string' },
  { key: 'agentSecret', flag: 'agent-secret', env: 'ROOST_AGENT_SECRET', type: 'string' },
  { key: 'leaseMs', flag: 'lease-ms', env: 'ROOST_LEASE_MS', type: 'int' },
  { key: 'adminToken', flag: 'admin-token', env: 'ROOST_ADMIN_TOKEN', type: 'string' },
  { key: 'auth', flag: 'auth', env: 'ROOST_AUTH', type: 'string' },
  { key: 'tlsCert', flag: 'tls-cert', env: 'ROOST_TLS_CERT', type: 'string' },
  { key: 'tlsKey', flag: 'tls-key', env: 'ROOST_TLS_KEY', type: 'string' },
  { key: 'agentVersions', flag: 'agent-versions', env: 'ROOST_AGENT_VERSIONS', type: 'string' },
  { key: 'runtimesDir', flag: 'runtimes-dir', env: 'ROOST_RUNTIMES_DIR', type: 'string' },
  { key: 'agentBundleDir', flag: 'agent-bundle-dir', env: 'ROOST_AGENT_BUNDLE_DIR', type: 'string' },
  { key: 'offlineGraceMs', flag: 'offline-grace-ms', env: 'ROOST_OFFLINE_GRACE_MS', type: 'int' },
  { key: 'logLevel', flag: 'log-level', env: 'ROOST_LOG_LEVEL', type: 'string' },
  { key: 'logFormat', flag: 'log-format', env: 'ROOST_LOG_FORMAT', type: 'string' },
];

export function defaultConfig(mode: 'local' | 'standalone'): ServerConfig {
  return {
    databaseUrl: undefined,
    dataDir: './.roost',
    // `local` starts with authentication off for a first evaluation, so it listens on loopback only
    host: mode === 'local' ? '127.0.0.1' : '0.0.0.0',
    port: 8080,
    mqttPort: 1883,
    mqttHost: '0.0.0.0',
    agentSecret: undefined,
    leaseMs: 30_000,
    adminToken: undefined,
    auth: undefined,
    tlsCert: undefined,
    tlsKey: undefined,
    agentVersions: undefined,
    runtimesDir: undefined,
    agentBundleDir: undefined,
    offlineGraceMs: 3_600_000,
    logLevel: 'info',
    logFormat: undefined,
    globals: {},
  };
}

function coerce(setting: Setting, raw: unknown, source: string): unknown {
  if (setting.type === 'string') return String(raw);
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(value) || value < 0) {
    throw new RoostError(
      'ROOST_CONFIG',
      `${source} must be a whole number of at least 0, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/** The config file's `globals:`: a map (its values any YAML), exposed to flows as `globals`. */
function globalsOf(value: unknown, file: string): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new RoostError('ROOST_CONFIG', `config file ${file}: globals must be a map of names to values`);
  }
  return value as Record<string, unknown>;
}

/** Resolves the configuration from flags (already parsed), environment and an optional YAML file. */
export function resolveConfig(
  mode: 'local' | 'standalone',
  flags: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv = process.env,
): ServerConfig {
  const config = defaultConfig(mode) as unknown as Record<string, unknown>;
  const file = flags.config ?? env.ROOST_CONFIG;
  if (file) {
    let document: unknown;
    try {
      document = parseYaml(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new RoostError(
        'ROOST_CONFIG',
        `config file ${file} could not be read: ${(error as Error).message}`,
      );
    }
    if (document !== null && typeof document === 'object') {
      for (const [key, value] of Object.entries(document as Record<string, unknown>)) {
        if (key === 'globals') {
          config.globals = globalsOf(value, file);
          continue;
        }
        const setting = SETTINGS.find((s) => s.key === key);
        if (!setting) throw new RoostError('ROOST_CONFIG', `config file ${file}: unknown setting '${key}'`);
        config[key] = coerce(setting, value, `${file}: ${key}`);
      }
    }
  }
  for (const setting of SETTINGS) {
    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv !== '') config[setting.key] = coerce(setting, fromEnv, setting.env);
    const fromFlag = flags[setting.flag];
    if (fromFlag !== undefined) config[setting.key] = coerce(setting, fromFlag, `--${setting.flag}`);
  }
  const resolved = config as unknown as ServerConfig;
  if (resolved.logFormat !== undefined && resolved.logFormat !== 'json' && resolved.logFormat !== 'pretty') {
    throw new RoostError('ROOST_CONFIG', `log format must be json or pretty, got ${resolved.logFormat}`);
  }
  if (resolved.auth !== undefined && resolved.auth !== 'on' && resolved.auth !== 'off') {
    throw new RoostError('ROOST_CONFIG', `auth must be on or off, got ${resolved.auth}`);
  }
  if ((resolved.tlsCert === undefined) !== (resolved.tlsKey === undefined)) {
    throw new RoostError('ROOST_CONFIG', 'TLS needs both a certificate (--tls-cert) and its key (--tls-key)');
  }
  return resolved;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * Whether the API authenticates callers. `standalone` always does. `local` does once an admin token is
 * configured or `--auth on` is given; with authentication off it refuses to listen beyond loopback.
 */
export function authEnabled(mode: 'local' | 'standalone', config: ServerConfig): boolean {
  if (mode === 'standalone') {
    if (config.auth === 'off')
      throw new RoostError(
        'ROOST_CONFIG',
        'roost server standalone always authenticates API callers; --auth off is for roost server local only',
      );
    return true;
  }
  const enabled = config.auth === undefined ? config.adminToken !== undefined : config.auth === 'on';
  if (!enabled && !LOOPBACK.has(config.host)) {
    throw new RoostError(
      'ROOST_CONFIG',
      `with authentication off, roost server local listens on 127.0.0.1 only and refuses --host ${config.host}; set an admin token (--admin-token or ROOST_ADMIN_TOKEN) or --auth on to listen there`,
    );
  }
  return enabled;
}
