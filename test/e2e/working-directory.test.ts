// WorkingDirectory on the real stack, with two agents: its children share one directory on the agent
// that took the first one; losing that agent fails the WorkingDirectory (agent/runner tests the directory).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFlow, type ExecutionJson, runFlow, waitForEnd, waitForExecution } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess } from '../support/in-process.ts';
import { Processes, type RoostProcess } from '../support/processes.ts';

const COMMANDS = 'io.kestra.plugin.scripts.shell.Commands';
const task = (execution: ExecutionJson, taskId: string) =>
  execution.taskRunList.find((r) => r.taskId === taskId)!;

describe('WorkingDirectory on the real stack', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;
  // agents as processes, so that one can be killed outright
  const processes = new Processes();
  const agents = new Map<string, RoostProcess>();

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
    for (const id of ['wd-a', 'wd-b']) {
      agents.set(id, await processes.agent({ url: plane.mqttUrl, secret: plane.secret, id, slots: 4 }));
    }
  }, 60_000);

  afterAll(async () => {
    await processes.stopAll();
    await plane?.stop();
    await db?.drop();
  });

  it('runs its children on one agent, in one directory', async () => {
    await applyFlow(
      plane.api,
      `
id: shared
namespace: e2e
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - { id: write, type: ${COMMANDS}, commands: ["echo hello > note.txt"] }
      - { id: pad, type: ${COMMANDS}, commands: ["echo more >> note.txt"] }
      - id: read
        type: ${COMMANDS}
        commands:
          - echo "::{\\"outputs\\":{\\"note\\":\\"$(tr '\\n' ' ' < note.txt)\\"}}::"
`,
    );
    const done = await waitForEnd(plane.api, (await runFlow(plane.api, 'e2e', 'shared')).id);
    expect(done.state.current).toBe('SUCCESS');
    expect(task(done, 'read').outputs).toMatchObject({ vars: { note: 'hello more ' } });
    const agentsUsed = new Set(['write', 'pad', 'read'].map((id) => task(done, id).attempts[0]?.agentId));
    expect(agentsUsed.size).toBe(1);
  });

  it('fails when the agent holding its directory is lost, without moving the work elsewhere', async () => {
    await applyFlow(
      plane.api,
      `
id: stranded
namespace: e2e
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    retry: { type: constant, interval: PT0.1S, maxAttempt: 3 }
    tasks:
      - { id: first, type: ${COMMANDS}, commands: ["true"] }
      - { id: slow, type: ${COMMANDS}, commands: ["sleep 5"] }
`,
    );
    const started = await runFlow(plane.api, 'e2e', 'stranded');
    const running = await waitForExecution(
      plane.api,
      started.id,
      (e) => e.taskRunList.find((r) => r.taskId === 'slow')?.state.current === 'RUNNING',
    );
    const holder = task(running, 'first').attempts[0]!.agentId!;
    expect(task(running, 'slow').attempts[0]?.agentId).toBe(holder);
    await agents.get(holder)!.kill('SIGKILL');
    const done = await waitForEnd(plane.api, started.id);
    expect(done.state.current).toBe('FAILED');
    expect(task(done, 'wd').state.current).toBe('FAILED');
    expect(task(done, 'slow').attempts).toHaveLength(1);
    expect(task(done, 'slow').attempts[0]?.error?.code).toBe('ROOST_AGENT_LOST');
  });
});
