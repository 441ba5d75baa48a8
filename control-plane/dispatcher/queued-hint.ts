// Which worker groups may have queued jobs, so that a dispatch pass only asks the database for work an
// agent can get. A hint, never the truth: a group is marked whenever jobs may have arrived, and cleared
// only after a lease attempt for it found nothing. The sweep marks everything now and then.
import type { Membership } from './groups.ts';

export class QueuedHint {
  /** group keys; null stands for the default group */
  private readonly marked = new Set<string | null>();
  /**
   * Groups that may hold jobs weighing more than one slot, with the heaviest weight seen: worth a try
   * whenever slots free up.
   */
  private readonly heavy = new Map<string | null, number>();
  /** bumped by every mark: a lease attempt that began before a mark must not clear it */
  private marks = 0;

  /** Pass to `clear` what this returned before the lease attempt began. */
  get version(): number {
    return this.marks;
  }

  add(group: string | null | undefined, slots = 1): void {
    const key = group ?? null;
    this.marks++;
    this.marked.add(key);
    if (slots > 1) this.heavy.set(key, Math.max(slots, this.heavy.get(key) ?? 0));
  }

  addMembership(membership: Membership): void {
    this.marks++;
    for (const group of groupsOf(membership)) this.marked.add(group);
  }

  mayHave(membership: Membership): boolean {
    return groupsOf(membership).some((g) => this.marked.has(g));
  }

  /**
   * A lease attempt for an agent of these groups found nothing that fits its `free` slots. When those
   * are at least the heaviest weight seen in a group, nothing at all of that group is queued. Otherwise
   * a heavier job may still wait for an agent with more room, and the group stays marked so that such an
   * agent (perhaps next in the same dispatch pass) still asks. Nothing is cleared if anything was marked
   * since `version` (the attempt's snapshot may predate jobs just committed).
   */
  clear(membership: Membership, free: number, version: number): void {
    if (version !== this.marks) return;
    for (const group of groupsOf(membership)) {
      if (free < (this.heavy.get(group) ?? 0)) continue;
      this.marked.delete(group);
      this.heavy.delete(group);
    }
  }

  /** An agent of these groups finished work: a heavy job that did not fit before may fit now. */
  slotsFreed(membership: Membership): void {
    for (const group of groupsOf(membership)) {
      if (!this.heavy.has(group)) continue;
      this.marks++;
      this.marked.add(group);
    }
  }
}

function groupsOf(membership: Membership): (string | null)[] {
  return membership.inDefaultGroup ? [...membership.groups, null] : membership.groups;
}
