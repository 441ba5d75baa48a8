// The race on a task run's attempts between the dispatcher and the executor, on real Postgres: the
// dispatcher leases a job and records its running attempt while the executor, which read the task run
// just before, decides the task's timeout. The executor's write must not erase the dispatcher's attempt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantLease } from '../../control-plane/dispatcher/leasing.ts';
import { createExecution, Executor, type ExecutorMessage } from '../../control-plane/executor/index.ts';
import { silentLogger } from '../../control-plane/logger.ts';
import type { Database, Repository } from '../../control-plane/repository/index.ts';
import { parseFlow } from '../../protocol/flow/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const SOURCE = `id: slow
namespace: race
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: x
    timeout: PT1S
`;

describe('attempts of a task run written by the dispatcher and the executor at once', () => {
  let db: TestDatabase;
  let executorSide: Database;
  let dispatcherSide: Database;

  beforeAll(async () => {
    db = await createTestDatabase();
    if (db.driver !== 'postgres') throw new Error('this test needs real Postgres');
    executorSide = await db.open();
    dispatcherSide = await db.open();
  }, 60_000);

  afterAll(async () => {
    await db?.drop();
  });

  /** A view of `tx` that runs `between` once, right after the executor has read the task runs. */
  function readThen(tx: Repository, between: () => Promise<void>): Repository {
    let done = false;
    const executions = new Proxy(tx.executions, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'taskRunsSince') return typeof value === 'function' ? value.bind(target) : value;
        return async (id: string, since?: number) => {
          const rows = await target.taskRunsSince(id, since);
          if (!done) {
            done = true;
            await between();
          }
          return rows;
        };
      },
    });
    return new Proxy(tx, { get: (target, p) => (p === 'executions' ? executions : Reflect.get(target, p)) });
  }

  it('keeps the attempt an agent was leased when the timeout is decided from an older read', async () => {
    const { repository } = executorSide;
    const flow = parseFlow(SOURCE);
    await repository.transaction((tx) => tx.flows.save('race', 'slow', SOURCE, flow as never));
    const executor = new Executor({
      repository,
      connection: executorSide.connection,
      logger: silentLogger(),
    });
    const { execution } = await createExecution(repository, { namespace: 'race', flowId: 'slow' });
    const send = (tx: Repository, message: ExecutorMessage) => executor.submitInline(tx, message);
    const started = await repository.transaction((tx) =>
      send(tx, { executionId: execution.id, event: { type: 'start' } }),
    );
    const [job] = started.committed!.jobs;
    const [run] = await repository.executions.taskRuns(execution.id);
    expect(job?.taskRunId).toBe(run!.id);

    const now = new Date();
    const leaseToA1 = () =>
      // the dispatcher leases the job to agent a1 and records its running attempt, and commits
      dispatcherSide.repository.transaction(async (other) => {
        const lease = { jobId: job!.id, agentId: 'a1', leaseUntil: new Date(now.getTime() + 60_000) };
        expect(await grantLease(other, lease, now)).toBeDefined();
      });
    const leased = await repository.transaction((tx) =>
      send(readThen(tx, leaseToA1), {
        executionId: execution.id,
        event: { type: 'timeout', taskRunId: run!.id, attempt: 1 },
      }),
    );
    // the agent that held the job is told to stop it
    expect(leased.committed?.stopped.map((s) => s.agentId)).toEqual(['a1']);
    const after = await repository.executions.taskRun(run!.id);
    expect(after!.state).toBe('FAILED');
    expect(after!.attempts).toHaveLength(1);
    expect(after!.attempts[0]).toMatchObject({ agentId: 'a1', state: 'FAILED' });
    expect(after!.attempts[0]!.error?.message).toBe("task 't' timed out after PT1S");
    expect(after!.histories.map((h) => h.state)).toEqual(['CREATED', 'RUNNING', 'FAILED']);
  });
});
