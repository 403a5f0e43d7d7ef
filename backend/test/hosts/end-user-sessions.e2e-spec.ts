import OpenAI from 'openai';
import request from 'supertest';
import { chatkit, chatToken, createChatApp, createThread, createWorkflow, RunnerBody } from '../chatkit/helpers';
import { decodeJwt } from '../auth/helpers';
import { startFakeOpenAI, FakeOpenAI } from '../fakes/fake-openai-server';
import { createOwner, Owner } from '../factories/owners';
import { isDelta, openStream, slowCreate } from '../operations/live-stream';
import type { TestApp } from '../setup/test-app';
import { statementsDuring } from '../setup/statements';
import { createServerKey, error, mintSession } from './helpers';

const list = { type: 'threads.list', params: {} };
const MODEL: RunnerBody = { kind: 'openai', provider: 'openai', model: 'gpt-test' };

/** Thread ids `client_secret` can list. */
async function threadsOf(baseUrl: string, secret: string): Promise<string[]> {
  const answer = await chatkit(baseUrl, secret, list);
  if (answer.status !== 200) throw new Error(`threads.list answered ${answer.status}: ${answer.text}`);
  return (answer.body.data as { id: string }[]).map((thread) => thread.id);
}

describe('end-user (host) sessions', () => {
  let fake: FakeOpenAI;
  let t: TestApp;
  let owner: Owner;
  let workflowId: string;
  let key: string;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await createChatApp({ env: { OPENAI_API_KEY: 'sk-test-key', OPENAI_BASE_URL: fake.baseUrl } });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });
  beforeEach(async () => {
    owner = await createOwner(t.app, 'host-owner');
    workflowId = await createWorkflow(t, owner);
    key = (await createServerKey(t, owner, workflowId)).key;
  });

  it('mints a ≤ 300 s chat JWT of kind host whose sub is the host id namespaced by the workflow', async () => {
    const session = await mintSession(t, key, workflowId, { id: 'user-42', email: 'Ada@Example.com', name: 'Ada' });
    expect(session).toEqual({ client_secret: expect.any(String), expires_at: expect.any(Number), session_id: expect.any(String) });
    const { payload } = decodeJwt(session.client_secret);
    expect(payload).toMatchObject({ aud: 'parley-chat', kind: 'host', sub: `${workflowId}:user-42`, wf: workflowId, sid: session.session_id, email: 'ada@example.com', name: 'Ada' });
    expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(300);
    expect(session.expires_at).toBe(payload.exp);
    const { threadId } = await createThread(t.baseUrl, session.client_secret, 'hello from the host app');
    expect(await threadsOf(t.baseUrl, session.client_secret)).toEqual([threadId]);
  });

  it('a mint with a key read recently is ONE statement, which re-checks the key (RechecksServerKey)', async () => {
    const first = await mintSession(t, key, workflowId, { id: 'count-user' });
    let second: { session_id: string } | undefined;
    const statements = await statementsDuring(async () => (second = await mintSession(t, key, workflowId, { id: 'count-user' })));
    expect(second?.session_id).toBe(first.session_id);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/^WITH key AS \( SELECT revoked_at IS NULL AS live FROM workflow_server_keys /);
  });

  it('refresh: minting again reuses the session of that device with a fresh secret; history carries over', async () => {
    const first = await mintSession(t, key, workflowId, { id: 'refresh-user' });
    const { threadId } = await createThread(t.baseUrl, first.client_secret);
    const second = await mintSession(t, key, workflowId, { id: 'refresh-user' });
    expect(second.session_id).toBe(first.session_id);
    expect(second.client_secret).not.toBe(first.client_secret);
    expect(await threadsOf(t.baseUrl, second.client_secret)).toEqual([threadId]);
  });

  it('an expired client secret is token_expired; a fresh mint continues the same history', async () => {
    const short = await createChatApp({ env: { CHAT_TOKEN_TTL_SECONDS: '30' }, keepData: true });
    try {
      const session = await mintSession(short, key, workflowId, { id: 'expiring' });
      const { threadId } = await createThread(short.baseUrl, session.client_secret);
      const { payload } = decodeJwt(session.client_secret);
      expect((payload.exp as number) - (payload.iat as number)).toBe(30);
      // The clock moves past expiry (plus the 5 s tolerance).
      const realNow = Date.now;
      Date.now = () => realNow() + 36_000;
      try {
        const expired = await chatkit(short.baseUrl, session.client_secret, list);
        expect(expired.status).toBe(401);
        expect(expired.body).toEqual(error(401, 'token_expired'));
        const fresh = await mintSession(short, key, workflowId, { id: 'expiring' });
        expect(await threadsOf(short.baseUrl, fresh.client_secret)).toEqual([threadId]);
      } finally {
        Date.now = realNow;
      }
    } finally {
      await short.close();
    }
  });

  it("threads follow a host user across devices; other host users, visitors and the owner never see them", async () => {
    const laptop = await mintSession(t, key, workflowId, { id: 'alice' }, 'laptop');
    const phone = await mintSession(t, key, workflowId, { id: 'alice' }, 'phone');
    expect(phone.session_id).not.toBe(laptop.session_id);
    const { threadId } = await createThread(t.baseUrl, laptop.client_secret, 'alice on her laptop');
    expect(await threadsOf(t.baseUrl, phone.client_secret)).toEqual([threadId]);
    const onPhone = await chatkit(t.baseUrl, phone.client_secret, { type: 'items.list', params: { thread_id: threadId } });
    expect(onPhone.status).toBe(200);

    // Another host user of the same workflow.
    const bob = await mintSession(t, key, workflowId, { id: 'bob' });
    expect(await threadsOf(t.baseUrl, bob.client_secret)).toEqual([]);
    const stolen = await chatkit(t.baseUrl, bob.client_secret, { type: 'items.list', params: { thread_id: threadId } });
    expect(stolen.status).toBe(404);

    // The same host id in another workflow (another server key) is another person.
    const otherWorkflow = await createWorkflow(t, owner);
    const otherKey = (await createServerKey(t, owner, otherWorkflow)).key;
    const aliceElsewhere = await mintSession(t, otherKey, otherWorkflow, { id: 'alice' });
    expect(await threadsOf(t.baseUrl, aliceElsewhere.client_secret)).toEqual([]);

    // The owner's canvas chat and a share-link visitor are other principals.
    const canvas = await chatToken(t, owner, workflowId);
    expect(await threadsOf(t.baseUrl, canvas)).toEqual([]);
    const link = await http().post(`/api/workflows/${workflowId}/publish`).set('Authorization', owner.auth).send({}).expect(201);
    const visitor = await chatkit(t.baseUrl, null, list, { 'x-parley-publish-token': link.body.publishToken });
    expect(visitor.body.data).toEqual([]);
    const visitorRead = await chatkit(t.baseUrl, null, { type: 'items.list', params: { thread_id: threadId } }, { 'x-parley-publish-token': link.body.publishToken });
    expect(visitorRead.status).toBe(404);

    // A host secret cannot act as a canvas chat token on owner routes.
    expect((await http().get(`/api/workflows/${workflowId}`).set('Authorization', `Bearer ${laptop.client_secret}`).expect(401)).body.code).toBe('token_invalid');
    // …and X-Parley-Workflow must agree with the session's workflow.
    const mismatch = await chatkit(t.baseUrl, laptop.client_secret, list, { 'x-parley-workflow': otherWorkflow });
    expect(mismatch.body).toEqual(error(403, 'workflow_mismatch'));
  });

  it('checks the user: missing, empty, control characters, bad email or extra fields are host_user_invalid', async () => {
    const send = (body: unknown) =>
      http().post(`/api/workflows/${workflowId}/end-user-sessions`).set('Authorization', `Bearer ${key}`).send(body as object);
    for (const body of [{}, { user: {} }, { user: { id: '' } }, { user: { id: 'a\nb' } }, { user: { id: 7 } }, { user: { id: 'x', email: 'nope' } }, { user: { id: 'x', role: 'admin' } }, { user: { id: 'x'.repeat(201) } }]) {
      const res = await send(body).expect(400);
      expect(res.body).toMatchObject({ ...error(400, 'host_user_invalid'), details: { fields: expect.any(Object) } });
    }
    expect((await send({ user: { id: 'x' }, deviceId: '\u0001' }).expect(400)).body.code).toBe('validation_failed');
    expect((await send({ user: { id: 'x' }, extra: 1 }).expect(400)).body.code).toBe('validation_failed');
  });

  it('the owner lists sessions with the host user, and revoking one ends its live stream and refuses its secret', async () => {
    const model = await createWorkflow(t, owner, MODEL);
    const modelKey = (await createServerKey(t, owner, model)).key;
    const carol = await mintSession(t, modelKey, model, { id: 'carol', email: 'carol@example.com', name: 'Carol' });
    const dave = await mintSession(t, modelKey, model, { id: 'dave' });
    const carolStream = await openStream(t.baseUrl, { authorization: `Bearer ${carol.client_secret}` }, slowCreate(100, 100));
    const daveStream = await openStream(t.baseUrl, { authorization: `Bearer ${dave.client_secret}` }, slowCreate(30, 10));
    await Promise.all([carolStream.until(isDelta), daveStream.until(isDelta)]);

    const listed = await http().get(`/api/workflows/${model}/end-user-sessions`).set('Authorization', owner.auth).expect(200);
    expect(listed.body.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: carol.session_id, user: { id: 'carol', email: 'carol@example.com', name: 'Carol' }, deviceId: 'default', revokedAt: null }),
        expect.objectContaining({ id: dave.session_id, user: { id: 'dave', email: null, name: null } }),
      ]),
    );
    const onlyCarol = await http().get(`/api/workflows/${model}/end-user-sessions`).query({ userId: 'carol' }).set('Authorization', owner.auth).expect(200);
    expect(onlyCarol.body.data.map((s: { id: string }) => s.id)).toEqual([carol.session_id]);
    const stranger = await createOwner(t.app, 'stranger');
    await http().get(`/api/workflows/${model}/end-user-sessions`).set('Authorization', stranger.auth).expect(404);
    await http().delete(`/api/workflows/${model}/end-user-sessions/${carol.session_id}`).set('Authorization', stranger.auth).expect(404);

    await http().delete(`/api/workflows/${model}/end-user-sessions/${carol.session_id}`).set('Authorization', owner.auth).expect(204);
    await carolStream.ended;
    expect(carolStream.events[carolStream.events.length - 1]).toEqual({ type: 'error', code: 'custom', message: expect.stringContaining('session was ended'), allow_retry: false });
    expect(carolStream.events.filter(isDelta).length).toBeLessThan(50);
    // Another user's stream goes on to its end.
    await daveStream.ended;
    expect(daveStream.events.filter(isDelta)).toHaveLength(10);
    expect(daveStream.events.some((e) => e.type === 'error')).toBe(false);

    const refused = await chatkit(t.baseUrl, carol.client_secret, list);
    expect(refused.body).toEqual(error(401, 'chat_session_revoked'));
    // Minting again opens a new session: the host decides whether its user may chat.
    const again = await mintSession(t, modelKey, model, { id: 'carol' });
    expect(again.session_id).not.toBe(carol.session_id);
  });

  it("the owner's transcripts label host users with the host's id, email and name (list and exports)", async () => {
    const erin = await mintSession(t, key, workflowId, { id: 'erin-7', email: 'erin@example.com', name: 'Erin' });
    const { threadId } = await createThread(t.baseUrl, erin.client_secret, 'labelled');
    const listed = await http().get(`/api/workflows/${workflowId}/transcripts`).query({ principalKind: 'host' }).set('Authorization', owner.auth).expect(200);
    expect(listed.body.data).toEqual([
      expect.objectContaining({ id: threadId, principalKind: 'host', principalLabel: 'Erin <erin@example.com> (erin-7)', hostUser: { id: 'erin-7', email: 'erin@example.com', name: 'Erin' } }),
    ]);
    const detail = await http().get(`/api/workflows/${workflowId}/transcripts/${threadId}`).set('Authorization', owner.auth).expect(200);
    expect(detail.body.hostUser).toEqual({ id: 'erin-7', email: 'erin@example.com', name: 'Erin' });
    const jsonl = await http().get(`/api/workflows/${workflowId}/transcripts/export`).query({ format: 'jsonl' }).set('Authorization', owner.auth).expect(200);
    const rows = jsonl.text.trim().split('\n').map((line) => JSON.parse(line));
    expect(rows[0]).toMatchObject({ principalKind: 'host', principalLabel: 'Erin <erin@example.com> (erin-7)', hostUser: { id: 'erin-7' } });
    const csv = await http().get(`/api/workflows/${workflowId}/transcripts/export`).query({ format: 'csv' }).set('Authorization', owner.auth).expect(200);
    expect(csv.text).toContain('host,Erin <erin@example.com> (erin-7)');
  });

  it('the hosted-ChatKit compatible route works with the OpenAI SDK pointed at <parley>/v1 and a server key', async () => {
    const client = new OpenAI({ apiKey: key, baseURL: `${t.baseUrl}/v1`, maxRetries: 0 });
    const session = await client.beta.chatkit.sessions.create({ user: 'sdk-user', workflow: { id: workflowId } });
    expect(session).toMatchObject({ object: 'chatkit.session', status: 'active', user: 'sdk-user', workflow: { id: workflowId }, client_secret: expect.any(String), expires_at: expect.any(Number) });
    const { threadId } = await createThread(t.baseUrl, session.client_secret, 'switched from hosted ChatKit');
    // The native route serves the same host user.
    const native = await mintSession(t, key, workflowId, { id: 'sdk-user' });
    expect(await threadsOf(t.baseUrl, native.client_secret)).toEqual([threadId]);

    const cancelled = await client.beta.chatkit.sessions.cancel(session.id);
    expect(cancelled).toMatchObject({ id: session.id, status: 'cancelled', client_secret: '' });
    expect((await chatkit(t.baseUrl, session.client_secret, list)).body.code).toBe('chat_session_revoked');

    const wrong = new OpenAI({ apiKey: key, baseURL: `${t.baseUrl}/v1`, maxRetries: 0 });
    await expect(wrong.beta.chatkit.sessions.create({ user: 'x', workflow: { id: await createWorkflow(t, owner) } })).rejects.toMatchObject({ status: 403 });
    await expect(wrong.beta.chatkit.sessions.create({ user: '', workflow: { id: workflowId } })).rejects.toMatchObject({ status: 400 });
  });
});
