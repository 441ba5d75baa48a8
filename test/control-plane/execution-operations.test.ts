// Restart, replay and labels of an execution through the REST API, on real Postgres with an agent.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyFlow,
  call,
  type ExecutionJson,
  runFlow,
  waitForEnd,
  waitForExecution,
} from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess, TEST_ADMIN_TOKEN } from '../support/in-process.ts';

type Problem = { code: string; message: string };

const ROOST = resolve(import.meta.dirname, '../../bin/roost.mjs');

/** Runs the `roost` command as a child process; resolves with its exit code and output. */
async function roost(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [ROOST, ...args], {
      env: { ...process.env, ROOST_TOKEN: TEST_ADMIN_TOKEN },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('execution operations', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;
  const dir = mkdtempSync(join(tmpdir(), 'roost-ops-'));

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
    await plane.agent('ops');
    // `fix` fails until the file `healed` exists
    await applyFlow(
      plane.api,
      [
        'id: fragile',
        'namespace: ops',
        'tasks:',
        '  - id: first',
        '    type: io.kestra.plugin.core.debug.Return',
        '    format: one',
        '  - id: fix',
        '    type: io.kestra.plugin.scripts.shell.Commands',
        '    commands:',
        `      - test -f ${dir}/healed`,
        '  - id: last',
        '    type: io.kestra.plugin.core.debug.Return',
        '    format: "{{ outputs.first.value }}-done"',
      ].join('\n'),
    );
    await applyFlow(
      plane.api,
      'id: waits\nnamespace: ops\ntasks:\n  - id: hold\n    type: io.kestra.plugin.core.flow.Pause\n',
    );
  }, 60_000);

  afterAll(async () => {
    await plane?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (id: string) =>
    (await call<ExecutionJson>(plane.api, 'GET', `/api/v1/executions/${id}`)).body;
  const run = (e: ExecutionJson, taskId: string) => e.taskRunList.find((r) => r.taskId === taskId)!;

  async function failedExecution(): Promise<ExecutionJson> {
    rmSync(join(dir, 'healed'), { force: true });
    const failed = await waitForEnd(plane.api, (await runFlow(plane.api, 'ops', 'fragile')).id);
    expect(failed.state.current).toBe('FAILED');
    return failed;
  }

  describe('restart', () => {
    it('re-runs the failed task of the same execution as its second attempt', async () => {
      const failed = await failedExecution();
      writeFileSync(join(dir, 'healed'), '');
      const restarted = await call<ExecutionJson>(
        plane.api,
        'POST',
        `/api/v1/executions/${failed.id}/restart`,
      );
      expect(restarted.status).toBe(200);
      expect(restarted.body.id).toBe(failed.id);
      // committed before the answer: RESTARTED, then RUNNING in the same decision
      expect(restarted.body.state.histories.map((h) => h.state).slice(-2)).toEqual(['RESTARTED', 'RUNNING']);
      expect(restarted.body.state.current).toBe('RUNNING');

      const done = await waitForEnd(plane.api, failed.id);
      expect(done.state.current).toBe('SUCCESS');
      expect(done.state.histories.map((h) => h.state)).toEqual([
        'CREATED',
        'RUNNING',
        'FAILED',
        'RESTARTED',
        'RUNNING',
        'SUCCESS',
      ]);
      expect(done.taskRunList.map((r) => r.taskId)).toEqual(['first', 'fix', 'last']);
      expect(run(done, 'fix').id).toBe(run(failed, 'fix').id);
      expect(run(done, 'fix').attempts.map((a) => a.state.current)).toEqual(['FAILED', 'SUCCESS']);
      expect(run(done, 'first').attempts).toHaveLength(1);
      expect(run(done, 'last').outputs).toEqual({ value: 'one-done' });
    });

    it('refuses to restart an execution that succeeded, and changes nothing', async () => {
      writeFileSync(join(dir, 'healed'), '');
      const ok = await waitForEnd(plane.api, (await runFlow(plane.api, 'ops', 'fragile')).id);
      expect(ok.state.current).toBe('SUCCESS');
      const res = await call<Problem>(plane.api, 'POST', `/api/v1/executions/${ok.id}/restart`);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('ROOST_CONFLICT');
      expect(res.body.message).toBe(
        `execution ${ok.id} is SUCCESS: only a FAILED or KILLED execution can be restarted`,
      );
      expect(await get(ok.id)).toEqual(ok);
    });

    it('restarts from the command line, following the execution to its end', async () => {
      const failed = await failedExecution();
      writeFileSync(join(dir, 'healed'), '');
      const result = await roost('execution', 'restart', failed.id, '--wait', '--server', plane.api);
      expect(result.stdout).toContain(`execution ${failed.id} restarted`);
      expect(result.stdout).toContain(`execution ${failed.id} ended SUCCESS`);
      expect(result.code).toBe(0);
      const again = await roost('execution', 'restart', failed.id, '--server', plane.api);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('only a FAILED or KILLED execution can be restarted (ROOST_CONFLICT)');
    });

    it('refuses to restart an execution that does not exist', async () => {
      const res = await call<Problem>(plane.api, 'POST', '/api/v1/executions/nope/restart');
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ code: 'ROOST_NOT_FOUND', message: 'execution nope does not exist' });
    });
  });

  async function pausedExecution(): Promise<ExecutionJson> {
    const created = await runFlow(plane.api, 'ops', 'waits');
    return waitForExecution(plane.api, created.id, (e) => e.state.current === 'PAUSED');
  }

  it('refuses restart, replay and labels of an execution that has not ended, and changes nothing', async () => {
    const paused = await pausedExecution();
    for (const [path, body] of [
      ['restart', undefined],
      ['replay', undefined],
      ['labels', [{ key: 'team', value: 'data' }]],
    ] as const) {
      const res = await call<Problem>(plane.api, 'POST', `/api/v1/executions/${paused.id}/${path}`, body);
      expect(res.status, path).toBe(409);
      expect(res.body.code).toBe('ROOST_CONFLICT');
      expect(res.body.message).toContain(`execution ${paused.id} is PAUSED`);
    }
    expect(await get(paused.id)).toEqual(paused);
    const all = await call<{ total: number }>(plane.api, 'GET', '/api/v1/executions/search?flowId=waits');
    expect(all.body.total).toBe(1);
    await call(plane.api, 'DELETE', `/api/v1/executions/${paused.id}/kill`);
    await waitForEnd(plane.api, paused.id);
  });

  describe('replay', () => {
    it('creates a linked execution that keeps the runs before the chosen one and re-runs from it', async () => {
      const failed = await failedExecution();
      writeFileSync(join(dir, 'healed'), '');
      const res = await call<
        ExecutionJson & { originalId: string; labels: { key: string; value: string }[] }
      >(plane.api, 'POST', `/api/v1/executions/${failed.id}/replay?taskRunId=${run(failed, 'fix').id}`);
      expect(res.status).toBe(200);
      expect(res.body.id).not.toBe(failed.id);
      expect(res.body.originalId).toBe(failed.id);
      expect(res.body.labels).toContainEqual({ key: 'system.replay', value: 'true' });
      expect(res.body.taskRunList[0]?.taskId).toBe('first');

      const done = await waitForEnd(plane.api, res.body.id);
      expect(done.state.current).toBe('SUCCESS');
      expect(done.taskRunList.map((r) => r.taskId)).toEqual(['first', 'fix', 'last']);
      expect(run(done, 'first').id).not.toBe(run(failed, 'first').id);
      expect(run(done, 'first').outputs).toEqual({ value: 'one' });
      expect(run(done, 'fix').attempts.map((a) => a.state.current)).toEqual(['SUCCESS']);
      // the copied outputs of `first` feed the task after the replayed one
      expect(run(done, 'last').outputs).toEqual({ value: 'one-done' });
      expect(await get(failed.id)).toEqual(failed);
    });

    it('replays from the start on the command line', async () => {
      const failed = await failedExecution();
      writeFileSync(join(dir, 'healed'), '');
      const result = await roost('execution', 'replay', failed.id, '--wait', '--server', plane.api);
      expect(result.code).toBe(0);
      const id = /execution (\S+) created, replaying/.exec(result.stdout)?.[1];
      expect(id).toBeDefined();
      const done = await get(id!);
      expect(done.state.current).toBe('SUCCESS');
      expect(run(done, 'first').attempts).toHaveLength(1);
      expect(run(done, 'first').id).not.toBe(run(failed, 'first').id);
    });

    it('refuses a task run that is not part of the execution, and an unknown execution', async () => {
      const failed = await failedExecution();
      const count = async () =>
        (await call<{ total: number }>(plane.api, 'GET', '/api/v1/executions/search?size=1000')).body.total;
      const before = await count();
      const res = await call<Problem>(
        plane.api,
        'POST',
        `/api/v1/executions/${failed.id}/replay?taskRunId=x`,
      );
      expect(res.status).toBe(404);
      expect(res.body.message).toBe(`task run x is not a task run of execution ${failed.id}`);
      const missing = await call<Problem>(plane.api, 'POST', '/api/v1/executions/nope/replay');
      expect(missing.status).toBe(404);
      expect(missing.body.message).toBe('execution nope does not exist');
      expect(await count()).toBe(before);
    });
  });

  describe('labels', () => {
    type Labelled = ExecutionJson & { labels: { key: string; value: string }[] };

    it('adds and replaces labels of an ended execution, keeping the others', async () => {
      writeFileSync(join(dir, 'healed'), '');
      const created = await call<Labelled>(
        plane.api,
        'POST',
        '/api/v1/executions/ops/fragile?labels=team:ops&labels=env:dev',
      );
      await waitForEnd(plane.api, created.body.id);
      const res = await call<Labelled>(plane.api, 'POST', `/api/v1/executions/${created.body.id}/labels`, [
        { key: 'env', value: 'prod' },
        { key: 'reviewed', value: 'yes' },
      ]);
      expect(res.status).toBe(200);
      const expected = [
        { key: 'team', value: 'ops' },
        { key: 'env', value: 'prod' },
        { key: 'reviewed', value: 'yes' },
      ];
      // every execution also carries system.correlationId, which no operation here touches
      const byKey = (labels: Labelled['labels']) =>
        labels.filter((l) => l.key !== 'system.correlationId').sort((a, b) => a.key.localeCompare(b.key));
      expect(byKey(res.body.labels)).toEqual(byKey(expected));
      expect(byKey(((await get(created.body.id)) as Labelled).labels)).toEqual(byKey(expected));
    });

    it('refuses system labels and malformed bodies, naming the entry, and changes nothing', async () => {
      writeFileSync(join(dir, 'healed'), '');
      const ended = await waitForEnd(plane.api, (await runFlow(plane.api, 'ops', 'fragile')).id);
      const cases: [unknown, string][] = [
        [
          [{ key: 'system.correlationId', value: 'x' }],
          "labels[0]: label 'system.correlationId' starts with 'system.': system labels are set by Roost itself",
        ],
        [
          [
            { key: 'ok', value: 'x' },
            { key: '', value: 'y' },
          ],
          'labels[1].key must be a non-empty string',
        ],
        [[{ key: 'n', value: 3 }], "labels[0].value of label 'n' must be a string"],
        [{ key: 'a', value: 'b' }, 'send the labels as a JSON list of {"key": ..., "value": ...}'],
      ];
      for (const [body, message] of cases) {
        const res = await call<Problem>(plane.api, 'POST', `/api/v1/executions/${ended.id}/labels`, body);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ code: 'ROOST_BAD_REQUEST', message });
      }
      expect(await get(ended.id)).toEqual(ended);
      const missing = await call<Problem>(plane.api, 'POST', '/api/v1/executions/nope/labels', []);
      expect(missing.status).toBe(404);
    });

    it('sets labels from the command line', async () => {
      writeFileSync(join(dir, 'healed'), '');
      const ended = await waitForEnd(plane.api, (await runFlow(plane.api, 'ops', 'fragile')).id);
      const result = await roost('execution', 'labels', ended.id, 'owner=ann', '--server', plane.api);
      expect(result.code).toBe(0);
      const labels = ((await get(ended.id)) as Labelled).labels;
      expect(labels.filter((l) => l.key !== 'system.correlationId')).toEqual([
        { key: 'owner', value: 'ann' },
      ]);
    });
  });

  describe('retry as a new execution', () => {
    type Linked = ExecutionJson & { originalId: string; metadata: { attemptNumber: number } };

    it('ends each failed attempt RETRIED and tries again in a new linked execution, up to maxAttempt', async () => {
      await applyFlow(
        plane.api,
        [
          'id: again',
          'namespace: ops',
          'retry:',
          '  behavior: CREATE_NEW_EXECUTION',
          '  type: constant',
          '  interval: PT0.2S',
          '  maxAttempt: 3',
          'tasks:',
          '  - id: fail',
          '    type: io.kestra.plugin.core.execution.Fail',
        ].join('\n'),
      );
      const first = await runFlow(plane.api, 'ops', 'again');
      const chain: Linked[] = [(await waitForEnd(plane.api, first.id)) as Linked];
      while (chain.at(-1)!.state.current === 'RETRIED') {
        // the next attempt is created in the same transaction that ends this one
        const all = await call<{ results: Linked[] }>(
          plane.api,
          'GET',
          '/api/v1/executions/search?flowId=again',
        );
        const next = all.body.results.find((e) => e.metadata.attemptNumber === chain.length + 1);
        expect(next, `attempt ${chain.length + 1}`).toBeDefined();
        chain.push((await waitForEnd(plane.api, next!.id)) as Linked);
      }
      expect(chain.map((e) => e.state.current)).toEqual(['RETRIED', 'RETRIED', 'FAILED']);
      expect(chain.map((e) => e.metadata.attemptNumber)).toEqual([1, 2, 3]);
      expect(chain.map((e) => e.originalId)).toEqual([first.id, first.id, first.id]);
      expect(chain.map((e) => e.taskRunList.map((r) => r.state.current))).toEqual([
        ['RETRIED'],
        ['RETRIED'],
        ['FAILED'],
      ]);
      expect(chain[0]!.state.histories.map((h) => h.state)).toEqual([
        'CREATED',
        'RUNNING',
        'RETRYING',
        'RETRIED',
      ]);
    });
  });
});
