import request from 'supertest';
import { ChatSessionsService } from '../../src/chatkit/sessions/chat-sessions.service';
import { createOwner, Owner } from '../factories/owners';
import type { TestApp } from '../setup/test-app';
import { chatkit, createChatApp, createThread, createWorkflow, input } from './helpers';

const error = (statusCode: number, code: string) => ({ statusCode, code, message: expect.any(String), requestId: expect.any(String) });
const list = { type: 'threads.list', params: {} };
const MISSING = '00000000-0000-4000-8000-000000000000';

describe('durable chat sessions', () => {
  let t: TestApp;
  let owner: Owner;
  let workflowId: string;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await createChatApp();
  });
  afterAll(() => t?.close());
  beforeEach(async () => {
    owner = await createOwner(t.app, 'sessions');
    workflowId = await createWorkflow(t, owner);
  });

  const open = async (body: Record<string, unknown> = {}, as: Owner = owner, wf = workflowId) =>
    (await http().post(`/api/workflows/${wf}/chatkit/session`).set('Authorization', as.auth).send(body).expect(200)).body as {
      token: string;
      expiresAt: string;
      sessionId: string;
    };
  const sessions = async (as: Owner = owner) => (await http().get('/api/chatkit/sessions').set('Authorization', as.auth).expect(200)).body.data as Record<string, unknown>[];

  it('reuses the active session of a device and workflow, with a fresh ≤ 300 s token each time', async () => {
    const first = await open();
    const second = await open();
    expect(second.sessionId).toBe(first.sessionId);
    expect(second.token).not.toBe(first.token);
    expect(Date.parse(second.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);
    const [row] = await sessions();
    expect(row).toEqual({
      id: first.sessionId,
      workflowId,
      deviceId: 'default',
      metadata: {},
      createdAt: expect.any(String),
      lastUsedAt: null,
      expiresAt: expect.any(String),
      revokedAt: null,
    });
    // 24 h sessions.
    expect(Date.parse(row.expiresAt as string) - Date.parse(row.createdAt as string)).toBe(86400_000);
  });

  it('keeps devices and workflows apart, and stores metadata', async () => {
    const laptop = await open({ deviceId: 'laptop', metadata: { userAgent: 'Firefox' } });
    const phone = await open({ deviceId: 'phone' });
    const other = await open({ deviceId: 'laptop' }, owner, await createWorkflow(t, owner));
    expect(new Set([laptop.sessionId, phone.sessionId, other.sessionId]).size).toBe(3);
    expect((await open({ deviceId: 'laptop' })).sessionId).toBe(laptop.sessionId);
    const rows = await sessions();
    expect(rows).toHaveLength(3);
    expect(rows.find((r) => r.id === laptop.sessionId)).toMatchObject({ deviceId: 'laptop', metadata: { userAgent: 'Firefox' } });
  });

  it('validates the body and refuses another owner\'s workflow (404)', async () => {
    await http().post(`/api/workflows/${workflowId}/chatkit/session`).set('Authorization', owner.auth).send({ deviceId: '' }).expect(400);
    await http().post(`/api/workflows/${workflowId}/chatkit/session`).set('Authorization', owner.auth).send({ metadata: 'x' }).expect(400);
    await http().post(`/api/workflows/${workflowId}/chatkit/session`).set('Authorization', owner.auth).send({ metadata: { big: 'x'.repeat(5000) } }).expect(400);
    const stranger = await createOwner(t.app, 'stranger');
    await http().post(`/api/workflows/${workflowId}/chatkit/session`).set('Authorization', stranger.auth).send({}).expect(404);
  });

  it('records last use at most once a minute', async () => {
    const { token, sessionId } = await open();
    expect((await chatkit(t.baseUrl, token, list)).status).toBe(200);
    const [{ last_used_at: first }] = await t.dataSource.query(`SELECT last_used_at FROM chat_sessions WHERE id = $1`, [sessionId]);
    expect(first).not.toBeNull();
    expect((await chatkit(t.baseUrl, token, list)).status).toBe(200);
    const [{ last_used_at: second }] = await t.dataSource.query(`SELECT last_used_at FROM chat_sessions WHERE id = $1`, [sessionId]);
    expect(new Date(second).getTime()).toBe(new Date(first).getTime());
  });

  it('revoking one session refuses its tokens at once (401 chat_session_revoked) and leaves other devices alone; it is never reused', async () => {
    const laptop = await open({ deviceId: 'laptop' });
    const phone = await open({ deviceId: 'phone' });
    await createThread(t.baseUrl, laptop.token);
    await http().delete(`/api/chatkit/sessions/${laptop.sessionId}`).set('Authorization', owner.auth).expect(204);
    const refused = await chatkit(t.baseUrl, laptop.token, list);
    expect([refused.status, refused.body]).toEqual([401, error(401, 'chat_session_revoked')]);
    expect((await chatkit(t.baseUrl, phone.token, list)).status).toBe(200);
    // Listed as revoked, after the active one.
    const rows = await sessions();
    expect(rows.map((r) => r.id)).toEqual([phone.sessionId, laptop.sessionId]);
    expect(rows[1].revokedAt).toEqual(expect.any(String));
    // A new session for the device; the history (per user) is still there.
    const again = await open({ deviceId: 'laptop' });
    expect(again.sessionId).not.toBe(laptop.sessionId);
    expect((await chatkit(t.baseUrl, again.token, list)).body.data).toHaveLength(1);
  });

  it('a revoked or expired session is refused (401) for every request type and body, writing nothing', async () => {
    const s = await open();
    const { threadId } = await createThread(t.baseUrl, s.token);
    const count = async (table: string) =>
      (await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table} t JOIN chat_threads c ON c.id = ${table === 'chat_threads' ? 't.id' : 't.thread_id'} WHERE c.workflow_id = $1`, [workflowId]))[0].n as number;
    const before = { threads: await count('chat_threads'), items: await count('chat_items') };
    await http().delete(`/api/chatkit/sessions/${s.sessionId}`).set('Authorization', owner.auth).expect(204);
    const create = { type: 'threads.create', params: { input: input('hi') } };
    const add = { type: 'threads.add_user_message', params: { thread_id: threadId, input: input('hi') } };
    const other = { type: 'threads.add_user_message', params: { thread_id: 'thr_missing', input: input('hi') } };
    for (const body of [create, add, other, { type: 'threads.get_by_id', params: { thread_id: threadId } }, { type: 'no.such' }, '{not json', list]) {
      const refused = await chatkit(t.baseUrl, s.token, body);
      expect([refused.status, refused.contentType, refused.body]).toEqual([401, expect.stringContaining('application/json'), error(401, 'chat_session_revoked')]);
    }
    expect({ threads: await count('chat_threads'), items: await count('chat_items') }).toEqual(before);
    // Expired (not revoked): the same.
    const e = await open({ deviceId: 'expiring' });
    await t.dataSource.query(`UPDATE chat_sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [e.sessionId]);
    expect((await chatkit(t.baseUrl, e.token, create)).body.code).toBe('chat_session_revoked');
    expect({ threads: await count('chat_threads'), items: await count('chat_items') }).toEqual(before);
  });

  it('a live session chats and records its last use at most once a minute on every request type', async () => {
    const s = await open();
    const { threadId } = await createThread(t.baseUrl, s.token);
    const used = async () => (await t.dataSource.query(`SELECT last_used_at FROM chat_sessions WHERE id = $1`, [s.sessionId]))[0].last_used_at as Date | null;
    expect(await used()).not.toBeNull();
    await t.dataSource.query(`UPDATE chat_sessions SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, [s.sessionId]);
    const stale = new Date(await used() as Date).getTime();
    const answer = await chatkit(t.baseUrl, s.token, { type: 'threads.add_user_message', params: { thread_id: threadId, input: input('again') } });
    expect(answer.status).toBe(200);
    expect(answer.events!.some((e) => e.type === 'thread.item.done' && e.item.type === 'assistant_message')).toBe(true);
    const touched = new Date(await used() as Date).getTime();
    expect(touched).toBeGreaterThan(stale);
    // Fresh now: the next requests leave it alone (at most one write a minute).
    await createThread(t.baseUrl, s.token);
    await chatkit(t.baseUrl, s.token, { type: 'threads.add_user_message', params: { thread_id: threadId, input: input('and again') } });
    expect(new Date(await used() as Date).getTime()).toBe(touched);
    // A thread of nobody, with a live session: 404 as ever.
    const missing = await chatkit(t.baseUrl, s.token, { type: 'threads.add_user_message', params: { thread_id: 'thr_missing', input: input('x') } });
    expect([missing.status, missing.body.code]).toEqual([404, 'not_found']);
    // The title save of threads.create lands.
    const created = await createThread(t.baseUrl, s.token, 'title me');
    const [{ title }] = await t.dataSource.query(`SELECT title FROM chat_threads WHERE id = $1`, [created.threadId]);
    expect(title).toBe('title me');
    expect(created.events.some((e) => e.type === 'thread.updated' && e.thread.title === 'title me')).toBe(true);
  });

  it("another user's session → 404, unknown → 404, malformed id → 400; revoking twice is fine", async () => {
    const mine = await open();
    const stranger = await createOwner(t.app, 'stranger');
    expect((await http().delete(`/api/chatkit/sessions/${mine.sessionId}`).set('Authorization', stranger.auth).expect(404)).body.code).toBe('not_found');
    expect((await chatkit(t.baseUrl, mine.token, list)).status).toBe(200);
    await http().delete(`/api/chatkit/sessions/${MISSING}`).set('Authorization', owner.auth).expect(404);
    await http().delete('/api/chatkit/sessions/laptop').set('Authorization', owner.auth).expect(400);
    await http().delete(`/api/chatkit/sessions/${mine.sessionId}`).set('Authorization', owner.auth).expect(204);
    await http().delete(`/api/chatkit/sessions/${mine.sessionId}`).set('Authorization', owner.auth).expect(204);
    expect(await sessions(stranger)).toEqual([]);
  });

  it('revoke-all signs out every device of the caller only', async () => {
    const a = await open({ deviceId: 'a' });
    const b = await open({ deviceId: 'b' });
    const stranger = await createOwner(t.app, 'stranger');
    const theirs = await open({}, stranger, await createWorkflow(t, stranger));
    expect((await http().post('/api/chatkit/sessions/revoke-all').set('Authorization', owner.auth).expect(200)).body).toEqual({ revoked: 2 });
    for (const token of [a.token, b.token]) expect((await chatkit(t.baseUrl, token, list)).body.code).toBe('chat_session_revoked');
    expect((await chatkit(t.baseUrl, theirs.token, list)).status).toBe(200);
    expect((await http().post('/api/chatkit/sessions/revoke-all').set('Authorization', owner.auth).expect(200)).body).toEqual({ revoked: 0 });
  });

  it('an expired session refuses its tokens, is not reused, and one expiring within the hour is replaced', async () => {
    const s = await open();
    await t.dataSource.query(`UPDATE chat_sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [s.sessionId]);
    expect((await chatkit(t.baseUrl, s.token, list)).body.code).toBe('chat_session_revoked');
    const next = await open();
    expect(next.sessionId).not.toBe(s.sessionId);

    await t.dataSource.query(`UPDATE chat_sessions SET expires_at = now() + interval '30 minutes' WHERE id = $1`, [next.sessionId]);
    const replaced = await open();
    expect(replaced.sessionId).not.toBe(next.sessionId);
    // The old one keeps working until it expires; it is just not handed out again.
    expect((await chatkit(t.baseUrl, next.token, list)).status).toBe(200);
  });

  it('the cleanup job deletes expired sessions (revoked or not) and keeps live ones', async () => {
    const live = await open({ deviceId: 'live' });
    const old = await open({ deviceId: 'old' });
    const revokedOld = await open({ deviceId: 'revoked-old' });
    await http().delete(`/api/chatkit/sessions/${revokedOld.sessionId}`).set('Authorization', owner.auth).expect(204);
    await t.dataSource.query(`UPDATE chat_sessions SET expires_at = now() - interval '1 minute' WHERE id = ANY($1)`, [[old.sessionId, revokedOld.sessionId]]);
    expect(await t.app.get(ChatSessionsService).deleteExpired()).toBeGreaterThanOrEqual(2);
    expect((await sessions()).map((r) => r.id)).toEqual([live.sessionId]);
  });

  it('tokens minted for a session of a deleted workflow answer 404 (the sessions went with the workflow)', async () => {
    const s = await open();
    await http().delete(`/api/workflows/${workflowId}`).set('Authorization', owner.auth).expect(204);
    expect((await chatkit(t.baseUrl, s.token, list)).status).toBe(404);
    // The same through the statement the check is folded into (threads.create).
    const create = await chatkit(t.baseUrl, s.token, { type: 'threads.create', params: { input: input('hi') } });
    expect([create.status, create.body.code]).toEqual([404, 'not_found']);
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM chat_sessions WHERE id = $1`, [s.sessionId]);
    expect(n).toBe(0);
  });

  it('the cleanup runs on its own every CHAT_SESSION_CLEANUP_INTERVAL seconds', async () => {
    const s = await open({ deviceId: 'periodic' });
    await t.dataSource.query(`UPDATE chat_sessions SET expires_at = now() - interval '1 minute' WHERE id = $1`, [s.sessionId]);
    const fast = await createChatApp({ env: { CHAT_SESSION_CLEANUP_INTERVAL: '1' }, keepData: true });
    try {
      const deadline = Date.now() + 5000;
      let n = 1;
      while (n > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM chat_sessions WHERE id = $1`, [s.sessionId]);
      }
      expect(n).toBe(0);
    } finally {
      await fast.close();
    }
  });

  it('the session routes need an owner credential', async () => {
    const { token } = await open();
    await http().get('/api/chatkit/sessions').expect(401);
    expect((await http().get('/api/chatkit/sessions').set('Authorization', `Bearer ${token}`)).status).toBe(401);
  });
});
