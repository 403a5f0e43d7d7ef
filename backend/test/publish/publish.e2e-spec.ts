import request from 'supertest';
import { PublishService } from '../../src/publish/publish.service';
import { createTestApp, TestApp } from '../setup/test-app';
import { createOwner, Owner } from '../factories/owners';
import { findInDatabase } from '../factories/db-scan';

const TOKEN = /^pub_[A-Za-z0-9_-]{43}$/;

describe('publishing', () => {
  let t: TestApp;
  let owner: Owner;
  const http = () => request(t.app.getHttpServer());
  const newWorkflow = async (name = 'Chat') =>
    (await http().post('/api/workflows').set('Authorization', owner.auth).send({ name }).expect(201)).body as { id: string };
  const links = (workflowId: string) =>
    t.dataSource.query<{ status: string; rotated_at: Date | null; revoked_at: Date | null }[]>(
      `SELECT status, rotated_at, revoked_at FROM publish_links WHERE workflow_id = $1 ORDER BY created_at, status`,
      [workflowId],
    );
  const auditActions = async (workflowId: string) =>
    (await t.dataSource.query<{ action: string }[]>(`SELECT action FROM audit_events WHERE workflow_id = $1 ORDER BY occurred_at, id`, [workflowId])).map(
      (r) => r.action,
    );
  const verify = (token: string, hint?: string) => t.app.get(PublishService).verifyToken(token, hint);
  const verdict = (token: string, hint?: string) =>
    verify(token, hint).then(
      () => 'ok',
      (e: { code: string }) => e.code,
    );

  beforeAll(async () => {
    t = await createTestApp({ env: { PUBLIC_BASE_URL: 'https://parley.example.com' } });
    owner = await createOwner(t.app);
  });
  afterAll(() => t.close());

  it('runs the state machine publish → rotate → rotate → revoke → publish again', async () => {
    const wf = await newWorkflow();
    const seen: string[] = [];
    const assertNoPlainTokens = async () => {
      for (const token of seen) expect({ token, hits: await findInDatabase(t.dataSource, token) }).toEqual({ token, hits: [] });
    };

    // publish
    const p1 = await http().post(`/api/workflows/${wf.id}/publish`).set('Authorization', owner.auth).send({}).expect(201);
    expect(p1.body.publishToken).toMatch(TOKEN);
    expect(p1.body.shareUrl).toBe(`https://parley.example.com/chat/${wf.id}#token=${p1.body.publishToken}`);
    expect(p1.body.workflow).toMatchObject({
      isPublic: true,
      requireLogin: false,
      publishedBy: owner.id,
      publishTokenRotatedAt: null,
      shareUrl: `https://parley.example.com/chat/${wf.id}`,
    });
    expect(p1.body.workflow.publishedAt).toEqual(expect.any(String));
    seen.push(p1.body.publishToken);
    expect(await links(wf.id)).toEqual([{ status: 'active', rotated_at: null, revoked_at: null }]);
    expect(await auditActions(wf.id)).toEqual(['workflow.published']);
    expect(await verdict(p1.body.publishToken, wf.id)).toBe('ok');
    await assertNoPlainTokens();

    // a second publish is an invalid transition
    const again = await http().post(`/api/workflows/${wf.id}/publish`).set('Authorization', owner.auth).send({}).expect(409);
    expect(again.body).toMatchObject({ code: 'publish_invalid_state' });

    // rotate twice
    const r1 = await http().post(`/api/workflows/${wf.id}/publish/rotate`).set('Authorization', owner.auth).send({ requireLogin: true }).expect(200);
    expect(r1.body.publishToken).toMatch(TOKEN);
    expect(r1.body.publishToken).not.toBe(p1.body.publishToken);
    expect(r1.body.workflow).toMatchObject({ isPublic: true, requireLogin: true });
    expect(r1.body.workflow.publishTokenRotatedAt).toEqual(expect.any(String));
    seen.push(r1.body.publishToken);
    const r2 = await http().post(`/api/workflows/${wf.id}/publish/rotate`).set('Authorization', owner.auth).send({}).expect(200);
    expect(r2.body.workflow.requireLogin).toBe(true);
    seen.push(r2.body.publishToken);
    const statuses = (await links(wf.id)).map((l) => l.status).sort();
    expect(statuses).toEqual(['active', 'rotated', 'rotated']);
    expect((await links(wf.id)).filter((l) => l.status === 'rotated').every((l) => l.rotated_at instanceof Date)).toBe(true);
    expect(await verdict(p1.body.publishToken)).toBe('publish_token_rotated');
    expect(await verdict(r1.body.publishToken)).toBe('publish_token_rotated');
    expect(await verdict(r2.body.publishToken)).toBe('ok');
    expect(await auditActions(wf.id)).toEqual(['workflow.published', 'workflow.publish_rotated', 'workflow.publish_rotated']);
    await assertNoPlainTokens();

    // revoke
    const rv = await http().post(`/api/workflows/${wf.id}/publish/revoke`).set('Authorization', owner.auth).expect(200);
    expect(rv.body).toMatchObject({ isPublic: false, publishedAt: null, shareUrl: null });
    expect((await links(wf.id)).every((l) => l.status === 'revoked' && l.revoked_at instanceof Date)).toBe(true);
    for (const token of seen) expect(await verdict(token)).toBe('workflow_not_published');
    await http().post(`/api/workflows/${wf.id}/publish/revoke`).set('Authorization', owner.auth).expect(409);
    await http().post(`/api/workflows/${wf.id}/publish/rotate`).set('Authorization', owner.auth).send({}).expect(409);
    await http().patch(`/api/workflows/${wf.id}/publish`).set('Authorization', owner.auth).send({ requireLogin: false }).expect(409);

    // publish again: a new link; the old ones stay dead
    const p2 = await http().post(`/api/workflows/${wf.id}/publish`).set('Authorization', owner.auth).send({ requireLogin: false }).expect(201);
    seen.push(p2.body.publishToken);
    expect(p2.body.workflow).toMatchObject({ isPublic: true, requireLogin: false, publishTokenRotatedAt: null });
    expect(await verdict(p2.body.publishToken)).toBe('ok');
    for (const token of seen.slice(0, 3)) expect(await verdict(token)).toBe('workflow_not_published');
    expect(await auditActions(wf.id)).toEqual([
      'workflow.published',
      'workflow.publish_rotated',
      'workflow.publish_rotated',
      'workflow.publish_revoked',
      'workflow.published',
    ]);
    await assertNoPlainTokens();

    // no GET ever carries a token
    const gets = await Promise.all([
      http().get(`/api/workflows/${wf.id}`).set('Authorization', owner.auth),
      http().get('/api/workflows').set('Authorization', owner.auth),
      http().get(`/api/workflows/${wf.id}/audit`).set('Authorization', owner.auth),
      http().get(`/api/workflows/${wf.id}/public`),
    ]);
    for (const res of gets) {
      expect(res.status).toBe(200);
      for (const token of seen) expect(res.text).not.toContain(token);
    }
  });

  it('masks tokens in the audit trail and pages it', async () => {
    const wf = await newWorkflow();
    const p = await http().post(`/api/workflows/${wf.id}/publish`).set('Authorization', owner.auth).send({}).expect(201);
    await http().patch(`/api/workflows/${wf.id}/publish`).set('Authorization', owner.auth).send({ requireLogin: true }).expect(200);
    await http().post(`/api/workflows/${wf.id}/publish/rotate`).set('Authorization', owner.auth).send({}).expect(200);
    const page1 = await http().get(`/api/workflows/${wf.id}/audit?limit=2`).set('Authorization', owner.auth).expect(200);
    expect(page1.body.data.map((e: { action: string }) => e.action)).toEqual(['workflow.publish_rotated', 'workflow.login_requirement_changed']);
    const page2 = await http().get(`/api/workflows/${wf.id}/audit?limit=2&cursor=${page1.body.nextCursor}`).set('Authorization', owner.auth).expect(200);
    expect(page2.body).toEqual({
      data: [
        {
          id: expect.any(String),
          action: 'workflow.published',
          actor: { kind: 'user', id: owner.id },
          occurredAt: expect.any(String),
          metadata: { token: expect.stringMatching(/^pub_…[0-9a-f]{4}$/), requireLogin: false, version: 1 },
        },
      ],
      nextCursor: null,
    });
    expect(JSON.stringify(page2.body)).not.toContain(p.body.publishToken);
  });

  it('verifyToken checks the format, unknown tokens and the workflow hint', async () => {
    const wf = await newWorkflow();
    const other = await newWorkflow('Other');
    const { body } = await http().post(`/api/workflows/${wf.id}/publish`).set('Authorization', owner.auth).send({}).expect(201);
    expect(await verdict('not-a-token')).toBe('publish_token_invalid');
    expect(await verdict(`pub_${'A'.repeat(43)}`)).toBe('publish_token_invalid');
    expect(await verdict(body.publishToken, other.id)).toBe('workflow_mismatch');
    expect(await verdict(body.publishToken, wf.id)).toBe('ok');
    const [link] = await t.dataSource.query(`SELECT last_used_at FROM publish_links WHERE workflow_id = $1`, [wf.id]);
    expect(link.last_used_at).toBeInstanceOf(Date);
  });

  it('serves public metadata for published workflows only, with one 404 body otherwise', async () => {
    const wf = await newWorkflow('Public name');
    await http().patch(`/api/workflows/${wf.id}`).set('Authorization', owner.auth).send({ description: 'secret description' }).expect(200);
    const privateRes = await http().get(`/api/workflows/${wf.id}/public`).expect(404);
    const missing = await http().get(`/api/workflows/00000000-0000-4000-8000-000000000000/public`).expect(404);
    const malformed = await http().get(`/api/workflows/nope/public`).expect(404);
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    expect(strip(privateRes.body)).toEqual(strip(missing.body));
    expect(strip(malformed.body)).toEqual(strip(missing.body));
    await http().post(`/api/workflows/${wf.id}/publish`).set('Authorization', owner.auth).send({ requireLogin: true }).expect(201);
    const pub = await http().get(`/api/workflows/${wf.id}/public`).expect(200);
    expect(pub.body).toEqual({ id: wf.id, name: 'Public name', requireLogin: true });
  });

  it('two simultaneous publishes: exactly one 201 and one 409', async () => {
    const wf = await newWorkflow();
    const results = await Promise.all([0, 1].map(() => http().post(`/api/workflows/${wf.id}/publish`).set('Authorization', owner.auth).send({})));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect((await links(wf.id)).map((l) => l.status)).toEqual(['active']);
  });

  it('concurrent rotations leave exactly one active link', async () => {
    const wf = await newWorkflow();
    await http().post(`/api/workflows/${wf.id}/publish`).set('Authorization', owner.auth).send({}).expect(201);
    const results = await Promise.all([0, 1, 2, 3, 4].map(() => http().post(`/api/workflows/${wf.id}/publish/rotate`).set('Authorization', owner.auth).send({})));
    expect(results.map((r) => [r.status, r.body.code])).toEqual(Array(5).fill([200, undefined]));
    const statuses = (await links(wf.id)).map((l) => l.status);
    expect(statuses.filter((s) => s === 'active')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'rotated')).toHaveLength(5);
    const tokens = results.map((r) => r.body.publishToken as string);
    const verdicts = await Promise.all(tokens.map((tk) => verdict(tk)));
    expect(verdicts.filter((v) => v === 'ok')).toHaveLength(1);
  });

  it('rejects bad publish bodies', async () => {
    const wf = await newWorkflow();
    const res = await http().post(`/api/workflows/${wf.id}/publish`).set('Authorization', owner.auth).send({ requireLogin: 'yes', extra: 1 }).expect(400);
    expect(res.body.details.fields).toEqual({ requireLogin: ['requireLogin must be a boolean value'], extra: ['property extra should not exist'] });
    expect(await links(wf.id)).toEqual([]);
    await http().patch(`/api/workflows/${wf.id}/publish`).set('Authorization', owner.auth).send({}).expect(400);
  });
});

describe('publishing kill switch (CHATKIT_PUBLISH_ENABLED=false)', () => {
  let t: TestApp;
  let owner: Owner;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await createTestApp();
    owner = await createOwner(t.app);
  });
  afterAll(() => t.close());

  it('blocks publish, rotate and the login flag but still allows revoke', async () => {
    const { body: wf } = await http().post('/api/workflows').set('Authorization', owner.auth).send({ name: 'x' }).expect(201);
    await http().post(`/api/workflows/${wf.id}/publish`).set('Authorization', owner.auth).send({}).expect(201);
    await t.close();
    t = await createTestApp({ env: { CHATKIT_PUBLISH_ENABLED: 'false' }, keepData: true });
    for (const [method, suffix] of [
      ['post', '/publish'],
      ['post', '/publish/rotate'],
      ['patch', '/publish'],
    ] as const) {
      const res = await http()[method](`/api/workflows/${wf.id}${suffix}`).set('Authorization', owner.auth).send({ requireLogin: true }).expect(403);
      expect(res.body).toMatchObject({ statusCode: 403, code: 'feature_disabled' });
    }
    const revoked = await http().post(`/api/workflows/${wf.id}/publish/revoke`).set('Authorization', owner.auth).expect(200);
    expect(revoked.body.isPublic).toBe(false);
  });
});
