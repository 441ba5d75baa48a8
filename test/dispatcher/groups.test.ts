// Worker group membership from labels (DESIGN section 5).
import { describe, expect, it } from 'vitest';
import { membershipOf, type WorkerGroupSelector } from '../../control-plane/dispatcher/index.ts';

const declared: WorkerGroupSelector[] = [
  { key: 'gpu-eu', selector: { region: 'eu-west', gpu: 'true' } },
  { key: 'any-region', selector: { region: '*' } },
];

describe('worker group membership', () => {
  it.each([
    [{}, [], true],
    [{ region: 'eu-west' }, ['any-region'], true],
    [{ region: 'eu-west', gpu: 'true' }, ['gpu-eu', 'any-region'], true],
    [{ region: 'us', gpu: 'true' }, ['any-region'], true],
    [{ group: 'plant-3' }, ['plant-3'], false],
    [{ group: 'gpu-eu' }, [], false],
    [{ group: 'gpu-eu', region: 'eu-west', gpu: 'true' }, ['gpu-eu', 'any-region'], false],
  ])('an agent labelled %j is in %j (default group: %s)', (labels, groups, inDefault) => {
    const membership = membershipOf(labels as Record<string, string>, declared);
    expect(membership.groups.sort()).toEqual([...groups].sort());
    expect(membership.inDefaultGroup).toBe(inDefault);
  });
});
