// The agent's local secret store: ROOST_SECRET_* variables, a file only the agent may read, masking.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalSecrets, readSecretsFile, SecretMask, secretsFromEnv } from './secrets.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function file(text: string, mode: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'roost-secrets-'));
  dirs.push(dir);
  const path = join(dir, 'secrets');
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

describe('local secrets', () => {
  it('takes ROOST_SECRET_NAME variables as the secret NAME', () => {
    expect(secretsFromEnv({ ROOST_SECRET_DB: 'pw', ROOST_SECRET_: 'x', OTHER: 'y' })).toEqual({ DB: 'pw' });
  });

  it('reads NAME=value lines from a file only its owner may read, keeping = and spaces in values', () => {
    const path = file('# site secrets\nDB_PASSWORD=a=b c \n\nAPI_KEY=k\n', 0o600);
    expect(readSecretsFile(path, '--secrets-file')).toEqual({ DB_PASSWORD: 'a=b c ', API_KEY: 'k' });
  });

  it('refuses a file that group or others may read, naming it and its mode', () => {
    const path = file('A=1\n', 0o640);
    expect(() => readSecretsFile(path, '--secrets-file')).toThrow(
      /--secrets-file: .*\(mode 0640\).*chmod 600/,
    );
    expect(() => readSecretsFile(path, '--secrets-file')).toThrow(
      expect.objectContaining({ code: 'ROOST_CONFIG' }),
    );
  });

  it('refuses a line that is not NAME=value, and a file it cannot read', () => {
    expect(() => readSecretsFile(file('A=1\njust text\n', 0o600), 'ROOST_SECRETS_FILE')).toThrow(
      /ROOST_SECRETS_FILE: .* line 2 is not of the form NAME=value/,
    );
    expect(() => readSecretsFile('/nonexistent/secrets', '--secrets-file')).toThrow(/cannot read .*ENOENT/);
  });

  it('says where to put a secret it does not have', () => {
    expect(() => new LocalSecrets({}).get('NOPE')).toThrow(/ROOST_SECRET_NOPE or add it to --secrets-file/);
  });

  it('masks every value a job resolved, the longest first, in text and in outputs', () => {
    const mask = new SecretMask();
    mask.add('abc');
    mask.add('abcdef');
    expect(mask.mask('x abcdef y abc')).toBe('x ****** y ******');
    expect(mask.maskDeep({ list: ['abc', 1, null], nested: { abcdef: 'z' } })).toEqual({
      list: ['******', 1, null],
      nested: { '******': 'z' },
    });
  });
});
