// The slots of flows with a `concurrency` limit: one counter row per flow, locked by every decision that
// lets an execution of the flow start or end, so that the count is exact under concurrent starts.
import { sql } from 'drizzle-orm';
import type { Db } from './connection.ts';
import { rowsOf } from './raw.ts';

export class ConcurrencyStore {
  constructor(private readonly db: Db) {}

  /** How many slots of the flow are held now; the flow's counter stays locked until the transaction ends. */
  async lock(namespace: string, flowId: string): Promise<number> {
    await this.db.execute(sql`insert into flow_concurrency (namespace, flow_id, running)
      values (${namespace}, ${flowId}, 0) on conflict do nothing`);
    const [row] = await rowsOf(
      this.db,
      sql`select running from flow_concurrency
        where namespace = ${namespace} and flow_id = ${flowId} for update`,
    );
    return Number(row?.running ?? 0);
  }

  /** Takes (`delta` 1) or gives back (-1) slots of the flow. */
  async add(namespace: string, flowId: string, delta: number): Promise<void> {
    await this.db.execute(sql`update flow_concurrency set running = greatest(running + ${delta}, 0)
      where namespace = ${namespace} and flow_id = ${flowId}`);
  }

  /**
   * Whether a QUEUED execution of the flow waits longer than `execution` (created earlier), or, when
   * `execution` is not queued itself, whether any waits at all.
   */
  async queuedAhead(
    namespace: string,
    flowId: string,
    execution: { id: string; startDate: Date; queued: boolean },
  ): Promise<boolean> {
    const earlier = execution.queued
      ? sql`and (start_date, id) < (${execution.startDate.toISOString()}::timestamptz, ${execution.id})`
      : sql`and id <> ${execution.id}`;
    const rows = await rowsOf(
      this.db,
      sql`select 1 from executions
        where namespace = ${namespace} and flow_id = ${flowId} and state = 'QUEUED' ${earlier} limit 1`,
    );
    return rows.length > 0;
  }

  /** The QUEUED execution of the flow that waits longest, other than `exceptId`. */
  async oldestQueued(namespace: string, flowId: string, exceptId: string): Promise<string | undefined> {
    const [row] = await rowsOf(
      this.db,
      sql`select id from executions
        where namespace = ${namespace} and flow_id = ${flowId} and state = 'QUEUED' and id <> ${exceptId}
        order by start_date, id limit 1`,
    );
    return row ? String(row.id) : undefined;
  }
}
