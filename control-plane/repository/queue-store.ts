// Messages between components: sent inside the sender's transaction, announced with NOTIFY at commit,
// claimed one at a time with FOR UPDATE SKIP LOCKED so that any number of consumers can share a topic.
import { and, asc, eq, inArray, lte, min, sql } from 'drizzle-orm';
import type { Db } from './connection.ts';
import { queue } from './schema.ts';

export type QueueRow = typeof queue.$inferSelect;

/** The NOTIFY channel on which `topic:id` is announced when a message commits. */
export const QUEUE_CHANNEL = 'roost_queue';

/** Splits a QUEUE_CHANNEL payload. */
export function parseQueueNotice(payload: string): { topic: string; id: number } {
  const at = payload.lastIndexOf(':');
  return { topic: payload.slice(0, at), id: Number(payload.slice(at + 1)) };
}

export class QueueStore {
  constructor(private readonly db: Db) {}

  /** Adds a message; visible to consumers when the surrounding transaction commits. */
  async send(
    topic: string,
    payload: Record<string, unknown>,
    options: { key?: string; availableAt?: Date } = {},
  ) {
    const [row] = await this.db
      .insert(queue)
      .values({
        topic,
        payload,
        key: options.key ?? null,
        ...(options.availableAt ? { availableAt: options.availableAt } : {}),
      })
      .returning({ id: queue.id });
    await this.db.execute(sql`select pg_notify(${QUEUE_CHANNEL}, ${`${topic}:${row!.id}`})`);
    return row!.id;
  }

  /** Takes one specific message (the in-process hand-over); undefined if another consumer has it. */
  async claimById(id: number): Promise<QueueRow | undefined> {
    const locked = this.db
      .select({ id: queue.id })
      .from(queue)
      .where(eq(queue.id, id))
      .for('update', { skipLocked: true });
    const [row] = await this.db.delete(queue).where(inArray(queue.id, locked)).returning();
    return row;
  }

  /** Takes the oldest available message of a topic. The claim holds until the transaction ends. */
  async claimNext(topic: string, now: Date): Promise<QueueRow | undefined> {
    const locked = this.db
      .select({ id: queue.id })
      .from(queue)
      .where(and(eq(queue.topic, topic), lte(queue.availableAt, now)))
      .orderBy(asc(queue.id))
      .limit(1)
      .for('update', { skipLocked: true });
    const [row] = await this.db.delete(queue).where(inArray(queue.id, locked)).returning();
    return row;
  }

  /** When the earliest message of the topic becomes available (for delayed messages); undefined if none. */
  async nextAvailableAt(topic: string): Promise<Date | undefined> {
    const [row] = await this.db
      .select({ at: min(queue.availableAt) })
      .from(queue)
      .where(eq(queue.topic, topic));
    return row?.at ?? undefined;
  }
}
