// The agent's own secret store, so that `{{ secret('NAME') }}` in a task resolves on the agent and a
// site's passwords never travel to the control plane: environment variables ROOST_SECRET_NAME (plain), a
// file (`--secrets-file`, NAME=value lines) only the agent's user may read, and Kestra's SECRET_NAME
// variables (base64), so a Kestra deployment's environment works unchanged. Values a job resolved are
// masked in its logs, outputs and error message.
import { readFileSync, statSync } from 'node:fs';
import { KestraEnvSecrets } from '../protocol/environment.ts';
import { RoostError } from '../protocol/errors.ts';

export const SECRET_ENV_PREFIX = 'ROOST_SECRET_';
export const MASK = '******';

/** Secrets from ROOST_SECRET_* variables (the name is what follows the prefix). */
export function secretsFromEnv(env: Record<string, string | undefined>): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith(SECRET_ENV_PREFIX) && key.length > SECRET_ENV_PREFIX.length && value !== undefined)
      secrets[key.slice(SECRET_ENV_PREFIX.length)] = value;
  }
  return secrets;
}

/**
 * Reads a secrets file: `NAME=value` per line (the value is everything after the first `=`), blank
 * lines and `#` comments ignored. Refused when group or others may read or write it.
 */
export function readSecretsFile(path: string, source: string): Record<string, string> {
  const fail = (message: string) => new RoostError('ROOST_CONFIG', `${source}: ${message}`);
  let text: string;
  try {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) {
      throw fail(
        `"${path}" may be read or written by group or others (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 on it`,
      );
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof RoostError) throw error;
    throw fail(`cannot read "${path}": ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const secrets: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, index) => {
    if (!line.trim() || line.trimStart().startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq < 0 ? '' : line.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) {
      throw fail(`"${path}" line ${index + 1} is not of the form NAME=value`);
    }
    secrets[name] = line.slice(eq + 1);
  });
  return secrets;
}

/**
 * The agent's store. `values` are Roost's own plain secrets (ROOST_SECRET_* over the secrets file), looked
 * up by exact name; they win over Kestra's SECRET_* base64 variables in `kestra`, looked up as Kestra does
 * (SECRET_ and the name in upper case).
 */
export class LocalSecrets {
  readonly #values: ReadonlyMap<string, string>;
  readonly #kestra: KestraEnvSecrets;

  constructor(values: Record<string, string>, kestra: KestraEnvSecrets = new KestraEnvSecrets({})) {
    this.#values = new Map(Object.entries(values));
    this.#kestra = kestra;
  }

  get size(): number {
    return this.#values.size + this.#kestra.size;
  }

  get(name: string): string {
    const value = this.#values.get(name) ?? this.#kestra.find(name);
    if (value === undefined) {
      throw new Error(
        `secret '${name}' is not in this agent's store (set ${SECRET_ENV_PREFIX}${name}, add it to --secrets-file, or set ${KestraEnvSecrets.variableOf(name)} to its base64 value)`,
      );
    }
    return value;
  }
}

/** The secret values one job attempt resolved, and their masking in what the job reports. */
export class SecretMask {
  #values: string[] = [];

  add(value: string): void {
    if (!value || this.#values.includes(value)) return;
    // longest first, so a secret that contains another is masked whole
    this.#values = [...this.#values, value].sort((a, b) => b.length - a.length);
  }

  mask(text: string): string {
    let out = text;
    for (const value of this.#values) out = out.split(value).join(MASK);
    return out;
  }

  maskDeep<T>(value: T): T {
    if (!this.#values.length) return value;
    if (typeof value === 'string') return this.mask(value) as T;
    if (Array.isArray(value)) return value.map((item) => this.maskDeep(item)) as T;
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [this.mask(key), this.maskDeep(item)]),
      ) as T;
    }
    return value;
  }
}
