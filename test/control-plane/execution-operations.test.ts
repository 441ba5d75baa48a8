// Restart, replay and labels of an execution through the REST API, on real Postgres with an agent.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFlow, call, type ExecutionJson, runFlow, waitForEnd } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess } from '../support/in-process.ts';

type Problem = { code: string; message: string };

const ROOST = resolve(import.meta.dirname, '../../bin/roost.mjs');

/** Runs the `roost` command as a child process; resolves with its exit code and output. */
async function roost(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [ROOST, ...args]);
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
});
