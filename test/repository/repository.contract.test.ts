// One contract suite for the repository, run on real Postgres and on embedded PGlite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, parseQueueNotice, QUEUE_CHANNEL } from '../../control-plane/repository/index.ts';
import { newId, State } from '../../protocol/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const drivers = ['postgres', 'pglite'] as const;

describe.each(drivers)('repository on %s', (driver) => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase(driver === 'pglite' ? 'pglite' : undefined);
    db = await testDb.open();
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  it('stores a new revision only when the flow source changes', async () => {
    const repo = db.repository;
    const a = await repo.transaction((tx) => tx.flows.save('ns', 'f', 'id: f # one', { id: 'f' }));
    const same = await repo.transaction((tx) => tx.flows.save('ns', 'f', 'id: f # one', { id: 'f' }));
    const b = await repo.transaction((tx) => tx.flows.save('ns', 'f', 'id: f # two', { id: 'f' }));
    expect([a.row.revision, same.created, b.row.revision]).toEqual([1, false, 2]);
    expect((await repo.flows.latest('ns', 'f'))?.source).toBe('id: f # two');
    expect((await repo.flows.revision('ns', 'f', 1))?.source).toBe('id: f # one');
  });

  it('finds API tokens and sessions by hash only while they are live, and keeps names unique', async () => {
    const { access } = db.repository;
    const now = new Date();
    const later = new Date(now.getTime() + 60_000);
    const earlier = new Date(now.getTime() - 60_000);
    const token = { id: newId(), name: 'ci', role: 'viewer', tokenHash: 'hash-ci', expiresAt: later };
    expect(await access.createToken(token)).toMatchObject({ name: 'ci' });
    expect(await access.createToken({ ...token, id: newId(), tokenHash: 'other' })).toBeUndefined();
    expect((await access.tokenByHash('hash-ci', now))?.id).toBe(token.id);
    expect(await access.tokenByHash('hash-ci', new Date(later.getTime() + 1))).toBeUndefined();
    expect(await access.revokeToken('ci')).toBe(true);
    expect(await access.tokenByHash('hash-ci', now)).toBeUndefined();

    const user = await access.createUser({ id: newId(), name: 'ann', role: 'admin', passwordHash: 'x' });
    await access.createSession(
      { id: newId(), userId: user!.id, secretHash: 'old', expiresAt: earlier },
      earlier,
    );
    await access.createSession({ id: newId(), userId: user!.id, secretHash: 'live', expiresAt: later }, now);
    expect((await access.sessionByHash('live', now))?.user.name).toBe('ann');
    expect(await access.sessionByHash('old', now)).toBeUndefined();
    expect(await access.deleteUser('ann')).toBe(true);
    expect(await access.sessionByHash('live', now)).toBeUndefined();
  });

  it('rolls back every write of a failed transaction', async () => {
    const repo = db.repository;
    await expect(
      repo.transaction(async (tx) => {
        await tx.flows.save('ns', 'rolled', 'id: rolled', {});
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await repo.flows.latest('ns', 'rolled')).toBeUndefined();
  });

  it('leases a job once and fences results by agent and attempt', async () => {
    const repo = db.repository;
    const id = newId();
    await repo.jobs.insert([
      {
        id,
        executionId: 'e',
        taskRunId: 't',
        state: 'queued',
        workerGroup: 'eu',
        payload: { task: {}, context: {} },
      },
    ]);
    const until = new Date(Date.now() + 10_000);
    const outside = await repo.jobs.leaseNext({
      agentId: 'x',
      groups: [],
      inDefaultGroup: true,
      freeSlots: 1,
      leaseUntil: until,
    });
    expect(outside).toBeUndefined();
    const leased = await repo.jobs.leaseNext({
      agentId: 'a',
      groups: ['eu'],
      inDefaultGroup: false,
      freeSlots: 1,
      leaseUntil: until,
    });
    expect(leased?.id).toBe(id);
    const again = await repo.jobs.leaseNext({
      agentId: 'b',
      groups: ['eu'],
      inDefaultGroup: false,
      freeSlots: 1,
      leaseUntil: until,
    });
    expect(again).toBeUndefined();
    expect(await repo.jobs.complete(id, 1, 'b')).toBeUndefined();
    expect(await repo.jobs.complete(id, 2, 'a')).toBeUndefined();
    expect((await repo.jobs.complete(id, 1, 'a'))?.state).toBe('done');
    expect(await repo.jobs.complete(id, 1, 'a')).toBeUndefined();
  });

  it('leases as many queued jobs as fit the free slots in one statement, oldest first, none heavier than the agent', async () => {
    const repo = db.repository;
    const group = `many-${newId()}`;
    const base = Date.now() - 60_000;
    // queue order: weights 1, 1, 3, 1, 1
    const ids = [1, 1, 3, 1, 1].map((slots, i) => ({ id: newId(), slots, createdAt: new Date(base + i) }));
    await repo.jobs.insert(
      ids.map(({ id, slots, createdAt }) => ({
        id,
        executionId: 'e',
        taskRunId: `t-${id}`,
        state: 'queued',
        workerGroup: group,
        slots,
        createdAt,
        payload: { task: {}, context: {} },
      })),
    );
    const now = new Date();
    await repo.executions.insertTaskRuns(
      ids.map(({ id }) => ({
        id: `t-${id}`,
        executionId: 'e',
        taskId: 'work',
        state: 'CREATED',
        histories: [{ state: 'CREATED', date: now.toISOString() }],
        attempts: [],
        startDate: now,
      })),
    );
    const request = (freeSlots: number) => ({
      agentId: 'a',
      groups: [group],
      inDefaultGroup: false,
      freeSlots,
      leaseUntil: new Date(Date.now() + 10_000),
    });
    // 4 free slots: 1 + 1 fit, the 3-slot job does not, and it ends the run
    const first = await repo.jobs.leaseNextMany(request(4), now);
    expect(first.map((j) => j.id)).toEqual([ids[0]!.id, ids[1]!.id]);
    expect(first.every((j) => j.state === 'leased' && j.agentId === 'a')).toBe(true);
    // the same statement started each one's attempt
    const run = await repo.executions.taskRun(`t-${ids[0]!.id}`);
    expect(run?.state).toBe('RUNNING');
    expect(run?.attempts).toEqual([{ state: 'RUNNING', startDate: now.toISOString(), agentId: 'a' }]);
    expect(run?.histories.map((h) => h.state)).toEqual(['CREATED', 'RUNNING']);
    expect((await repo.executions.taskRun(`t-${ids[4]!.id}`))?.state).toBe('CREATED');
    // an agent of 2 slots, free slots counting jobs it holds ready beyond them: never the 3-slot job
    const light = await repo.jobs.leaseNextMany({ ...request(4), maxJobSlots: 2 }, now);
    expect(light.map((j) => j.id)).toEqual([ids[3]!.id, ids[4]!.id]);
    expect(await repo.jobs.leaseNextMany(request(0), now)).toEqual([]);
    const last = await repo.jobs.leaseNextMany(request(4), now);
    expect(last.map((j) => j.id)).toEqual([ids[2]!.id]);
    expect(await repo.jobs.leaseNextMany(request(4), now)).toEqual([]);
    // results in one statement: fenced one by one, a repeat in the same batch completes nothing more
    const [a0, a1] = first;
    const done = await repo.jobs.completeMany([
      { jobId: a0!.id, attempt: 1, agentId: 'a' },
      { jobId: a1!.id, attempt: 1, agentId: 'b' },
      { jobId: a0!.id, attempt: 1, agentId: 'a' },
      { jobId: a1!.id, attempt: 2, agentId: 'a' },
      { jobId: last[0]!.id, attempt: 1, agentId: 'a' },
    ]);
    expect(done.map((j) => j?.id)).toEqual([a0!.id, undefined, undefined, undefined, last[0]!.id]);
    expect(done[0]?.state).toBe('done');
    expect((await repo.jobs.get(a1!.id))?.state).toBe('leased');
  });

  it('leases jobs to hold ready only from the head of the queue, while it is the same work', async () => {
    const repo = db.repository;
    const group = `ready-${newId()}`;
    const base = Date.now() - 60_000;
    // queue order: e1/work, e1/other, e1/work, e2/work
    const order = [
      ['e1', 'work'],
      ['e1', 'other'],
      ['e1', 'work'],
      ['e2', 'work'],
    ] as const;
    const ids = order.map(([executionId, taskId], i) => ({
      id: newId(),
      executionId: `${executionId}-${group}`,
      taskId,
      createdAt: new Date(base + i),
    }));
    await repo.jobs.insert(
      ids.map(({ id, executionId, taskId, createdAt }) => ({
        id,
        executionId,
        taskRunId: `t-${id}`,
        state: 'queued',
        workerGroup: group,
        createdAt,
        payload: { task: { id: taskId }, context: {} },
      })),
    );
    const now = new Date();
    await repo.executions.insertTaskRuns(
      ids.map(({ id, executionId, taskId }) => ({
        id: `t-${id}`,
        executionId,
        taskId,
        state: 'CREATED',
        histories: [{ state: 'CREATED', date: now.toISOString() }],
        attempts: [],
        startDate: now,
      })),
    );
    const request = (ready?: { executionId: string; taskIds: string[] }) => ({
      agentId: 'a',
      groups: [group],
      inDefaultGroup: false,
      freeSlots: 4,
      leaseUntil: new Date(Date.now() + 10_000),
      ...(ready ? { ready } : {}),
    });
    const e1 = `e1-${group}`;
    // e1's work heads the queue, then e1's other task: the run ends there
    const work = await repo.jobs.leaseNextMany(request({ executionId: e1, taskIds: ['work'] }), now);
    expect(work.map((j) => j.id)).toEqual([ids[0]!.id]);
    // both tasks of e1: the run ends at e2's job, not after
    const both = await repo.jobs.leaseNextMany(request({ executionId: e1, taskIds: ['work', 'other'] }), now);
    expect(both.map((j) => j.id)).toEqual([ids[1]!.id, ids[2]!.id]);
    // e2's job heads the queue now, but it is other work
    expect(await repo.jobs.leaseNextMany(request({ executionId: e1, taskIds: ['work'] }), now)).toEqual([]);
    expect((await repo.jobs.leaseNextMany(request(), now)).map((j) => j.id)).toEqual([ids[3]!.id]);
  });

  it('takes back a job given back unstarted: queued as the same attempt, the start undone, fenced', async () => {
    const repo = db.repository;
    const group = `back-${newId()}`;
    const created = new Date(Date.now() - 60_000);
    const at = created.toISOString();
    const runs = [
      // a first attempt: CREATED before its lease
      { id: newId(), state: State.CREATED, histories: [{ state: State.CREATED, date: at }], attempts: [] },
      // a retry: the task run is RUNNING already, with its first attempt failed
      {
        id: newId(),
        state: State.RUNNING,
        histories: [
          { state: State.CREATED, date: at },
          { state: State.RUNNING, date: at },
        ],
        attempts: [{ state: State.FAILED, startDate: at, agentId: 'a' }],
      },
    ];
    await repo.executions.insertTaskRuns(
      runs.map((r) => ({ ...r, executionId: `e-${group}`, taskId: 'work', startDate: created })),
    );
    const jobIds = runs.map(() => newId());
    await repo.jobs.insert(
      runs.map((r, i) => ({
        id: jobIds[i]!,
        executionId: `e-${group}`,
        taskRunId: r.id,
        attempt: i + 1,
        state: 'queued',
        workerGroup: group,
        payload: { task: { id: 'work' }, context: {} },
      })),
    );
    const now = new Date();
    const until = new Date(Date.now() + 10_000);
    for (const id of jobIds) expect(await repo.jobs.leaseById(id, 'a', until, now)).toBeDefined();
    // fenced: another agent, or another attempt, takes back nothing
    expect(await repo.jobs.giveBack(jobIds[0]!, 1, 'b')).toBeUndefined();
    expect(await repo.jobs.giveBack(jobIds[0]!, 2, 'a')).toBeUndefined();
    expect((await repo.executions.taskRun(runs[0]!.id))?.attempts).toHaveLength(1);

    const first = await repo.jobs.giveBack(jobIds[0]!, 1, 'a');
    expect(first).toMatchObject({ state: 'queued', agentId: null, attempt: 1 });
    const undone = await repo.executions.taskRun(runs[0]!.id);
    expect(undone?.state).toBe('CREATED');
    expect(undone?.attempts).toEqual([]);
    expect(undone?.histories.map((h) => h.state)).toEqual(['CREATED']);

    await repo.jobs.giveBack(jobIds[1]!, 2, 'a');
    const retry = await repo.executions.taskRun(runs[1]!.id);
    expect(retry?.state).toBe('RUNNING');
    expect(retry?.attempts).toEqual(runs[1]!.attempts);
    expect(retry?.histories.map((h) => h.state)).toEqual(['CREATED', 'RUNNING']);
    // given back once: a second time takes back nothing
    expect(await repo.jobs.giveBack(jobIds[0]!, 1, 'a')).toBeUndefined();
  });

  it('applies task-run patches alike together and alone, nulls and dates included', async () => {
    const repo = db.repository;
    const now = new Date('2026-11-28T12:00:00.000Z');
    const ids = [newId(), newId(), newId()];
    await repo.executions.insertTaskRuns(
      ids.map((id) => ({
        id,
        executionId: 'patched',
        taskId: 'work',
        state: 'RUNNING',
        histories: [{ state: 'RUNNING', date: now.toISOString() }],
        attempts: [],
        outputs: { before: true },
        startDate: now,
      })),
    );
    const end = new Date('2026-11-28T12:00:01.500Z');
    await repo.executions.updateTaskRuns([
      // two patches setting the same columns share a statement; the third is alone
      { id: ids[0]!, patch: { state: 'SUCCESS', endDate: end, outputs: { value: 'a' } } },
      { id: ids[1]!, patch: { state: 'FAILED', endDate: end, outputs: null } },
      { id: ids[2]!, patch: { meta: { branch: 'then' }, outputs: undefined } },
    ]);
    const [a, b, c] = await Promise.all(ids.map((id) => repo.executions.taskRun(id)));
    expect([a?.state, a?.endDate?.toISOString(), a?.outputs]).toEqual([
      'SUCCESS',
      end.toISOString(),
      { value: 'a' },
    ]);
    expect([b?.state, b?.endDate?.toISOString(), b?.outputs]).toEqual(['FAILED', end.toISOString(), null]);
    expect([c?.state, c?.meta, c?.outputs]).toEqual(['RUNNING', { branch: 'then' }, { before: true }]);
  });

  it.each([1, 3])(
    'queues jobs %i at a time with the offline default of their worker group',
    async (count) => {
      const repo = db.repository;
      const group = `sites-${count}`;
      await repo.agents.saveWorkerGroup({ key: group, selector: {}, description: null, offline: true });
      const job = (workerGroup: string | null, offline?: boolean) => ({
        id: newId(),
        executionId: 'queued-jobs',
        taskRunId: newId(),
        state: 'queued',
        workerGroup,
        ...(offline === undefined ? {} : { offline }),
        payload: { task: { id: 't' }, context: { n: count } },
      });
      // the group's default, a task's own offline: false, and the default group
      const rows = [job(group), job(group, false), job(null)];
      if (count === 1) for (const row of rows) await repo.jobs.insert([row]);
      else await repo.jobs.insert(rows);
      const stored = await Promise.all(rows.map((row) => repo.jobs.get(row.id)));
      expect(stored.map((row) => row?.offline)).toEqual([true, false, false]);
      expect(stored[0]).toMatchObject({
        attempt: 1,
        slots: 1,
        fallback: 'WAIT',
        agentLost: 0,
        payload: { context: { n: count } },
      });
    },
  );

  it('hands each queue message to exactly one of several concurrent consumers', async () => {
    const repo = db.repository;
    const sent: number[] = [];
    for (let i = 0; i < 20; i++) sent.push(await repo.queue.send('contract', { i }));
    const claimed: number[] = [];
    const consumer = async () => {
      for (;;) {
        const row = await repo.transaction((tx) => tx.queue.claimNext('contract', new Date()));
        if (!row) return;
        claimed.push(row.id);
      }
    };
    await Promise.all([consumer(), consumer(), consumer(), consumer()]);
    expect(claimed.sort((a, b) => a - b)).toEqual(sent);
  });

  it('keeps a delayed message until it is due', async () => {
    const repo = db.repository;
    const due = new Date(Date.now() + 60_000);
    await repo.queue.send('delayed', {}, { availableAt: due });
    expect(await repo.transaction((tx) => tx.queue.claimNext('delayed', new Date()))).toBeUndefined();
    expect((await repo.queue.nextAvailableAt('delayed'))?.getTime()).toBe(due.getTime());
    expect(
      await repo.transaction((tx) => tx.queue.claimNext('delayed', new Date(due.getTime() + 1))),
    ).toBeDefined();
  });

  it('announces a queue message when its transaction commits', async () => {
    const seen: string[] = [];
    let resolveSeen: () => void = () => {};
    const arrived = new Promise<void>((r) => {
      resolveSeen = r;
    });
    const unlisten = await db.connection.listen(QUEUE_CHANNEL, (payload) => {
      const { topic } = parseQueueNotice(payload);
      seen.push(topic);
      if (topic === 'announced') resolveSeen();
    });
    await db.repository.transaction((tx) => tx.queue.send('announced', {}));
    await arrived;
    await unlisten();
    expect(seen).toContain('announced');
  });

  it('reads the task runs written since its last read, including writes still open during that read', async () => {
    const repo = db.repository;
    const executionId = newId();
    const run = (taskId: string) => ({
      id: newId(),
      executionId,
      parentTaskRunId: null,
      taskId,
      value: null,
      state: 'CREATED' as const,
      histories: [],
      attempts: [],
      outputs: null,
      meta: null,
      startDate: new Date(),
      endDate: null,
    });
    const [a, b] = [run('a'), run('b')];
    await repo.transaction((tx) => tx.executions.insertTaskRuns([a, b]));
    const all = await repo.executions.taskRunsSince(executionId);
    expect(all.taskRuns.map((r) => r.taskId)).toEqual(['a', 'b']);
    await repo.executions.startAttempt(a.id, { state: 'RUNNING', startDate: 'now' }, new Date());
    const next = await repo.executions.taskRunsSince(executionId, all.watermark);
    expect(next.taskRuns.find((r) => r.id === a.id)?.state).toBe('RUNNING');
    expect(next.watermark).toBeGreaterThanOrEqual(all.watermark);
    if (driver === 'pglite') return; // one connection: no transaction can stay open beside a read
    // a write whose transaction is open during a read is not seen by it, and is read the next time
    let commit!: () => void;
    const held = new Promise<void>((resolve) => {
      commit = resolve;
    });
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => {
      written = resolve;
    });
    const open = repo.transaction(async (tx) => {
      await tx.executions.startAttempt(b.id, { state: 'RUNNING', startDate: 'now' }, new Date());
      written();
      await held;
    });
    await wrote;
    const during = await repo.executions.taskRunsSince(executionId, next.watermark);
    expect(during.taskRuns.find((r) => r.id === b.id)?.state ?? 'CREATED').toBe('CREATED');
    commit();
    await open;
    const after = await repo.executions.taskRunsSince(executionId, during.watermark);
    expect(after.taskRuns.find((r) => r.id === b.id)?.state).toBe('RUNNING');
  });

  it('stores a replayed log chunk once', async () => {
    const repo = db.repository;
    const line = (n: number) => ({
      executionId: 'e1',
      jobId: 'j1',
      attempt: 1,
      seq: 0,
      line: n,
      level: 'INFO',
      message: `hello ${n}`,
      ts: new Date(),
    });
    expect(await repo.logs.insert([line(0), line(1)])).toBe(2);
    expect(await repo.logs.insert([line(0), line(1)])).toBe(0);
    expect((await repo.logs.list('e1')).map((l) => l.message)).toEqual(['hello 0', 'hello 1']);
    expect((await repo.logs.search('hello')).length).toBe(2);
  });
});
