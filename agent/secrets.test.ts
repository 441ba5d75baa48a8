// The agent's local secret store: ROOST_SECRET_* variables, Kestra's SECRET_* (base64), a file only the agent may read, masking.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KestraEnvSecrets } from '../protocol/environment.ts';
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
    expect(() => new LocalSecrets({}).get('nope')).toThrow(
      /ROOST_SECRET_nope, add it to --secrets-file, or set SECRET_NOPE to its base64 value/,
    );
  });

  it("reads Kestra's SECRET_NAME variables as base64, by the name in upper case, after Roost's own", () => {
    const kestra = new KestraEnvSecrets({
      SECRET_MY_SECRET: btoa('{"secretKey":"secretValue"}'),
      SECRET_DB: btoa('from-kestra'),
      SECRET_: 'x',
    });
    const secrets = new LocalSecrets({ DB: 'from-roost' }, kestra);
    expect(secrets.get('my_secret')).toBe('{"secretKey":"secretValue"}');
    expect(secrets.get('MY_SECRET')).toBe('{"secretKey":"secretValue"}');
    expect(secrets.get('DB')).toBe('from-roost');
    expect(secrets.size).toBe(3);
  });

  it('decodes base64 wrapped on several lines (the output of base64), and names a variable that is not base64', () => {
    const long = 'passwordveryveryveyrlong'.repeat(5);
    const wrapped = btoa(long).replace(/.{76}/g, '$&\n');
    expect(wrapped).toContain('\n');
    expect(new KestraEnvSecrets({ SECRET_NEW_LINE: wrapped }).find('new_line')).toBe(long);
    const utf8 = btoa(String.fromCharCode(...new TextEncoder().encode('été')));
    expect(new KestraEnvSecrets({ SECRET_UTF8: utf8 }).find('utf8')).toBe('été');
    expect(() => new KestraEnvSecrets({ SECRET_PLAIN: 'not base64!' }).find('plain')).toThrow(
      /SECRET_PLAIN is not base64/,
    );
    expect(new KestraEnvSecrets({}).find('absent')).toBeUndefined();
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
