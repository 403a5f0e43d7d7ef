import request from 'supertest';
import { hashToken } from '../../src/common/crypto/opaque-token';
import { createChatApp, createWorkflow } from '../chatkit/helpers';
import { findInDatabase } from '../factories/db-scan';
import { createOwner, Owner } from '../factories/owners';
import type { TestApp } from '../setup/test-app';
import { createServerKey, error } from './helpers';

const MISSING = '00000000-0000-4000-8000-000000000000';

describe('workflow server keys (wsk_…)', () => {
  let t: TestApp;
  let owner: Owner;
  let workflowId: string;
  const http = () => request(t.app.getHttpServer());
  const mint = (key: string, wf = workflowId, headers: Record<string, string> = {}) =>
    http().post(`/api/workflows/${wf}/end-user-sessions`).set('Authorization', `Bearer ${key}`).set(headers).send({ user: { id: 'u-1' } });

  beforeAll(async () => {
    t = await createChatApp();
  });
  afterAll(() => t?.close());
  beforeEach(async () => {
    owner = await createOwner(t.app, 'keys');
    workflowId = await createWorkflow(t, owner);
  });

  it('shows the key once, stores only its SHA-256, and lists prefix, name, created and last used', async () => {
    const res = await http().post(`/api/workflows/${workflowId}/server-keys`).set('Authorization', owner.auth).send({ name: ' prod backend ' }).expect(201);
    expect(res.body).toEqual({ id: expect.any(String), name: 'prod backend', key: expect.stringMatching(/^wsk_[A-Za-z0-9_-]{43}$/), createdAt: expect.any(String) });
    const key = res.body.key as string;

    // Hashed at rest: the key appears nowhere in the database, its SHA-256 does.
    expect(await findInDatabase(t.dataSource, key)).toEqual([]);
    expect(await findInDatabase(t.dataSource, key.slice(8))).toEqual([]);
    const [row] = await t.dataSource.query<{ token_hash: Buffer }[]>(`SELECT token_hash FROM workflow_server_keys WHERE id = $1`, [res.body.id]);
    expect(Buffer.from(row.token_hash).equals(hashToken(key))).toBe(true);

    const listed = await http().get(`/api/workflows/${workflowId}/server-keys`).set('Authorization', owner.auth).expect(200);
    expect(listed.body).toEqual({
      keys: [{ id: res.body.id, name: 'prod backend', prefix: key.slice(0, 8), createdAt: res.body.createdAt, lastUsedAt: null, revokedAt: null }],
    });
    expect(JSON.stringify(listed.body)).not.toContain(key);

    await mint(key).expect(200);
    const used = await http().get(`/api/workflows/${workflowId}/server-keys`).set('Authorization', owner.auth).expect(200);
    expect(used.body.keys[0].lastUsedAt).toEqual(expect.any(String));
  });

  it('a revoked key fails at once with server_key_revoked; revoking twice is fine; the audit trail has both events', async () => {
    const { id, key } = await createServerKey(t, owner, workflowId);
    await mint(key).expect(200);
    await http().delete(`/api/workflows/${workflowId}/server-keys/${id}`).set('Authorization', owner.auth).expect(204);
    await http().delete(`/api/workflows/${workflowId}/server-keys/${id}`).set('Authorization', owner.auth).expect(204);
    expect((await mint(key).expect(401)).body).toEqual(error(401, 'server_key_revoked'));
    const listed = await http().get(`/api/workflows/${workflowId}/server-keys`).set('Authorization', owner.auth).expect(200);
    expect(listed.body.keys[0].revokedAt).toEqual(expect.any(String));
    const audit = await http().get(`/api/workflows/${workflowId}/audit`).set('Authorization', owner.auth).expect(200);
    expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual(['workflow.server_key_revoked', 'workflow.server_key_created']);
    expect(JSON.stringify(audit.body)).not.toContain(key);
  });

  it('a key revoked or deleted elsewhere (another instance, a deleted workflow) is refused by the next mint, though this instance read it a moment ago', async () => {
    const revoked = await createServerKey(t, owner, workflowId, 'revoked elsewhere');
    const deleted = await createServerKey(t, owner, workflowId, 'deleted elsewhere');
    await mint(revoked.key).expect(200);
    await mint(deleted.key).expect(200);
    // Straight in the database, as another instance's revocation (or the workflow's deletion) leaves it.
    await t.dataSource.query(`UPDATE workflow_server_keys SET revoked_at = now() WHERE id = $1`, [revoked.id]);
    await t.dataSource.query(`DELETE FROM workflow_server_keys WHERE id = $1`, [deleted.id]);
    const sessionsBefore = await t.dataSource.query(`SELECT id FROM host_sessions WHERE workflow_id = $1`, [workflowId]);
    expect((await mint(revoked.key).expect(401)).body).toEqual(error(401, 'server_key_revoked'));
    expect((await mint(revoked.key).expect(401)).body).toEqual(error(401, 'server_key_revoked'));
    expect((await mint(deleted.key).expect(401)).body).toEqual(error(401, 'server_key_invalid'));
    // Nothing was written for the refused mints.
    expect(await t.dataSource.query(`SELECT id FROM host_sessions WHERE workflow_id = $1`, [workflowId])).toEqual(sessionsBefore);
    // Routes that do not re-check the key themselves read it every time: the compatible cancel.
    const cancel = await http().post(`/v1/chatkit/sessions/${MISSING}/cancel`).set('Authorization', `Bearer ${revoked.key}`).send({});
    expect(cancel.status).toBe(401);
    expect(cancel.body).toEqual(error(401, 'server_key_revoked'));
  });

  it('a mint records when the key was last used, also when the key was read a moment ago', async () => {
    const { id, key } = await createServerKey(t, owner, workflowId);
    await mint(key).expect(200);
    await t.dataSource.query(`UPDATE workflow_server_keys SET last_used_at = now() - interval '2 hours' WHERE id = $1`, [id]);
    await mint(key).expect(200);
    const [row] = await t.dataSource.query<{ recent: boolean }[]>(`SELECT last_used_at > now() - interval '1 minute' AS recent FROM workflow_server_keys WHERE id = $1`, [id]);
    expect(row.recent).toBe(true);
  });

  it('unknown and malformed keys are server_key_invalid', async () => {
    expect((await mint(`wsk_${'A'.repeat(43)}`).expect(401)).body).toEqual(error(401, 'server_key_invalid'));
    expect((await mint('wsk_short').expect(401)).body).toEqual(error(401, 'server_key_invalid'));
  });

  it('a key is scoped to its workflow: another workflow answers workflow_mismatch', async () => {
    const { key } = await createServerKey(t, owner, workflowId);
    const other = await createWorkflow(t, owner);
    expect((await mint(key, other).expect(403)).body).toEqual(error(403, 'workflow_mismatch'));
    expect((await mint(key, MISSING).expect(403)).body).toEqual(error(403, 'workflow_mismatch'));
  });

  it('is refused from a browser (Origin header or cookies) before the key is looked up', async () => {
    const { key } = await createServerKey(t, owner, workflowId);
    expect((await mint(key, workflowId, { Origin: 'https://app.example.com' }).expect(403)).body).toEqual(error(403, 'server_key_from_browser'));
    expect((await mint(key, workflowId, { Cookie: 'session=abc' }).expect(403)).body).toEqual(error(403, 'server_key_from_browser'));
    // An unknown key from a browser gets the same answer: nothing is revealed about keys.
    expect((await mint(`wsk_${'B'.repeat(43)}`, workflowId, { Origin: 'http://localhost:5173' }).expect(403)).body).toEqual(error(403, 'server_key_from_browser'));
    const listed = await http().get(`/api/workflows/${workflowId}/server-keys`).set('Authorization', owner.auth).expect(200);
    expect(listed.body.keys[0].lastUsedAt).toBeNull();
  });

  it('owner routes: no auth → 401, another owner → 404, a server key is not an owner credential', async () => {
    const { id, key } = await createServerKey(t, owner, workflowId);
    expect((await http().get(`/api/workflows/${workflowId}/server-keys`).expect(401)).body).toEqual(error(401, 'unauthenticated'));
    const stranger = await createOwner(t.app, 'stranger');
    await http().get(`/api/workflows/${workflowId}/server-keys`).set('Authorization', stranger.auth).expect(404);
    await http().post(`/api/workflows/${workflowId}/server-keys`).set('Authorization', stranger.auth).send({ name: 'x' }).expect(404);
    await http().delete(`/api/workflows/${workflowId}/server-keys/${id}`).set('Authorization', stranger.auth).expect(404);
    expect((await http().get(`/api/workflows/${workflowId}/server-keys`).set('Authorization', `Bearer ${key}`).expect(401)).body.code).toBe('token_invalid');
    // And an owner token cannot mint end-user sessions.
    expect((await http().post(`/api/workflows/${workflowId}/end-user-sessions`).set('Authorization', owner.auth).send({ user: { id: 'u' } }).expect(403)).body).toEqual(
      error(403, 'forbidden'),
    );
    expect((await http().post(`/api/workflows/${workflowId}/server-keys`).set('Authorization', owner.auth).send({}).expect(400)).body.code).toBe('validation_failed');
  });

  it('counts requests per key in the principal bucket', async () => {
    const limited = await createChatApp({ env: { RATE_LIMIT_PER_PRINCIPAL: '3' }, keepData: true });
    try {
      const first = await createServerKey(t, owner, workflowId, 'one');
      const second = await createServerKey(t, owner, workflowId, 'two');
      const send = (key: string) =>
        request(limited.app.getHttpServer()).post(`/api/workflows/${workflowId}/end-user-sessions`).set('Authorization', `Bearer ${key}`).send({ user: { id: 'u' } });
      for (let i = 0; i < 3; i += 1) await send(first.key).expect(200);
      const refused = await send(first.key).expect(429);
      expect(refused.body).toMatchObject({ code: 'rate_limited', details: { bucket: 'principal' } });
      await send(second.key).expect(200);
    } finally {
      await limited.close();
    }
  });
});
