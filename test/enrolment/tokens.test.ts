// Registration tokens and registration against the real control plane (REST) and its database: tokens
// are listed without secrets, their limits hold inside one transaction, and the labels stay within them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from '../../control-plane/enrolment/index.ts';
import type { Database } from '../../control-plane/repository/index.ts';
import { call } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type InProcessPlane, startInProcess } from '../support/in-process.ts';

interface TokenJson {
  id: string;
  token?: string;
  labels: Record<string, string>;
  uses: number;
  maxUses: number | null;
  state: string;
}

describe('registration tokens', () => {
  let db: TestDatabase;
  let plane: InProcessPlane;
  let database: Database;

  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startInProcess(db.url!);
    database = await db.open();
  }, 60_000);

  afterAll(async () => {
    await plane?.stop();
    await db?.drop();
  });

  const createToken = async (body: Record<string, unknown>) => {
    const created = await call<TokenJson>(plane.api, 'POST', '/api/v1/agent-tokens', body);
    expect(created.status).toBe(201);
    return created.body;
  };
  const registerWith = (body: Record<string, unknown>) =>
    call<{
      agentId: string;
      credential: string;
      labels: Record<string, string>;
      message?: string;
      code?: string;
    }>(plane.api, 'POST', '/api/v1/agents/register', body);

  it('shows the secret once, lists tokens without it, and keeps only its hash', async () => {
    const token = await createToken({ labels: { region: 'eu' }, description: 'plant 3', maxUses: 5 });
    expect(token.token).toMatch(/^rrt\./);
    const listed = await call<TokenJson[]>(plane.api, 'GET', '/api/v1/agent-tokens');
    const mine = listed.body.find((t) => t.id === token.id)!;
    expect(mine).toMatchObject({ labels: { region: 'eu' }, uses: 0, maxUses: 5, state: 'active' });
    expect(JSON.stringify(listed.body)).not.toContain(token.token!.split('.')[2]);
    const row = await database.repository.tokens.get(token.id);
    expect(row?.secretHash).not.toContain(token.token!.split('.')[2]);
  });

  it('refuses bad token requests with a message naming the field, and creates nothing', async () => {
    const before = (await call<TokenJson[]>(plane.api, 'GET', '/api/v1/agent-tokens')).body.length;
    for (const [body, field] of [
      [{ expires: 'tomorrow' }, 'expires'],
      [{ maxUses: 0 }, 'maxUses'],
      [{ labels: { 'bad key': 'x' } }, 'label key'],
      [{ groups: ['a/b'] }, 'groups'],
    ] as const) {
      const refused = await call<{ code: string; message: string }>(
        plane.api,
        'POST',
        '/api/v1/agent-tokens',
        body,
      );
      expect(refused.status).toBe(400);
      expect(refused.body.message).toContain(field);
    }
    expect((await call<TokenJson[]>(plane.api, 'GET', '/api/v1/agent-tokens')).body.length).toBe(before);
  });

  it('gives an enrolled agent the token labels and refuses labels beyond them', async () => {
    const token = await createToken({ labels: { region: 'eu', site: 'plant-3' } });
    const beyond = await registerWith({ token: token.token, labels: { gpu: 'true' } });
    expect(beyond.status).toBe(403);
    expect(beyond.body.message).toContain('gpu=true is beyond the token');
    const changed = await registerWith({ token: token.token, labels: { region: 'us' } });
    expect(changed.status).toBe(403);
    expect(changed.body.message).toContain('it grants region=eu');
    const ok = await registerWith({ token: token.token, labels: { region: 'eu' }, name: 'edge-1' });
    expect(ok.status).toBe(201);
    expect(ok.body.labels).toEqual({ region: 'eu', site: 'plant-3' });
    const row = await database.repository.agents.get(ok.body.agentId);
    expect(row?.credentialHash).toMatch(/^scrypt\$/);
    expect(row?.credentialHash).not.toContain(ok.body.credential);
    expect((await database.repository.tokens.get(token.id))?.uses).toBe(1);
  });

  it('lets an agent add labels of its own only when the token allows extra labels', async () => {
    const token = await createToken({ labels: { region: 'eu' }, allowExtraLabels: true });
    const ok = await registerWith({ token: token.token, labels: { gpu: 'true' } });
    expect(ok.status).toBe(201);
    expect(ok.body.labels).toEqual({ region: 'eu', gpu: 'true' });
  });

  it('turns token groups into the labels of the group', async () => {
    await call(plane.api, 'POST', '/api/v1/worker-groups', {
      key: 'gpus',
      selector: { gpu: 'true', zone: '*' },
    });
    const token = await createToken({ groups: ['gpus', 'plant'] });
    expect(token.labels).toEqual({ gpu: 'true', group: 'plant' });
  });

  it('refuses a revoked token, a wrong secret and a token that is not one', async () => {
    const token = await createToken({});
    expect((await call(plane.api, 'DELETE', `/api/v1/agent-tokens/${token.id}`)).status).toBe(204);
    const revoked = await registerWith({ token: token.token });
    expect(revoked.status).toBe(403);
    expect(revoked.body.message).toContain('was revoked');
    const other = await createToken({});
    const wrong = await registerWith({ token: `rrt.${other.id}.not-the-secret` });
    expect(wrong.status).toBe(401);
    expect(wrong.body.message).toContain('not valid');
    expect((await registerWith({ token: 'hello' })).body.message).toContain('not a registration token');
    expect((await database.repository.tokens.get(other.id))?.uses).toBe(0);
    expect((await call(plane.api, 'DELETE', '/api/v1/agent-tokens/nope')).status).toBe(404);
  });

  it('refuses an expired token', async () => {
    const token = await createToken({ expires: '1h' });
    const later = () => new Date(Date.now() + 2 * 3_600_000);
    await expect(register(database.repository, { token: token.token }, later)).rejects.toThrow(/expired at/);
    const listed = await database.repository.tokens.get(token.id);
    expect(listed?.uses).toBe(0);
  });

  it('never enrols more agents than max uses, even when registrations race', async () => {
    const token = await createToken({ maxUses: 3 });
    const results = await Promise.all(Array.from({ length: 10 }, () => registerWith({ token: token.token })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 403)).toHaveLength(7);
    expect(results.find((r) => r.status === 403)?.body.message).toContain('used up (3 of 3 uses)');
    expect((await database.repository.tokens.get(token.id))?.uses).toBe(3);
    const agents = (await database.repository.agents.list()).filter((a) => a.tokenId === token.id);
    expect(agents).toHaveLength(3);
  });
});
