// What a process's own environment gives expressions, by Kestra's conventions: a variable ENV_X is
// `envs.x`, and (Kestra's open-source secret backend) a variable SECRET_X holds the base64 value of
// `secret('X')`. The control plane and agents each read their own environment.

export const ENV_PREFIX = 'ENV_';
export const KESTRA_SECRET_PREFIX = 'SECRET_';

/** ENV_MY_VAR becomes `envs.my_var`. */
export function expressionEnvs(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const envs: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith(ENV_PREFIX) && key.length > ENV_PREFIX.length && value !== undefined)
      envs[key.slice(ENV_PREFIX.length).toLowerCase()] = value;
  }
  return envs;
}

/**
 * Kestra's environment secrets: SECRET_X variables, by upper-case name, still base64-encoded (a value is
 * decoded when a flow asks for it, so a stray unrelated SECRET_ variable breaks nothing until used).
 */
export class KestraEnvSecrets {
  readonly #encoded = new Map<string, string>();

  constructor(env: Readonly<Record<string, string | undefined>>) {
    for (const [key, value] of Object.entries(env)) {
      if (
        key.startsWith(KESTRA_SECRET_PREFIX) &&
        key.length > KESTRA_SECRET_PREFIX.length &&
        value !== undefined
      )
        this.#encoded.set(key.slice(KESTRA_SECRET_PREFIX.length).toUpperCase(), value);
    }
  }

  get size(): number {
    return this.#encoded.size;
  }

  /** The variable `secret(name)` reads, as Kestra names it: SECRET_ and the name in upper case. */
  static variableOf(name: string): string {
    return `${KESTRA_SECRET_PREFIX}${name.toUpperCase()}`;
  }

  /** The decoded value, or undefined when no such variable is set; throws naming a variable that is not base64. */
  find(name: string): string | undefined {
    const encoded = this.#encoded.get(name.toUpperCase());
    return encoded === undefined ? undefined : decodeBase64Secret(KestraEnvSecrets.variableOf(name), encoded);
  }
}

/**
 * Base64 as Kestra reads it (Java's MIME decoder): line breaks and other whitespace are ignored, so the
 * wrapped output of `base64` works; the bytes are read as UTF-8.
 */
export function decodeBase64Secret(variable: string, encoded: string): string {
  const compact = encoded.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) {
    throw new Error(`${variable} is not base64 (Kestra's SECRET_ variables hold base64-encoded values)`);
  }
  const binary = atob(compact.padEnd(Math.ceil(compact.length / 4) * 4, '='));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}
