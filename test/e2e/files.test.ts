// Files across agents, on real Postgres: a FILE input is uploaded, a task on one agent turns it into an
// output file, and later tasks on another agent read that file; agents may touch only what their lease
// allows: files of their job's execution and of executions linked to it by subflows. A WorkingDirectory's
// inputFiles and outputFiles pass through the same transfers.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyFlow,
  authHeaders,
  call,
  type ExecutionJson,
  runFlowWithFiles,
  waitForEnd,
} from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess, until } from '../support/in-process.ts';

const FLOW = `
id: files
namespace: company.team
inputs:
  - id: data
    type: FILE
tasks:
  - id: produce
    type: io.kestra.plugin.scripts.shell.Commands
    workerGroup:
      key: producers
    inputFiles:
      in.txt: "{{ inputs.data }}"
    outputFiles:
      - out.txt
    commands:
      - tr a-z A-Z < in.txt > out.txt
  - id: consume
    type: io.kestra.plugin.scripts.python.Script
    workerGroup:
      key: consumers
    script: |
      print("python read", open("{{ outputs.produce.outputFiles['out.txt'] }}").read().strip())
  - id: echo
    type: io.kestra.plugin.core.debug.Return
    workerGroup:
      key: consumers
    format: "{{ read(outputs.produce.outputFiles['out.txt']) | trim }}"
`;

const BLOCKING = `
id: blocking
namespace: company.team
tasks:
  - id: wait
    type: io.kestra.plugin.scripts.shell.Commands
    workerGroup:
      key: producers
    commands:
      - sleep 60
`;

const VALIDS = new URL('../../../shared/kestra-flows/valids/', import.meta.url);

describe('files between tasks on different agents', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;

  beforeAll(async () => {
    db = await createTestDatabase();
    if (!db.url) throw new Error('these tests need real Postgres');
    plane = await startInProcess(db.url);
    await plane.agent('producer', { group: 'producers' });
    await plane.agent('consumer', { group: 'consumers' });
    // for tasks with no worker group
    await plane.agent('any');
    await applyFlow(plane.api, FLOW);
    await applyFlow(plane.api, BLOCKING);
  }, 60_000);

  afterAll(async () => {
    await plane?.stop();
    await db?.drop();
  });

  it('downloads over HTTP on one agent and reads the download on another', async () => {
    const site = createServer((_req, res) => res.end('downloaded content'));
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    try {
      const port = (site.address() as AddressInfo).port;
      await applyFlow(
        plane.api,
        `
id: download
namespace: company.team
tasks:
  - id: fetch
    type: io.kestra.plugin.core.http.Download
    workerGroup:
      key: producers
    uri: http://127.0.0.1:${port}/data.txt
  - id: show
    type: io.kestra.plugin.scripts.shell.Commands
    workerGroup:
      key: consumers
    commands:
      - cat {{ outputs.fetch.uri }}
`,
      );
      const created = (
        await call<ExecutionJson>(plane.api, 'POST', '/api/v1/executions/company.team/download')
      ).body;
      const done = await waitForEnd(plane.api, created.id);
      expect(done.state.current).toBe('SUCCESS');
      const fetch = done.taskRunList.find((r) => r.taskId === 'fetch');
      expect(fetch?.outputs).toMatchObject({
        uri: `kestra:///company/team/download/executions/${created.id}/tasks/fetch/${fetch?.id}/data.txt`,
        code: 200,
        length: 18,
      });
      const logs = await call<{ taskId: string; message: string }[]>(
        plane.api,
        'GET',
        `/api/v1/logs/${created.id}`,
      );
      expect(logs.body.filter((l) => l.taskId === 'show').map((l) => l.message)).toEqual([
        'downloaded content',
      ]);
    } finally {
      site.closeAllConnections();
      await new Promise((resolve) => site.close(resolve));
    }
  }, 60_000);

  it('reads on one agent the file a task produced on another', async () => {
    const body = new FormData();
    body.append('data', new Blob(['hello files\n']), 'greeting.txt');
    const response = await fetch(`${plane.api}/api/v1/executions/company.team/files`, {
      method: 'POST',
      body,
      headers: authHeaders(plane.api),
    });
    expect(response.status).toBe(200);
    const created = (await response.json()) as ExecutionJson;
    const done = await waitForEnd(plane.api, created.id);
    expect(done.state.current).toBe('SUCCESS');
    const runs = Object.fromEntries(done.taskRunList.map((r) => [r.taskId, r]));
    const uri = `kestra:///company/team/files/executions/${created.id}/tasks/produce/${runs.produce?.id}/out.txt`;
    expect(runs.produce?.outputs?.outputFiles).toEqual({ 'out.txt': uri });
    expect(runs.produce?.attempts[0]?.agentId).toBe('producer');
    expect(runs.consume?.attempts[0]?.agentId).toBe('consumer');
    expect(runs.echo?.attempts[0]?.agentId).toBe('consumer');
    expect(runs.echo?.outputs).toEqual({ value: 'HELLO FILES' });
    const logs = await call<{ taskId: string; message: string }[]>(
      plane.api,
      'GET',
      `/api/v1/logs/${created.id}`,
    );
    expect(logs.body.filter((l) => l.taskId === 'consume').map((l) => l.message)).toEqual([
      'python read HELLO FILES',
    ]);

    const download = await fetch(
      `${plane.api}/api/v1/executions/${created.id}/file?path=${encodeURIComponent(uri)}`,
      { headers: authHeaders(plane.api) },
    );
    expect(await download.text()).toBe('HELLO FILES\n');
  }, 60_000);

  it('lets an agent write only under the task run it holds and read only its execution', async () => {
    const body = new FormData();
    body.append('data', new Blob(['other\n']), 'other.txt');
    const other = (await (
      await fetch(`${plane.api}/api/v1/executions/company.team/files`, {
        method: 'POST',
        body,
        headers: authHeaders(plane.api),
      })
    ).json()) as ExecutionJson & { inputs: { data: string } };
    await waitForEnd(plane.api, other.id);

    const blocking = (
      await call<ExecutionJson>(plane.api, 'POST', '/api/v1/executions/company.team/blocking')
    ).body;
    const { repository } = plane.server.database;
    await until(
      async () => (await repository.jobs.leasedBy('producer')).length === 1,
      'the job to be leased',
    );
    const [job] = await repository.jobs.leasedBy('producer');
    if (!job) throw new Error('no job');
    const basic = (id: string, secret: string) =>
      `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    const files = (
      query: Record<string, string>,
      init: RequestInit & { agent?: string; secret?: string } = {},
    ) =>
      fetch(`${plane.api}/api/v1/agent/files?${new URLSearchParams(query)}`, {
        ...init,
        headers: {
          authorization: basic(init.agent ?? 'producer', init.secret ?? plane.secret),
          'content-type': 'application/octet-stream',
        },
      });
    const lease = { jobId: job.id, attempt: String(job.attempt) };

    const put = await files({ ...lease, name: 'made/here.txt' }, { method: 'PUT', body: 'made' });
    expect(put.status).toBe(200);
    const stored = (await put.json()) as { uri: string; size: number };
    expect(stored).toEqual({
      uri: `kestra:///company/team/blocking/executions/${blocking.id}/tasks/wait/${job.taskRunId}/made/here.txt`,
      size: 4,
    });
    const own = await files({ ...lease, uri: stored.uri });
    expect(await own.text()).toBe('made');

    expect((await files({ ...lease, uri: stored.uri }, { secret: 'wrong' })).status).toBe(401);
    expect((await files({ ...lease, uri: stored.uri }, { agent: 'consumer' })).status).toBe(403);
    expect((await files({ jobId: job.id, attempt: String(job.attempt + 1), uri: stored.uri })).status).toBe(
      403,
    );
    const foreign = await files({ ...lease, uri: other.inputs.data });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { message: string }).message).toContain(
      `is not a file of execution ${blocking.id}`,
    );
    const outside = await files({ ...lease, name: '../../other/x.txt' }, { method: 'PUT', body: 'x' });
    expect(outside.status).toBe(400);
    const traversal = `kestra:///company/team/blocking/executions/${blocking.id}/../../files/executions/${other.id}/inputs/data/other.txt`;
    expect((await files({ ...lease, uri: traversal })).status).toBe(403);

    await call(plane.api, 'DELETE', `/api/v1/executions/${blocking.id}/kill`);
    await waitForEnd(plane.api, blocking.id);
    // once the lease is gone, the agent can no longer write there
    const late = await files({ ...lease, name: 'late.txt' }, { method: 'PUT', body: 'late' });
    expect(late.status).toBe(403);
  }, 60_000);

  it("passes a parent's file to a subflow, and a subflow's output file back to the parent", async () => {
    // Kestra's corpus flow: a child that read()s the file URI it is given as a STRING input
    await applyFlow(plane.api, readFileSync(new URL('for-each-item-outputs-subflow.yaml', VALIDS), 'utf8'));
    await applyFlow(
      plane.api,
      `
id: makes-file
namespace: company.team
tasks:
  - id: make
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: [made.txt]
    commands: ["printf 'from the child' > made.txt"]
outputs:
  - { id: file, type: STRING, value: "{{ outputs.make.outputFiles['made.txt'] }}" }
`,
    );
    await applyFlow(
      plane.api,
      `
id: parent-files
namespace: company.team
inputs:
  - { id: data, type: FILE }
tasks:
  - id: down
    type: io.kestra.plugin.core.flow.Subflow
    namespace: io.kestra.tests
    flowId: for-each-item-outputs-subflow
    inputs: { items: "{{ inputs.data }}" }
  - id: up
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.team
    flowId: makes-file
  - id: back
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(outputs.up.outputs.file) }}"
`,
    );
    const created = await runFlowWithFiles(
      plane.api,
      'company.team',
      'parent-files',
      {},
      { data: 'parent data' },
    );
    const done = await waitForEnd(plane.api, created.id);
    const run = (id: string) => done.taskRunList.find((r) => r.taskId === id);
    expect(done.state.current).toBe('SUCCESS');
    expect(run('down')?.outputs).toMatchObject({ outputs: { value: 'parent data' } });
    expect(run('back')?.outputs).toEqual({ value: 'from the child' });
  }, 60_000);

  it("writes a WorkingDirectory's inputFiles before its first child and collects its outputFiles after the last", async () => {
    await applyFlow(
      plane.api,
      `
id: wd-files
namespace: company.team
inputs:
  - { id: data, type: FILE }
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    inputFiles:
      greeting.txt: "hello {{ flow.id }}"
      data.txt: "{{ inputs.data }}"
    outputFiles: ["*.out"]
    tasks:
      - id: first
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["cat greeting.txt data.txt > joined.out", "echo no > skipped.txt"]
      - id: last
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["tr a-z A-Z < joined.out > upper.out"]
  - id: check
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(outputs.wd.outputFiles['upper.out']) }}"
`,
    );
    const created = await runFlowWithFiles(plane.api, 'company.team', 'wd-files', {}, { data: ' and data' });
    const done = await waitForEnd(plane.api, created.id);
    const run = (id: string) => done.taskRunList.find((r) => r.taskId === id);
    expect(done.state.current).toBe('SUCCESS');
    expect(Object.keys((run('wd')?.outputs?.outputFiles ?? {}) as object).sort()).toEqual([
      'joined.out',
      'upper.out',
    ]);
    expect(run('check')?.outputs).toEqual({ value: 'HELLO WD-FILES AND DATA' });
    // the last child's own outputs do not carry the directory's
    expect(run('last')?.outputs).not.toHaveProperty('$workingDirectory');
  }, 60_000);
});
