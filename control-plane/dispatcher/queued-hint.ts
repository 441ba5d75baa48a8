// Which worker groups may have queued jobs, so that a dispatch pass only asks the database for work an
// agent can get. A hint, never the truth: a group is marked whenever jobs may have arrived, and cleared
// only after a lease attempt for it found nothing. The sweep marks everything now and then.
import type { Membership } from './groups.ts';

export class QueuedHint {
  /** group keys; null stands for the default group */
  private readonly marked = new Set<string | null>();

  add(group: string | null | undefined): void {
    this.marked.add(group ?? null);
  }

  addMembership(membership: Membership): void {
    for (const group of membership.groups) this.marked.add(group);
    if (membership.inDefaultGroup) this.marked.add(null);
  }

  mayHave(membership: Membership): boolean {
    return (
      (membership.inDefaultGroup && this.marked.has(null)) ||
      membership.groups.some((g) => this.marked.has(g))
    );
  }

  /**
   * A lease attempt for an agent of these groups found nothing. (Every job takes one slot today; when
   * tasks can weigh more, a job too heavy for this agent may still suit another, and this must change.)
   */
  clear(membership: Membership): void {
    for (const group of membership.groups) this.marked.delete(group);
    if (membership.inDefaultGroup) this.marked.delete(null);
  }
}
