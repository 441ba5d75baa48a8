// FILE inputs sent as multipart/form-data, and downloads of an execution's files, on real Postgres.
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecution } from '../../control-plane/executor/index.ts';
import { silentLogger } from '../../control-plane/logger.ts';
import type { LocalStorage } from '../../control-plane/storage/index.ts';
import type { WebserverDeps } from '../../control-plane/webserver/deps.ts';
import { buildApp } from '../../control-plane/webserver/webserver.ts';
import { applyFlow, authHeaders, call, type ExecutionJson } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess } from '../support/in-process.ts';

const FLOW = `
id: upload
namespace: company.team
inputs:
  - id: data
    type: FILE
  - id: note
    type: STRING
    validator: "^[a-z]+$"
    defaults: ok
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.data }}"
`;

function form(fields: Record<string, string>, files: Record<string, [string, string]>): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  for (const [name, [fileName, content]] of Object.entries(files))
    body.append(name, new Blob([content]), fileName);
  return body;
}

describe('FILE inputs', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;
  let storageRoot: string;
  const post = async (body: FormData) => {
    const response = await fetch(`${plane.api}/api/v1/executions/company.team/upload`, {
      method: 'POST',
      body,
      headers: authHeaders(plane.api),
    });
    return {
      status: response.status,
      body: (await response.json()) as ExecutionJson & {
        inputs: Record<string, string>;
        message?: string;
        code?: string;
      },
    };
  };
  const executions = async () =>
    (
      await call<{ total: number }>(
        plane.api,
        'GET',
        '/api/v1/executions/search?namespace=company.team&flowId=upload',
      )
    ).body.total;
  const storedFiles = () =>
    existsSync(storageRoot) ? readdirSync(storageRoot, { recursive: true }).length : 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    if (!db.url) throw new Error('these tests need real Postgres');
    plane = await startInProcess(db.url);
    storageRoot = (plane.server.storage as LocalStorage).root;
    await applyFlow(plane.api, FLOW);
  }, 60_000);

  afterAll(async () => {
    await plane?.stop();
    await db?.drop();
  });

  it('stores an uploaded file in internal storage and gives the input its kestra:/// URI', async () => {
    const created = await post(form({ note: 'fine' }, { data: ['report 1.csv', 'a,b\n1,2\n'] }));
    expect(created.status).toBe(200);
    const { id, inputs } = created.body;
    expect(inputs).toEqual({
      data: `kestra:///company/team/upload/executions/${id}/inputs/data/report%201.csv`,
      note: 'fine',
    });
    const download = await fetch(
      `${plane.api}/api/v1/executions/${id}/file?path=${encodeURIComponent(inputs.data ?? '')}`,
      { headers: authHeaders(plane.api) },
    );
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toContain('report%201.csv');
    expect(await download.text()).toBe('a,b\n1,2\n');
    const metas = await call(
      plane.api,
      'GET',
      `/api/v1/executions/${id}/file/metas?path=${encodeURIComponent(inputs.data ?? '')}`,
    );
    expect(metas.body).toEqual({ path: inputs.data, size: 8 });
  });

  it('refuses a request without the required file, creating nothing', async () => {
    const before = await executions();
    const refused = await post(form({ note: 'fine' }, {}));
    expect(refused.status).toBe(422);
    expect(refused.body.message).toBe("input 'data' is required and was not given");
    expect(await executions()).toBe(before);
  });

  it('refuses a file sent for an input that is not a FILE input, storing nothing', async () => {
    const files = storedFiles();
    const refused = await post(form({}, { data: ['a.txt', 'x'], note: ['b.txt', 'y'] }));
    expect(refused.status).toBe(422);
    expect(refused.body.message).toBe(
      "input 'note': flow company.team.upload has no FILE input of that name",
    );
    expect(storedFiles()).toBe(files);
  });

  it('removes the stored file when another input is refused', async () => {
    const before = await executions();
    const files = storedFiles();
    const refused = await post(form({ note: 'NOT LOWER' }, { data: ['a.txt', 'x'] }));
    expect(refused.status).toBe(422);
    expect(refused.body.message).toContain("input 'note' (STRING)");
    expect(await executions()).toBe(before);
    expect(storedFiles()).toBe(files);
  });

  it('refuses a kestra:/// reference given as a FILE value in JSON', async () => {
    const refused = await call<{ message: string }>(
      plane.api,
      'POST',
      '/api/v1/executions/company.team/upload',
      {
        data: 'kestra:///company/team/other/executions/X/inputs/data/secret.txt',
      },
    );
    expect(refused.status).toBe(422);
    expect(refused.body.message).toContain('upload the file as multipart/form-data');
  });

  it('refuses a file over the upload limit with 413, creating and keeping nothing', async () => {
    const { repository } = plane.server.database;
    const { app } = buildApp(
      {
        repository,
        logger: silentLogger(),
        storage: plane.server.storage,
        verifyAgent: () => false,
        startExecution: async (request) => (await createExecution(repository, request)).execution,
        signalExecution: async () => {},
        resumeErrors: async () => [],
        watchExecution: () => () => {},
        // this test starts executions only
        operations: {} as WebserverDeps['operations'],
      },
      { maxUploadBytes: 16, auth: false },
    );
    try {
      const before = await executions();
      const files = storedFiles();
      const body = form({}, { data: ['big.txt', 'x'.repeat(1000)] });
      const request = new Request('http://x/', { method: 'POST', body, headers: authHeaders(plane.api) });
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/executions/company.team/upload',
        headers: Object.fromEntries(request.headers),
        payload: Buffer.from(await request.arrayBuffer()),
      });
      expect(response.statusCode).toBe(413);
      expect(response.json()).toMatchObject({ code: 'ROOST_PAYLOAD_TOO_LARGE' });
      expect(await executions()).toBe(before);
      expect(storedFiles()).toBe(files);
    } finally {
      await app.close();
    }
  });

  it('downloads only files of the execution asked for', async () => {
    const first = (await post(form({}, { data: ['one.txt', 'one'] }))).body;
    const second = (await post(form({}, { data: ['two.txt', 'two'] }))).body;
    const get = (id: string, path: string) =>
      fetch(`${plane.api}/api/v1/executions/${id}/file?path=${encodeURIComponent(path)}`, {
        headers: authHeaders(plane.api),
      });
    expect((await get(first.id, second.inputs.data ?? '')).status).toBe(403);
    expect((await get(first.id, `${first.inputs.data}/../../../../../../../etc/passwd`)).status).toBe(403);
    const traversal = `kestra:///company/team/upload/executions/${first.id}/inputs/../../${second.id}/inputs/data/two.txt`;
    expect((await get(first.id, traversal)).status).toBe(403);
    expect(
      (await get(first.id, `kestra:///company/team/upload/executions/${first.id}/inputs/data/none.txt`))
        .status,
    ).toBe(404);
    expect((await get('no-such-execution', first.inputs.data ?? '')).status).toBe(404);
    expect((await get(first.id, '')).status).toBe(400);
  });
});
