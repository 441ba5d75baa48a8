// Agents as the control plane last saw them: labels, slots, session and whether they are online.
import { and, asc, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Db } from './connection.ts';
import { agents, workerGroups } from './schema.ts';

/** The NOTIFY channel on which worker group changes are announced to dispatchers. */
export const GROUPS_CHANNEL = 'roost_groups';

/** The NOTIFY channel on which changes to one agent (labels, maintenance, revocation, rotation) are announced. */
export const AGENTS_CHANNEL = 'roost_agents';

export type AgentNotice = { kind: 'changed' | 'revoked' | 'rotate'; agentId: string };

export function parseAgentNotice(payload: string): AgentNotice | undefined {
  const at = payload.indexOf(':');
  const kind = payload.slice(0, at);
  if (kind !== 'changed' && kind !== 'revoked' && kind !== 'rotate') return undefined;
  return { kind, agentId: payload.slice(at + 1) };
}

export type AgentRow = typeof agents.$inferSelect;
export type WorkerGroupRow = typeof workerGroups.$inferSelect;

export class AgentsStore {
  constructor(private readonly db: Db) {}

  async upsertOnline(agent: {
    id: string;
    name: string;
    labels: Record<string, string>;
    slots: number;
    sessionId: string;
    agentVersion: string;
    maintenance: boolean;
    now: Date;
  }): Promise<void> {
    const values = { ...agent, state: 'online', lastSeen: agent.now };
    const { now: _now, ...row } = values;
    await this.db
      .insert(agents)
      .values(row)
      .onConflictDoUpdate({
        target: agents.id,
        set: {
          ...row,
          createdAt: undefined,
          // an enrolled agent's labels are those it was granted (or an admin set), not those it claims
          labels: sql`case when ${agents.credentialHash} is null then excluded.labels else ${agents.labels} end`,
        },
      });
  }

  /** Records a newly enrolled agent (offline until it connects). */
  async enrol(agent: {
    id: string;
    name: string;
    labels: Record<string, string>;
    credentialHash: string;
    tokenId: string;
    now: Date;
  }): Promise<AgentRow> {
    const [row] = await this.db
      .insert(agents)
      .values({
        id: agent.id,
        name: agent.name,
        labels: agent.labels,
        slots: 0,
        state: 'offline',
        lastSeen: agent.now,
        credentialHash: agent.credentialHash,
        tokenId: agent.tokenId,
      })
      .returning();
    return row!;
  }

  /** Changes an agent's labels or operator maintenance; dispatchers hear of it when the transaction commits. */
  async update(
    id: string,
    change: { labels?: Record<string, string>; adminMaintenance?: boolean },
  ): Promise<AgentRow | undefined> {
    const [row] = await this.db.update(agents).set(change).where(eq(agents.id, id)).returning();
    if (row) await this.notify('changed', id);
    return row;
  }

  /** Revokes the agent: its credentials are forgotten, and dispatchers disconnect it on commit. */
  async revoke(id: string, now: Date): Promise<AgentRow | undefined> {
    const [row] = await this.db
      .update(agents)
      .set({ revokedAt: now, credentialHash: null, pendingCredentialHash: null, state: 'offline' })
      .where(eq(agents.id, id))
      .returning();
    if (row) await this.notify('revoked', id);
    return row;
  }

  /** A credential sent to the agent, valid beside its current one until the agent acknowledges it. */
  async setPendingCredential(id: string, hash: string): Promise<boolean> {
    const rows = await this.db
      .update(agents)
      .set({ pendingCredentialHash: hash })
      .where(and(eq(agents.id, id), isNull(agents.revokedAt), isNotNull(agents.credentialHash)))
      .returning({ id: agents.id });
    return rows.length > 0;
  }

  /** The agent stored its new credential: from now on only that one is accepted. */
  async promotePendingCredential(id: string): Promise<boolean> {
    const rows = await this.db
      .update(agents)
      .set({ credentialHash: agents.pendingCredentialHash, pendingCredentialHash: null })
      .where(and(eq(agents.id, id), isNotNull(agents.pendingCredentialHash), isNull(agents.revokedAt)))
      .returning({ id: agents.id });
    return rows.length > 0;
  }

  async notify(kind: AgentNotice['kind'], id: string): Promise<void> {
    await this.db.execute(sql`select pg_notify(${AGENTS_CHANNEL}, ${`${kind}:${id}`})`);
  }

  /** Marks the agent offline if `sessionId` is still its current session; returns whether it was. */
  /** Records the maintenance flag an agent reports (or the control plane sets) for its current session. */
  async setMaintenance(id: string, maintenance: boolean): Promise<void> {
    await this.db.update(agents).set({ maintenance }).where(eq(agents.id, id));
  }

  async markOffline(id: string, sessionId: string, now: Date): Promise<boolean> {
    const rows = await this.db
      .update(agents)
      .set({ state: 'offline', lastSeen: now })
      .where(and(eq(agents.id, id), eq(agents.sessionId, sessionId)))
      .returning({ id: agents.id });
    return rows.length > 0;
  }

  async get(id: string): Promise<AgentRow | undefined> {
    const [row] = await this.db.select().from(agents).where(eq(agents.id, id));
    return row;
  }

  async list(): Promise<AgentRow[]> {
    return this.db.select().from(agents).orderBy(asc(agents.name), asc(agents.id));
  }

  async workerGroups(): Promise<WorkerGroupRow[]> {
    return this.db.select().from(workerGroups).orderBy(asc(workerGroups.key));
  }

  /** Creates or replaces a worker group; dispatchers hear of it when the transaction commits. */
  async saveWorkerGroup(group: {
    key: string;
    selector: Record<string, string>;
    description: string | null;
    /** tasks of the group are offline-capable unless they say otherwise */
    offline?: boolean;
  }): Promise<WorkerGroupRow> {
    const [row] = await this.db
      .insert(workerGroups)
      .values(group)
      .onConflictDoUpdate({
        target: workerGroups.key,
        set: { selector: group.selector, description: group.description, offline: group.offline ?? false },
      })
      .returning();
    await this.db.execute(sql`select pg_notify(${GROUPS_CHANNEL}, ${group.key})`);
    return row!;
  }

  async deleteWorkerGroup(key: string): Promise<boolean> {
    const rows = await this.db
      .delete(workerGroups)
      .where(eq(workerGroups.key, key))
      .returning({ key: workerGroups.key });
    if (rows.length) await this.db.execute(sql`select pg_notify(${GROUPS_CHANNEL}, ${key})`);
    return rows.length > 0;
  }
}
