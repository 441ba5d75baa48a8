// The server configuration's `globals:` map, read only from the YAML config file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from './config.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function configFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'roost-config-'));
  dirs.push(dir);
  const path = join(dir, 'roost.yaml');
  writeFileSync(path, text);
  return path;
}

describe('globals in the config file', () => {
  it('takes a map of any YAML values as the flows’ globals', () => {
    const file = configFile('port: 9000\nglobals:\n  string: string\n  int: 1\n  nested: { int: 1 }\n');
    const config = resolveConfig('standalone', { config: file }, {});
    expect(config.globals).toEqual({ string: 'string', int: 1, nested: { int: 1 } });
    expect(config.port).toBe(9000);
  });

  it('has none by default', () => {
    expect(resolveConfig('local', {}, {}).globals).toEqual({});
  });

  it('refuses globals that are not a map, naming the file', () => {
    const file = configFile('globals: [a, b]\n');
    expect(() => resolveConfig('standalone', { config: file }, {})).toThrow(
      expect.objectContaining({
        code: 'ROOST_CONFIG',
        message: expect.stringContaining(`${file}: globals must be a map`),
      }),
    );
  });
});
