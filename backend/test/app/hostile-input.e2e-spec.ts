import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { chatkit, chatter, createChatApp, input } from '../chatkit/helpers';
import type { TestApp } from '../setup/test-app';

/**
 * Regressions found by the fault suite's fuzzer (`npm run test:faults`): each of these used to
 * answer 500. Client mistakes must be 4xx with the documented body.
 */
describe('hostile input answers 4xx, never 500', () => {
  let t: TestApp;
  let ctx: Awaited<ReturnType<typeof chatter>>;
  const http = () => request(t.app.getHttpServer());
  beforeAll(async () => {
    t = await createChatApp();
    ctx = await chatter(t);
  });
  afterAll(() => t.close());

  it('a JWT whose ES256 signature has the wrong length is token_invalid (owner and chat tokens)', async () => {
    const res = await http().get('/api/workflows').set('Authorization', `${ctx.owner.auth}x`).expect(401);
    expect(res.body.code).toBe('token_invalid');
    const chat = await chatkit(t.baseUrl, `${ctx.token}AA`, { type: 'threads.list', params: {} });
    expect([chat.status, chat.body.code]).toEqual([401, 'token_invalid']);
  });

  it('a broken compressed body is a 400, on REST routes and on /api/chatkit', async () => {
    const truncated = gzipSync(Buffer.from('{"name":"x"}')).subarray(0, 5);
    const rest = await http().post('/api/workflows').set('Authorization', ctx.owner.auth).set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send(truncated);
    expect([rest.status, rest.body.code]).toEqual([400, 'invalid_json']);
    const res = await fetch(`${t.baseUrl}/api/chatkit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.token}`, 'content-type': 'application/json', 'content-encoding': 'deflate' },
      body: '{"type":"threads.list","params":{}}',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('invalid_request');
  });

  it('NUL characters and unpaired surrogates are refused with the field named', async () => {
    const nul = await http().post('/api/workflows').set('Authorization', ctx.owner.auth).send({ name: 'a\u0000b' }).expect(400);
    expect(nul.body).toMatchObject({ code: 'validation_failed', details: { fields: { name: [expect.stringContaining('NUL')] } } });
    const surrogate = await http().post('/api/auth/login').send({ email: '\ud800@example.com', password: 'x' }).expect(400);
    expect(surrogate.body.code).toBe('validation_failed');
    const chat = await chatkit(t.baseUrl, ctx.token, { type: 'threads.create', params: { input: input('a\u0000b') } });
    expect(chat.status).toBe(400);
    expect(chat.body).toMatchObject({ code: 'invalid_request', details: { fields: { 'params.input.content.0.text': [expect.stringContaining('NUL')] } } });
    const thread = await chatkit(t.baseUrl, ctx.token, { type: 'threads.get_by_id', params: { thread_id: 'thr_\u0000' } });
    expect(thread.status).toBe(400);
  });

  it('NUL in a path or query parameter is a 400, not a database error', async () => {
    const path = await http().get(`/api/workflows/${ctx.workflowId}/transcripts/%00`).set('Authorization', ctx.owner.auth);
    expect(path.status).toBe(400);
    const query = await http().get(`/api/workflows/${ctx.workflowId}/transcripts?q=a%00b`).set('Authorization', ctx.owner.auth);
    expect(query.status).toBe(400);
  });

  it('absurdly deep JSON is refused before anything recursive sees it', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const rest = await http().post(`/api/workflows/${ctx.workflowId}/publish`).set('Authorization', ctx.owner.auth).set('Content-Type', 'application/json').send(deep);
    expect([rest.status, rest.body.code]).toEqual([400, 'validation_failed']);
    const data = `${'{"d":'.repeat(5000)}"x"${'}'.repeat(5000)}`;
    const chat = await chatkit(
      t.baseUrl,
      ctx.token,
      `{"type":"threads.create","params":{"input":{"content":[{"type":"input_tag","id":"t","text":"t","data":${data},"interactive":false}],"attachments":[],"inference_options":{}}}}`,
    );
    expect([chat.status, chat.body.code]).toEqual([400, 'invalid_request']);
  });

  it('null is refused for fields that are optional but not nullable', async () => {
    for (const body of [{ name: null }, { description: null }, { allowedOrigins: null }, { runner: null }]) {
      const res = await http().patch(`/api/workflows/${ctx.workflowId}`).set('Authorization', ctx.owner.auth).send(body);
      expect([JSON.stringify(body), res.status, res.body.code]).toEqual([JSON.stringify(body), 400, 'validation_failed']);
    }
    // Nullable on purpose: clears the per-workflow retention.
    await http().patch(`/api/workflows/${ctx.workflowId}`).set('Authorization', ctx.owner.auth).send({ transcriptRetentionDays: null }).expect(200);
    await http().post(`/api/workflows/${ctx.workflowId}/publish`).set('Authorization', ctx.owner.auth).send({}).expect(201);
    const rotate = await http().post(`/api/workflows/${ctx.workflowId}/publish/rotate`).set('Authorization', ctx.owner.auth).send({ requireLogin: null });
    expect([rotate.status, rotate.body.code]).toEqual([400, 'validation_failed']);
  });
});
