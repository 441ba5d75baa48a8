// Kill, pause and resume, timeouts and retries, through the REST API with a real agent.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFlow, call, runFlow, waitForEnd, waitForExecution } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { processAlive as alive, type InProcessPlane, startInProcess, until } from '../support/in-process.ts';

describe('execution lifecycle', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;
  const scratch = mkdtempSync(join(tmpdir(), 'roost-lifecycle-'));

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
    await plane.agent('worker', {}, 4);
  }, 60_000);

  afterAll(async () => {
    await plane?.stop();
    await db?.drop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('kills a running shell task and its child processes, and ends the execution KILLED', async () => {
    const pidFile = join(scratch, 'child.pid');
    await applyFlow(
      plane.api,
      `id: long\nnamespace: life\ntasks:\n  - id: wait\n    type: io.kestra.plugin.scripts.shell.Commands\n    commands:\n      - sleep 60 &\n      - echo $! > ${pidFile}\n      - wait\n  - id: never\n    type: io.kestra.plugin.core.log.Log\n    message: not reached\n`,
    );
    const created = await runFlow(plane.api, 'life', 'long');
    await until(
      async () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '',
      'the child to start',
    );
    const child = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(child)).toBe(true);
    expect((await call(plane.api, 'DELETE', `/api/v1/executions/${created.id}/kill`)).status).toBe(202);
    const done = await waitForEnd(plane.api, created.id);
    expect(done.state.current).toBe('KILLED');
    expect(done.taskRunList.map((r) => [r.taskId, r.state.current])).toEqual([['wait', 'KILLED']]);
    await until(async () => !alive(child), 'the child process to be gone');
    const again = await call<{ code: string }>(plane.api, 'DELETE', `/api/v1/executions/${created.id}/kill`);
    expect(again.status).toBe(409);
  });

  it('pauses until resumed, and refuses to resume an execution that is not paused', async () => {
    await applyFlow(
      plane.api,
      'id: paused\nnamespace: life\ntasks:\n  - id: hold\n    type: io.kestra.plugin.core.flow.Pause\n  - id: after\n    type: io.kestra.plugin.core.debug.Return\n    format: resumed\n',
    );
    const created = await runFlow(plane.api, 'life', 'paused');
    await waitForExecution(plane.api, created.id, (e) => e.state.current === 'PAUSED');
    expect((await call(plane.api, 'POST', `/api/v1/executions/${created.id}/resume`, {})).status).toBe(204);
    const done = await waitForEnd(plane.api, created.id);
    expect(done.state.current).toBe('SUCCESS');
    expect(done.taskRunList.find((r) => r.taskId === 'after')?.outputs).toEqual({ value: 'resumed' });
    const late = await call<{ code: string }>(
      plane.api,
      'POST',
      `/api/v1/executions/${created.id}/resume`,
      {},
    );
    expect(late.status).toBe(409);
  });

  it('fails a task whose timeout passes while it runs on an agent', async () => {
    await applyFlow(
      plane.api,
      'id: slow\nnamespace: life\ntasks:\n  - id: nap\n    type: io.kestra.plugin.scripts.shell.Commands\n    timeout: PT1S\n    commands:\n      - sleep 30\n',
    );
    const done = await waitForEnd(plane.api, (await runFlow(plane.api, 'life', 'slow')).id);
    expect(done.state.current).toBe('FAILED');
    expect(done.taskRunList[0]?.attempts).toHaveLength(1);
  });

  it('retries a failing task as a new attempt of the same task run', async () => {
    const marker = join(scratch, 'tried');
    await applyFlow(
      plane.api,
      `id: flaky\nnamespace: life\ntasks:\n  - id: once\n    type: io.kestra.plugin.scripts.shell.Commands\n    retry:\n      type: constant\n      interval: PT0.2S\n      maxAttempt: 3\n    commands:\n      - if [ -f ${marker} ]; then echo second; else touch ${marker}; exit 1; fi\n`,
    );
    const done = await waitForEnd(plane.api, (await runFlow(plane.api, 'life', 'flaky')).id);
    expect(done.state.current).toBe('SUCCESS');
    expect(done.taskRunList).toHaveLength(1);
    expect(done.taskRunList[0]?.attempts.map((a) => a.state.current)).toEqual(['FAILED', 'SUCCESS']);
  });
});
