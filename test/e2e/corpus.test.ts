// Conformance on the real stack: Kestra's own example flows, read from ../shared/kestra-flows/valids at
// test time, run on a control plane with real Postgres, MQTT and an agent, and end as Kestra ends them.
// The expectations are the ones the executor's corpus test checks without I/O (test/executor).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFlow } from '../../protocol/flow/index.ts';
import { EXPECTED, KESTRA_TEST_ENV, KESTRA_TEST_GLOBALS } from '../executor/corpus-table.ts';
import { applyFlow, runFlow, runFlowWithFiles, waitForEnd } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess } from '../support/in-process.ts';

const VALIDS = new URL('../../../shared/kestra-flows/valids/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, VALIDS), 'utf8');

/** Flows whose expectation needs the test's own hand (answered jobs, resumes, checks of the simulation). */
const cases = Object.entries(EXPECTED).filter(([, e]) => !e.answer && !e.resume && !e.check);

describe('conformance on the real stack: Kestra flows run by agents end as in Kestra', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!, { env: KESTRA_TEST_ENV, globals: KESTRA_TEST_GLOBALS });
    await plane.agent('corpus-1', {}, 8);
  }, 60_000);

  afterAll(async () => {
    await plane?.stop();
    await db?.drop();
  });

  it('covers at least 40 flows', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)(
    '%s',
    async (file, expected) => {
      const source = read(file);
      const flow = parseFlow(source);
      for (const child of expected.flows ?? []) await applyFlow(plane.api, read(child));
      await applyFlow(plane.api, source);
      const created = expected.files
        ? await runFlowWithFiles(plane.api, flow.namespace, flow.id, expected.inputs ?? {}, expected.files)
        : await runFlow(plane.api, flow.namespace, flow.id, expected.inputs ?? {});
      const done = await waitForEnd(plane.api, created.id);
      expect({ state: done.state.current, count: done.taskRunList.length }).toEqual({
        state: expected.state,
        count: expected.count,
      });
      for (const [taskId, state] of Object.entries(expected.states ?? {})) {
        expect(
          done.taskRunList.filter((r) => r.taskId === taskId).at(-1)?.state.current,
          `state of ${taskId}`,
        ).toBe(state);
      }
      for (const [taskId, attempts] of Object.entries(expected.attempts ?? {})) {
        expect(
          done.taskRunList.find((r) => r.taskId === taskId)?.attempts,
          `attempts of ${taskId}`,
        ).toHaveLength(attempts);
      }
      for (const [taskId, outputs] of Object.entries(expected.taskOutputs ?? {})) {
        expect(
          done.taskRunList.filter((r) => r.taskId === taskId).at(-1)?.outputs,
          `outputs of ${taskId}`,
        ).toEqual(outputs);
      }
      if (expected.outputs !== undefined) expect(done.outputs ?? null).toEqual(expected.outputs);
    },
    60_000,
  );
});
