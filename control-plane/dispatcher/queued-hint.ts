// Which worker groups may have queued jobs, so that a dispatch pass only asks the database for work an
// agent can get. A hint, never the truth: a group is marked whenever jobs may have arrived, and cleared
// only after a lease attempt for it found nothing. The sweep marks everything now and then.
import type { Membership } from './groups.ts';

export class QueuedHint {
  /** group keys; null stands for the default group */
  private readonly marked = new Set<string | null>();
  /** groups that may hold jobs weighing more than one slot: worth a try whenever slots free up */
  private readonly heavy = new Set<string | null>();

  add(group: string | null | undefined, slots = 1): void {
    this.marked.add(group ?? null);
    if (slots > 1) this.heavy.add(group ?? null);
  }

  addMembership(membership: Membership): void {
    for (const group of groupsOf(membership)) this.marked.add(group);
  }

  mayHave(membership: Membership): boolean {
    return groupsOf(membership).some((g) => this.marked.has(g));
  }

  /**
   * A lease attempt for an agent of these groups found nothing that fits its free slots. With all its
   * slots free, nothing at all of these groups is queued.
   */
  clear(membership: Membership, allSlotsFree: boolean): void {
    for (const group of groupsOf(membership)) {
      this.marked.delete(group);
      if (allSlotsFree) this.heavy.delete(group);
    }
  }

  /** An agent of these groups finished work: a heavy job that did not fit before may fit now. */
  slotsFreed(membership: Membership): void {
    for (const group of groupsOf(membership)) if (this.heavy.has(group)) this.marked.add(group);
  }
}

function groupsOf(membership: Membership): (string | null)[] {
  return membership.inDefaultGroup ? [...membership.groups, null] : membership.groups;
}
