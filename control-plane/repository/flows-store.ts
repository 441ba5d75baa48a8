// Flow revisions: every change stores a new revision with its verbatim source; an unchanged source does not.
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from './connection.ts';
import { flows } from './schema.ts';

export type FlowRow = typeof flows.$inferSelect;

export class FlowsStore {
  constructor(private readonly db: Db) {}

  /** Stores `source` as the next revision unless it equals the latest one. Call inside a transaction. */
  async save(
    namespace: string,
    flowId: string,
    source: string,
    document: Record<string, unknown>,
  ): Promise<{ row: FlowRow; created: boolean }> {
    await this.db.execute(sql`select pg_advisory_xact_lock(hashtext(${`flow:${namespace}/${flowId}`}))`);
    const latest = await this.latestIncludingDeleted(namespace, flowId);
    if (latest && !latest.deleted && latest.source === source) return { row: latest, created: false };
    const [row] = await this.db
      .insert(flows)
      .values({ namespace, flowId, revision: (latest?.revision ?? 0) + 1, source, document })
      .returning();
    return { row: row!, created: true };
  }

  async latest(namespace: string, flowId: string): Promise<FlowRow | undefined> {
    const row = await this.latestIncludingDeleted(namespace, flowId);
    return row?.deleted ? undefined : row;
  }

  async revision(namespace: string, flowId: string, revision: number): Promise<FlowRow | undefined> {
    const [row] = await this.db
      .select()
      .from(flows)
      .where(and(eq(flows.namespace, namespace), eq(flows.flowId, flowId), eq(flows.revision, revision)));
    return row;
  }

  /** The latest live revision of every flow, optionally in one namespace. */
  async list(namespace?: string): Promise<FlowRow[]> {
    const rows = await this.db
      .selectDistinctOn([flows.namespace, flows.flowId])
      .from(flows)
      .where(namespace === undefined ? undefined : eq(flows.namespace, namespace))
      .orderBy(flows.namespace, flows.flowId, desc(flows.revision));
    return rows.filter((r) => !r.deleted);
  }

  /** Marks a flow deleted by storing a tombstone revision; its history stays. */
  async delete(namespace: string, flowId: string): Promise<boolean> {
    const latest = await this.latest(namespace, flowId);
    if (!latest) return false;
    await this.db
      .insert(flows)
      .values({ ...latest, revision: latest.revision + 1, deleted: true, createdAt: new Date() });
    return true;
  }

  private async latestIncludingDeleted(namespace: string, flowId: string): Promise<FlowRow | undefined> {
    const [row] = await this.db
      .select()
      .from(flows)
      .where(and(eq(flows.namespace, namespace), eq(flows.flowId, flowId)))
      .orderBy(desc(flows.revision))
      .limit(1);
    return row;
  }
}
