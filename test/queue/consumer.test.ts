// The queue consumer: a message whose handler fails goes back with a growing delay instead of spinning,
// and after repeated failures into the topic's dead-letter topic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueConsumer } from '../../control-plane/queue/index.ts';
import type { Database } from '../../control-plane/repository/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('the queue consumer', () => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await testDb.open();
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  it('handles each message once, woken by NOTIFY', async () => {
    const seen: unknown[] = [];
    let done: () => void = () => {};
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    const consumer = new QueueConsumer({
      topic: 'ok',
      repository: db.repository,
      connection: db.connection,
      handle: async (_tx, message) => {
        seen.push(message.payload.n);
        if (seen.length === 3) done();
      },
      onError: (error) => {
        throw error;
      },
    });
    await consumer.start();
    for (const n of [1, 2, 3]) await db.repository.transaction((tx) => tx.queue.send('ok', { n }));
    await all;
    await consumer.stop();
    expect(seen.sort()).toEqual([1, 2, 3]);
  });

  it('puts a failing message back with a delay, and dead-letters it after repeated failures', async () => {
    let clock = new Date('2030-01-01T00:00:00Z');
    const failures: number[] = [];
    let failed: () => void = () => {};
    let next = new Promise<void>((resolve) => {
      failed = resolve;
    });
    const consumer = new QueueConsumer({
      topic: 'poison',
      repository: db.repository,
      connection: db.connection,
      now: () => clock,
      handle: async () => {
        throw new Error('cannot handle this');
      },
      onError: (_error, id) => {
        failures.push(id ?? -1);
        failed();
      },
    });
    await consumer.start();
    await db.repository.transaction((tx) => tx.queue.send('poison', { bad: true }));
    for (let i = 1; i <= 8; i++) {
      await next;
      next = new Promise<void>((resolve) => {
        failed = resolve;
      });
      const due = await db.repository.queue.nextAvailableAt('poison');
      if (i < 8) {
        // back in the queue, not before 2^(i-1) seconds have passed
        expect(due!.getTime() - clock.getTime()).toBe(1000 * 2 ** (i - 1));
        clock = new Date(due!.getTime());
        consumer.wake();
      } else {
        expect(due).toBeUndefined();
      }
    }
    await consumer.stop();
    expect(failures).toHaveLength(8);
    const dead = await db.repository.transaction((tx) => tx.queue.claimNext('poison.dead', clock));
    expect(dead?.payload).toMatchObject({ bad: true, roostFailures: 8 });
  });
});
