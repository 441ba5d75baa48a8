// The dispatcher's hint of which worker groups may have queued jobs: it may be wrong only by saying
// "maybe" where nothing waits, never by forgetting a job.
import { describe, expect, it } from 'vitest';
import { QueuedHint } from '../../control-plane/dispatcher/queued-hint.ts';

const anyGroup = { groups: [], inDefaultGroup: true };

describe('QueuedHint', () => {
  it('forgets a group once an agent with room for its heaviest job found nothing', () => {
    const hint = new QueuedHint();
    hint.add(null, 2);
    hint.clear(anyGroup, 2, hint.version);
    hint.slotsFreed(anyGroup);
    expect(hint.mayHave(anyGroup)).toBe(false);
  });

  it('keeps a heavy job in mind when only an agent too small for it found nothing', () => {
    const hint = new QueuedHint();
    hint.add(null, 1);
    hint.add(null, 3);
    // a one-slot agent, idle, finds nothing it can run: the three-slot job may still wait for a bigger one
    hint.clear(anyGroup, 1, hint.version);
    expect(hint.mayHave(anyGroup)).toBe(true);
    // an agent with room for it finds nothing either: nothing of the group waits
    hint.clear(anyGroup, 4, hint.version);
    expect(hint.mayHave(anyGroup)).toBe(false);
  });

  it('is not cleared by a lease attempt that began before jobs were marked', () => {
    const hint = new QueuedHint();
    hint.add(null);
    const before = hint.version;
    // the attempt's snapshot saw nothing; meanwhile a job was committed and marked
    hint.add(null);
    hint.clear(anyGroup, 1, before);
    expect(hint.mayHave(anyGroup)).toBe(true);
    hint.clear(anyGroup, 1, hint.version);
    expect(hint.mayHave(anyGroup)).toBe(false);
  });
});
