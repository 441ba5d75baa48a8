// Every error code Roost raises is in the registry, with a sentence that documents it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../protocol/index.ts';

const ROOT = join(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('node_modules'))
    .map((f) => join(ROOT, dir, f));
}

describe('error codes', () => {
  it('documents every code used in shipped code', () => {
    const used = new Set<string>();
    for (const file of ['protocol', 'control-plane', 'agent'].flatMap(sources)) {
      for (const match of readFileSync(file, 'utf8').matchAll(
        /(?:RoostError\(\s*|code: |Error\(\s*)'(ROOST_[A-Z_]+)'/g,
      ))
        used.add(match[1]!);
    }
    expect(used.size).toBeGreaterThan(5);
    const undocumented = [...used].filter((code) => !(code in ERROR_CODES));
    expect(undocumented).toEqual([]);
    for (const [code, text] of Object.entries(ERROR_CODES)) expect(text.length, code).toBeGreaterThan(20);
  });
});
