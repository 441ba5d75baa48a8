// The range of agent versions a control plane accepts, written `MIN..MAX` (either end may be left out;
// both are inclusive), e.g. `0.1.0..` or `0.2.0..0.9.99`. Versions are plain `x.y.z` numbers.
import { RoostError } from './errors.ts';

export interface VersionRange {
  min?: string;
  max?: string;
}

const VERSION = /^\d+\.\d+\.\d+$/;

function compare(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** Parses `MIN..MAX`, `MIN..`, `..MAX` or a single version (that version only); `source` names the setting. */
export function parseVersionRange(text: string, source: string): VersionRange {
  const trimmed = text.trim();
  const parts = trimmed.includes('..') ? trimmed.split('..') : [trimmed, trimmed];
  const [min = '', max = ''] = parts;
  if (
    parts.length !== 2 ||
    [min, max].some((v) => v && !VERSION.test(v)) ||
    (!min && !max && trimmed !== '..')
  )
    throw new RoostError(
      'ROOST_CONFIG',
      `${source}: "${text}" is not a version range like 0.1.0.. or 0.2.0..0.9.0`,
    );
  if (min && max && compare(min, max) > 0)
    throw new RoostError('ROOST_CONFIG', `${source}: "${text}" is empty (its minimum is above its maximum)`);
  return { ...(min ? { min } : {}), ...(max ? { max } : {}) };
}

/** Whether `version` lies in the range; an unparsable version lies in none but the open range. */
export function versionInRange(version: string, range: VersionRange): boolean {
  if (!range.min && !range.max) return true;
  if (!VERSION.test(version)) return false;
  return (!range.min || compare(version, range.min) >= 0) && (!range.max || compare(version, range.max) <= 0);
}

export function showRange(range: VersionRange): string {
  return `${range.min ?? ''}..${range.max ?? ''}`;
}
