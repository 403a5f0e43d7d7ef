import request from 'supertest';
import { PendingAttachmentsSweeper } from '../../src/chatkit/attachments/pending-attachments.sweeper';
import { createOwner } from '../factories/owners';
import type { TestApp } from '../setup/test-app';
import { chatkit, chatter, chatToken, createChatApp, createWorkflow, input } from './helpers';

/**
 * Pending-upload quotas (issue 17): attachments not yet sent in a message are capped per principal
 * and per workflow, expire, and creating them is rate limited on its own.
 */
describe('pending attachment quotas, expiry and the attachments rate limit', () => {
  let t: TestApp;
  let token: string;
  let workflowId: string;

  beforeAll(async () => {
    t = await createChatApp({
      env: {
        CHATKIT_PENDING_ATTACHMENTS_PER_PRINCIPAL: '3',
        CHATKIT_PENDING_ATTACHMENTS_PER_WORKFLOW: '5',
        CHATKIT_PENDING_ATTACHMENT_TTL: '600',
        RATE_LIMIT_ATTACHMENTS_PER_PRINCIPAL: '8',
        RATE_LIMIT_PER_PRINCIPAL: '1000',
        RATE_LIMIT_PER_IP: '1000',
        RATE_LIMIT_PER_LINK: '1000',
      },
    });
    ({ token, workflowId } = await chatter(t));
  });
  afterAll(() => t.close());

  const attach = (auth: string | null, headers: Record<string, string> = {}, name = 'promise.txt') =>
    chatkit(t.baseUrl, auth, { type: 'attachments.create', params: { name, size: 5 * 1024 * 1024, mime_type: 'text/plain' } }, headers);
  const quota = (scope: string, limit: number) => ({
    statusCode: 429,
    code: 'attachment_quota_exceeded',
    message: expect.any(String),
    requestId: expect.any(String),
    details: { scope, limit },
  });

  it('caps attachments not yet sent per principal; sending or deleting one frees a place', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await attach(token);
      expect(created.status).toBe(200);
      ids.push(created.body.id as string);
    }
    const fourth = await attach(token);
    expect([fourth.status, fourth.body]).toEqual([429, quota('principal', 3)]);
    expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM chat_attachments WHERE workflow_id = $1`, [workflowId])).toEqual([{ n: 3 }]);

    // Sent in a message: no longer pending.
    const sent = await chatkit(t.baseUrl, token, { type: 'threads.create', params: { input: input('here', [ids[0]]) } });
    expect(sent.status).toBe(200);
    expect((await attach(token)).status).toBe(200);
    expect((await attach(token)).status).toBe(429);
    // Deleted: the place is free again.
    expect((await chatkit(t.baseUrl, token, { type: 'attachments.delete', params: { attachment_id: ids[1] } })).status).toBe(200);
    expect((await attach(token)).status).toBe(200);
  });

  it('caps them per workflow, so visitors who drop their visitor token cannot pile them up', async () => {
    const owner = await createOwner(t.app, 'quota-publisher');
    const publicWorkflow = await createWorkflow(t, owner);
    const published = await request(t.app.getHttpServer())
      .post(`/api/workflows/${publicWorkflow}/publish`)
      .set('Authorization', owner.auth)
      .send({ requireLogin: false })
      .expect(201);
    const link = { 'x-parley-publish-token': published.body.publishToken as string };
    // Each request without X-Parley-Visitor is a new visitor: the per-principal cap never binds.
    for (let i = 0; i < 5; i++) expect((await attach(null, link)).status).toBe(200);
    const over = await attach(null, link);
    expect([over.status, over.body]).toEqual([429, quota('workflow', 5)]);
    expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM chat_attachments WHERE workflow_id = $1`, [publicWorkflow])).toEqual([{ n: 5 }]);
  });

  it('expires attachments never sent in a message (uploaded or not) and keeps sent ones', async () => {
    const owner = await createOwner(t.app, 'quota-expiry');
    const wf = await createWorkflow(t, owner);
    const chat = await chatToken(t, owner, wf);
    const pendingId = (await attach(chat)).body.id as string;
    const upload = await chatkit(t.baseUrl, chat, { type: 'attachments.create', params: { name: 'a.txt', size: 2, mime_type: 'text/plain' } });
    const put = await fetch(`${t.baseUrl}/api/chatkit/uploads/${upload.body.id}`, { method: 'PUT', headers: { authorization: `Bearer ${chat}` }, body: 'hi' });
    expect(put.status).toBe(200);
    const keptId = (await attach(chat)).body.id as string;
    expect((await chatkit(t.baseUrl, chat, { type: 'threads.create', params: { input: input('kept', [keptId]) } })).status).toBe(200);

    const sweeper = t.app.get(PendingAttachmentsSweeper);
    expect(await sweeper.sweep(new Date())).toBe(0);
    expect(await sweeper.sweep(new Date(Date.now() + 601_000))).toBeGreaterThanOrEqual(2);
    const left = (await t.dataSource.query(`SELECT id FROM chat_attachments WHERE workflow_id = $1`, [wf])) as Array<{ id: string }>;
    expect(left.map((r) => r.id)).toEqual([keptId]);
    const gone = await chatkit(t.baseUrl, chat, { type: 'threads.create', params: { input: input('late', [pendingId]) } });
    expect([gone.status, gone.body.code]).toEqual([404, 'not_found']);
  });

  it('counts attachments.create against its own rate limit (429 rate_limited, bucket attachments)', async () => {
    const owner = await createOwner(t.app, 'quota-rate');
    const wf = await createWorkflow(t, owner);
    const chat = await chatToken(t, owner, wf);
    let created = 0;
    let refused: Awaited<ReturnType<typeof attach>> | undefined;
    // Deleting each one keeps the pending quota out of the way: only the rate limit can refuse.
    for (let i = 0; i < 10 && !refused; i++) {
      const answer = await attach(chat);
      if (answer.status !== 200) refused = answer;
      else {
        created++;
        await chatkit(t.baseUrl, chat, { type: 'attachments.delete', params: { attachment_id: answer.body.id } });
      }
    }
    expect(created).toBe(8);
    expect([refused?.status, refused?.body.code, refused?.body.details.bucket]).toEqual([429, 'rate_limited', 'attachments']);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    // Other requests of the same principal still pass.
    expect((await chatkit(t.baseUrl, chat, { type: 'threads.list', params: {} })).status).toBe(200);
  });
});
