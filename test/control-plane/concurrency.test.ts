// A flow's concurrency limit under concurrent starts, on real Postgres with an agent: never more than
// `limit` executions run at once, the others wait QUEUED and all of them run; CANCEL ends the extra ones.
import { readFileSync } from 'node:fs';
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
import { type InProcessPlane, startInProcess } from '../support/in-process.ts';

const VALIDS = new URL('../../../shared/kestra-flows/valids/', import.meta.url);

/** The most executions that held a slot at the same moment, from their state histories. */
function mostAtOnce(executions: ExecutionJson[]): number {
  const events: [number, number][] = [];
  for (const e of executions) {
    const start = e.state.histories.find((h) => h.state === 'RUNNING');
    const end = e.state.histories.at(-1);
    if (!start || !end) throw new Error(`execution ${e.id} never ran`);
    events.push([Date.parse(start.date), 1], [Date.parse(end.date), -1]);
  }
  // at the same instant, an end comes before a start: the slot was handed over
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, change] of events) {
    now += change;
    most = Math.max(most, now);
  }
  return most;
}

describe('flow concurrency', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
    // more agent slots than the limit: only the flow's limit holds executions back
    await plane.agent('wide', {}, 8);
  }, 60_000);

  afterAll(async () => {
    await plane?.stop();
    await db?.drop();
  });

  async function slotsHeld(flowId: string): Promise<number> {
    const { repository } = await db.open();
    return repository.transaction((tx) => tx.concurrency.lock('conc', flowId));
  }

  it('never runs more than the limit when 20 executions start at once, and runs every queued one in order', async () => {
    await applyFlow(
      plane.api,
      [
        'id: limited',
        'namespace: conc',
        'concurrency:',
        '  limit: 2',
        'tasks:',
        '  - id: work',
        '    type: io.kestra.plugin.scripts.shell.Commands',
        '    commands:',
        '      - sleep 0.2',
      ].join('\n'),
    );
    const created = await Promise.all(
      Array.from({ length: 20 }, () => runFlow(plane.api, 'conc', 'limited')),
    );
    const ended = await Promise.all(created.map((e) => waitForEnd(plane.api, e.id, 60_000)));
    expect(ended.map((e) => e.state.current)).toEqual(Array(20).fill('SUCCESS'));
    expect(mostAtOnce(ended)).toBe(2);
    const queued = ended.filter((e) => e.state.histories.some((h) => h.state === 'QUEUED'));
    expect(queued.length).toBeGreaterThanOrEqual(18);
    for (const e of queued) {
      expect(e.state.histories.map((h) => h.state)).toEqual(['CREATED', 'QUEUED', 'RUNNING', 'SUCCESS']);
    }
    // the queued ones started in the order they were created
    const byCreation = [...queued].sort(
      (a, b) => Date.parse(a.state.startDate) - Date.parse(b.state.startDate) || a.id.localeCompare(b.id),
    );
    const started = (e: ExecutionJson) =>
      Date.parse(e.state.histories.find((h) => h.state === 'RUNNING')!.date);
    for (let i = 1; i < byCreation.length; i++) {
      expect(started(byCreation[i]!)).toBeGreaterThanOrEqual(started(byCreation[i - 1]!));
    }
    expect(await slotsHeld('limited')).toBe(0);
  }, 90_000);

  it('cancels at once an execution that finds the slots taken (behavior CANCEL), and frees the slot of a killed one', async () => {
    await applyFlow(
      plane.api,
      [
        'id: single',
        'namespace: conc',
        'concurrency:',
        '  limit: 1',
        '  behavior: CANCEL',
        'tasks:',
        '  - id: hold',
        '    type: io.kestra.plugin.core.flow.Pause',
      ].join('\n'),
    );
    const first = await runFlow(plane.api, 'conc', 'single');
    await waitForExecution(plane.api, first.id, (e) => e.state.current === 'PAUSED');
    const second = await waitForEnd(plane.api, (await runFlow(plane.api, 'conc', 'single')).id);
    expect(second.state.histories.map((h) => h.state)).toEqual(['CREATED', 'CANCELLED']);
    expect(second.taskRunList).toEqual([]);
    expect(await slotsHeld('single')).toBe(1);

    await call(plane.api, 'DELETE', `/api/v1/executions/${first.id}/kill`);
    expect((await waitForEnd(plane.api, first.id)).state.current).toBe('KILLED');
    expect(await slotsHeld('single')).toBe(0);
    const third = await runFlow(plane.api, 'conc', 'single');
    await waitForExecution(plane.api, third.id, (e) => e.state.current === 'PAUSED');
    await call(plane.api, 'DELETE', `/api/v1/executions/${third.id}/kill`);
    await waitForEnd(plane.api, third.id);
  });

  it('refuses to restart an execution while the flow has no free slot, and restarts it once one is free', async () => {
    await applyFlow(
      plane.api,
      [
        'id: gate',
        'namespace: conc',
        'concurrency:',
        '  limit: 1',
        'inputs:',
        '  - id: mode',
        '    type: STRING',
        'tasks:',
        '  - id: which',
        '    type: io.kestra.plugin.core.flow.If',
        '    condition: "{{ inputs.mode == \'hold\' }}"',
        '    then:',
        '      - id: hold',
        '        type: io.kestra.plugin.core.flow.Pause',
        '    else:',
        '      - id: fail',
        '        type: io.kestra.plugin.core.execution.Fail',
      ].join('\n'),
    );
    const failed = await waitForEnd(
      plane.api,
      (await runFlow(plane.api, 'conc', 'gate', { mode: 'fail' })).id,
    );
    expect(failed.state.current).toBe('FAILED');
    const holder = await runFlow(plane.api, 'conc', 'gate', { mode: 'hold' });
    await waitForExecution(plane.api, holder.id, (e) => e.state.current === 'PAUSED');

    const refused = await call<{ code: string; message: string }>(
      plane.api,
      'POST',
      `/api/v1/executions/${failed.id}/restart`,
    );
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe(
      `flow conc.gate has reached its concurrency limit of 1 running executions: restart ${failed.id} once one has ended`,
    );
    const unchanged = await call<ExecutionJson>(plane.api, 'GET', `/api/v1/executions/${failed.id}`);
    expect(unchanged.body).toEqual(failed);

    await call(plane.api, 'DELETE', `/api/v1/executions/${holder.id}/kill`);
    await waitForEnd(plane.api, holder.id);
    const restarted = await call<ExecutionJson>(plane.api, 'POST', `/api/v1/executions/${failed.id}/restart`);
    expect(restarted.status).toBe(200);
    const again = await waitForEnd(plane.api, failed.id);
    expect(again.state.histories.map((h) => h.state)).toEqual([
      'CREATED',
      'RUNNING',
      'FAILED',
      'RESTARTED',
      'RUNNING',
      'FAILED',
    ]);
    expect(await slotsHeld('gate')).toBe(0);
  });

  it.each([
    [
      'flow-concurrency-queue-pause.yml',
      ['SUCCESS', 'SUCCESS'],
      ['CREATED', 'QUEUED', 'RUNNING', 'PAUSED', 'RUNNING', 'SUCCESS'],
    ],
    ['flow-concurrency-cancel-pause.yml', ['SUCCESS', 'CANCELLED'], ['CREATED', 'CANCELLED']],
  ])("runs Kestra's %s as Kestra does", async (file, states, second) => {
    const source = readFileSync(new URL(file, VALIDS), 'utf8');
    await applyFlow(plane.api, source);
    const flowId = file.replace('.yml', '');
    const first = await runFlow(plane.api, 'io.kestra.tests', flowId);
    await waitForExecution(plane.api, first.id, (e) => e.state.current === 'PAUSED');
    const next = await runFlow(plane.api, 'io.kestra.tests', flowId);
    const ended = [await waitForEnd(plane.api, first.id), await waitForEnd(plane.api, next.id)];
    expect(ended.map((e) => e.state.current)).toEqual(states);
    expect(ended[1]!.state.histories.map((h) => h.state)).toEqual(second);
    expect(mostAtOnce(ended.filter((e) => e.state.current === 'SUCCESS'))).toBe(1);
  });
});
