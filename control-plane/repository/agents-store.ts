// Agents as the control plane last saw them: labels, slots, session and whether they are online.
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from './connection.ts';
import { agents, workerGroups } from './schema.ts';

/** The NOTIFY channel on which worker group changes are announced to dispatchers. */
export const GROUPS_CHANNEL = 'roost_groups';

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
      .onConflictDoUpdate({ target: agents.id, set: { ...row, createdAt: undefined } });
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
