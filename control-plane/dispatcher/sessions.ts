// Live agent sessions as this dispatcher sees them: labels, groups, slots and the leases each holds.
import { inGroup, type Membership } from './groups.ts';

export interface HeldLease {
  attempt: number;
  slots: number;
  executionId: string;
  taskRunId: string;
  taskId: string;
  /** when it was sent (performance.now()); unset for leases an agent kept across a reconnect */
  sentAt?: number;
  /** its result has come: the agent has finished the job, whether or not the result is recorded yet */
  finished?: boolean;
}

export interface AgentSession {
  agentId: string;
  sessionId: string;
  name: string;
  labels: Record<string, string>;
  slots: number;
  /** slots of offline-capable work it may hold beyond `slots` (prefetch for a lost link) */
  prefetch?: number;
  /** slots of jobs it may hold ready beyond `slots` while its jobs run short (see `readyRoom`) */
  ready?: number;
  /** its results in a row that ran under READY_RUN_MS (by the agent's own clock) */
  shortRuns?: number;
  maintenance: boolean;
  /** put in maintenance by an admin */
  adminMaintenance?: boolean;
  membership: Membership;
  leases: Map<string, HeldLease>;
  /** a lease of this agent ran out without a heartbeat: it gets no work until it heartbeats again */
  silent?: boolean;
  /** slots held by lease transactions still under way, so two of them never hand out the same slot */
  reserved?: number;
  /** jobs this session refused (before-job hook): never leased to it again */
  refused?: Set<string>;
}

/**
 * A job that runs longer than this closes an agent's ready window: jobs held ready wait for one of its
 * slots, so they are only worth it, and only fair to the other agents of the group, while its slots free
 * up within milliseconds.
 */
export const READY_RUN_MS = 50;
/**
 * A lease held longer than this closes it too: that job runs long, whatever the ones before did. (Looser
 * than READY_RUN_MS: a lease's age includes its wait for a slot and the trip of its result.)
 */
export const READY_HOLD_MS = 250;

export class Sessions {
  private readonly byAgent = new Map<string, AgentSession>();
  /** sessions a newer session of the same agent replaced; they are told to stop if they come back */
  private readonly superseded = new Set<string>();
  private cursor = 0;

  get(agentId: string): AgentSession | undefined {
    return this.byAgent.get(agentId);
  }

  /** Registers a session; returns the session it replaced, if any. */
  open(session: AgentSession): AgentSession | undefined {
    const previous = this.byAgent.get(session.agentId);
    if (previous && previous.sessionId !== session.sessionId) this.superseded.add(previous.sessionId);
    this.byAgent.set(session.agentId, session);
    return previous?.sessionId === session.sessionId ? undefined : previous;
  }

  isSuperseded(sessionId: string): boolean {
    return this.superseded.has(sessionId);
  }

  close(agentId: string, sessionId: string): AgentSession | undefined {
    const session = this.byAgent.get(agentId);
    if (!session || session.sessionId !== sessionId) return undefined;
    this.byAgent.delete(agentId);
    return session;
  }

  all(): AgentSession[] {
    return [...this.byAgent.values()];
  }

  freeSlots(session: AgentSession): number {
    let used = 0;
    for (const lease of session.leases.values()) used += lease.slots;
    return session.slots - used - (session.reserved ?? 0);
  }

  /**
   * Slots of jobs it may hold ready beyond its slots now: its ready window while that is open, else 0.
   * An agent that finishes jobs within milliseconds would otherwise sit idle between its results and
   * its next jobs, for as long as the control plane takes to record the one and lease the other. Jobs
   * held ready start the moment a slot frees, while the control plane records the results. The window
   * is open while the agent's last `slots` results (at least) each ran under READY_RUN_MS and none of
   * the jobs it holds and still runs was sent more than READY_HOLD_MS ago; a job that runs longer closes
   * it until a new run of short ones. Only more of the work it has just finished goes into it (Leasing).
   */
  readyRoom(session: AgentSession): number {
    if (!session.ready || (session.shortRuns ?? 0) < session.slots) return 0;
    const now = performance.now();
    for (const lease of session.leases.values())
      if (!lease.finished && (lease.sentAt === undefined || now - lease.sentAt > READY_HOLD_MS)) return 0;
    return session.ready;
  }

  /** Notes how long one of its jobs ran, for its ready window. */
  noteRun(session: AgentSession, runMs: number): void {
    session.shortRuns = runMs < READY_RUN_MS ? (session.shortRuns ?? 0) + 1 : 0;
  }

  /** Room left for prefetched offline-capable jobs: slots + prefetch, less what it holds. */
  prefetchRoom(session: AgentSession): number {
    if (!session.prefetch) return 0;
    return Math.max(0, this.freeSlots(session) + session.prefetch);
  }

  /** Sessions that can take work now, starting after the last one served so work spreads evenly. */
  available(): AgentSession[] {
    const sessions = this.all().filter(
      (s) =>
        !s.maintenance &&
        !s.adminMaintenance &&
        !s.silent &&
        (this.freeSlots(s) > 0 || this.prefetchRoom(s) > 0),
    );
    if (!sessions.length) return sessions;
    const start = this.cursor++ % sessions.length;
    return [...sessions.slice(start), ...sessions.slice(0, start)];
  }

  /** Whether any live, non-maintenance agent belongs to the group (undefined = default group). */
  groupHasAgents(group: string | null): boolean {
    return this.all().some((s) => inGroup(s.membership, group));
  }
}
