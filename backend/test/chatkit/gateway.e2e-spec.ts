import request from 'supertest';
import { SigningService } from '../../src/auth/signing.service';
import { chatkitConfig, loadChatKitConfig } from '../../src/chatkit/chatkit.config';
import { decodeJwt, withPayload } from '../auth/helpers';
import { FakeOpenAI, startFakeOpenAI } from '../fakes/fake-openai-server';
import { createOwner } from '../factories/owners';
import type { TestApp } from '../setup/test-app';
import { chatkit, chatter, chatToken, createChatApp, createWorkflow } from './helpers';

const error = (statusCode: number, code: string) => ({ statusCode, code, message: expect.any(String), requestId: expect.any(String) });
const list = { type: 'threads.list', params: {} };

describe('POST /api/chatkit: transport', () => {
  let t: TestApp;
  let fake: FakeOpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await createChatApp({
      env: { CHATKIT_BODY_LIMIT: '64kb', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseUrl },
      // A short keep-alive so a test can wait for one.
      override: (b) => b.overrideProvider(chatkitConfig.KEY).useValue({ ...loadChatKitConfig({ CHATKIT_BODY_LIMIT: '64kb' }), keepAliveMs: 150 }),
    });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('streams with the SSE headers, data-only frames and stream_options after the user message', async () => {
    const { token } = await chatter(t);
    const res = await fetch(`${t.baseUrl}/api/chatkit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-encoding': 'gzip, br' },
      body: JSON.stringify({ type: 'threads.create', params: { input: { content: [{ type: 'input_text', text: 'hi there' }] } } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const text = await res.text();
    expect(text).toMatch(/^data: \{"type":"thread\.created"/);
    for (const frame of text.split('\n\n').filter(Boolean)) expect(frame).toMatch(/^data: \{.*\}$/);
    expect(text.split('\n\n').filter(Boolean).map((frame) => JSON.parse(frame.slice(6)).type)).toEqual([
      'thread.created',
      'thread.item.done',
      'stream_options',
      'thread.item.added',
      'thread.item.updated',
      'thread.item.updated',
      'thread.item.updated',
      'thread.item.done',
      'thread.updated',
    ]);
    expect(text).not.toContain(':null');
  });

  it('sends each event as soon as it exists, with `: keep-alive` comments while the runner is silent', async () => {
    const owner = await createOwner(t.app);
    const workflowId = await createWorkflow(t, owner, { kind: 'openai', provider: 'openai', model: 'fake' });
    const token = await chatToken(t, owner, workflowId);
    const res = await fetch(`${t.baseUrl}/api/chatkit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'threads.create', params: { input: { content: [{ type: 'input_text', text: '/slow 400 2' }] } } }),
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const arrivals: Array<{ at: number; text: string }> = [];
    const start = Date.now();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arrivals.push({ at: Date.now() - start, text: decoder.decode(value, { stream: true }) });
    }
    const all = arrivals.map((a) => a.text).join('');
    expect(all).toContain(': keep-alive\n\n');
    // The first frames arrive long before the slow runner finishes.
    const firstData = arrivals.find((a) => a.text.includes('thread.created'));
    expect(firstData!.at).toBeLessThan(300);
    expect(arrivals[arrivals.length - 1].at).toBeGreaterThanOrEqual(700);
    expect(all).toContain('"delta":" w2"');
  });

  it('answers JSON requests with application/json', async () => {
    const { token } = await chatter(t);
    const answer = await chatkit(t.baseUrl, token, list);
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/json; charset=utf-8');
    expect(answer.body).toEqual({ data: [], has_more: false });
  });

  it('reads the body whatever its content type, like the reference', async () => {
    const { token } = await chatter(t);
    for (const contentType of ['text/plain', 'application/octet-stream']) {
      const answer = await chatkit(t.baseUrl, token, JSON.stringify(list), { 'content-type': contentType });
      expect(answer.status).toBe(200);
    }
  });

  it('answers 400 invalid_request with details before any stream', async () => {
    const { token } = await chatter(t);
    const bad = await chatkit(t.baseUrl, token, { type: 'threads.create', params: { input: { content: 'nope' } } });
    expect(bad.status).toBe(400);
    expect(bad.contentType).toMatch(/^application\/json/);
    expect(bad.body).toEqual({ ...error(400, 'invalid_request'), details: { fields: expect.objectContaining({ 'params.input.content': expect.any(Array) }) } });
    const notJson = await chatkit(t.baseUrl, token, '{"type":');
    expect(notJson.body).toEqual({ ...error(400, 'invalid_request'), details: { fields: { body: ['must be valid JSON'] } } });
  });

  it('answers 413 payload_too_large over CHATKIT_BODY_LIMIT, and accepts bodies above the global BODY_LIMIT below it', async () => {
    const { token } = await chatter(t);
    const big = await chatkit(t.baseUrl, token, { type: 'input.transcribe', params: { audio_base64: 'A'.repeat(70 * 1024), mime_type: 'audio/webm' } });
    expect(big.status).toBe(413);
    expect(big.body).toEqual(error(413, 'payload_too_large'));
    const fits = await chatkit(t.baseUrl, token, { ...list, metadata: { padding: 'x'.repeat(40 * 1024) } });
    expect(fits.status).toBe(200);
  });

  it('answers 404 for an unknown thread before opening a stream', async () => {
    const { token } = await chatter(t);
    const answer = await chatkit(t.baseUrl, token, { type: 'threads.add_user_message', params: { thread_id: 'thr_missing', input: { content: [{ type: 'input_text', text: 'x' }] } } });
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual(error(404, 'not_found'));
  });
});

describe('POST /api/chatkit: chat session auth', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createChatApp();
  });
  afterAll(() => t.close());

  it('issues ES256 chat tokens for the owner: aud parley-chat, sub/wf/sid/jti, 300 s', async () => {
    const owner = await createOwner(t.app);
    const workflowId = await createWorkflow(t, owner);
    const res = await request(t.app.getHttpServer()).post(`/api/workflows/${workflowId}/chatkit/session`).set('Authorization', owner.auth).expect(200);
    expect(res.body).toEqual({ token: expect.any(String), expiresAt: expect.any(String), sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const { header, payload } = decodeJwt(res.body.token);
    expect(header).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
    expect(payload).toMatchObject({ aud: 'parley-chat', sub: owner.id, wf: workflowId, sid: res.body.sessionId, jti: expect.any(String) });
    expect((payload.exp as number) - (payload.iat as number)).toBe(300);
    expect(Date.parse(res.body.expiresAt)).toBe((payload.exp as number) * 1000);
  });

  it('refuses sessions for workflows the caller does not own (404), without credentials (401) and for a bad id (400)', async () => {
    const owner = await createOwner(t.app);
    const other = await createOwner(t.app, 'other');
    const workflowId = await createWorkflow(t, owner);
    const server = t.app.getHttpServer();
    const foreign = await request(server).post(`/api/workflows/${workflowId}/chatkit/session`).set('Authorization', other.auth);
    expect([foreign.status, foreign.body]).toEqual([404, error(404, 'not_found')]);
    const anonymous = await request(server).post(`/api/workflows/${workflowId}/chatkit/session`);
    expect([anonymous.status, anonymous.body]).toEqual([401, error(401, 'unauthenticated')]);
    const malformed = await request(server).post(`/api/workflows/not-a-uuid/chatkit/session`).set('Authorization', owner.auth);
    expect(malformed.status).toBe(400);
  });

  it('answers 401 unauthenticated without credentials', async () => {
    const answer = await chatkit(t.baseUrl, null, list);
    expect([answer.status, answer.body]).toEqual([401, error(401, 'unauthenticated')]);
  });

  it('refuses an owner access token on the chat endpoint (wrong audience) with 401 token_invalid', async () => {
    const owner = await createOwner(t.app);
    const answer = await chatkit(t.baseUrl, owner.accessToken, list);
    expect([answer.status, answer.body]).toEqual([401, error(401, 'token_invalid')]);
  });

  it('refuses a chat token on owner routes', async () => {
    const { token } = await chatter(t);
    const res = await request(t.app.getHttpServer()).get('/api/workflows').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_invalid');
  });

  it('refuses a tampered token and a token without wf with 401 token_invalid', async () => {
    const { token, owner } = await chatter(t);
    const { payload } = decodeJwt(token);
    const tampered = await chatkit(t.baseUrl, withPayload(token, { ...payload, wf: '00000000-0000-4000-8000-000000000000' }), list);
    expect([tampered.status, tampered.body]).toEqual([401, error(401, 'token_invalid')]);
    const signing = t.app.get(SigningService);
    const withoutWf = await signing.sign({ sub: owner.id, sid: 'session' }, { audience: 'parley-chat', ttlSeconds: 60 });
    const answer = await chatkit(t.baseUrl, withoutWf.token, list);
    expect([answer.status, answer.body]).toEqual([401, error(401, 'token_invalid')]);
  });

  it('refuses a chat token living longer than 300 s, even correctly signed', async () => {
    const { owner, workflowId } = await chatter(t);
    const signing = t.app.get(SigningService);
    const long = await signing.sign({ sub: owner.id, wf: workflowId, sid: 's' }, { audience: 'parley-chat', ttlSeconds: 3600 });
    const answer = await chatkit(t.baseUrl, long.token, list);
    expect([answer.status, answer.body]).toEqual([401, error(401, 'token_invalid')]);
  });

  it('answers 403 workflow_mismatch when X-Parley-Workflow names another workflow', async () => {
    const { token, workflowId, owner } = await chatter(t);
    const second = await createWorkflow(t, owner);
    const mismatch = await chatkit(t.baseUrl, token, list, { 'x-parley-workflow': second });
    expect([mismatch.status, mismatch.body]).toEqual([403, error(403, 'workflow_mismatch')]);
    const match = await chatkit(t.baseUrl, token, list, { 'x-parley-workflow': workflowId });
    expect(match.status).toBe(200);
  });

  it('answers 404 once the workflow is deleted, and refuses nothing else about the token', async () => {
    const { token, workflowId, owner } = await chatter(t);
    await request(t.app.getHttpServer()).delete(`/api/workflows/${workflowId}`).set('Authorization', owner.auth).expect(204);
    const answer = await chatkit(t.baseUrl, token, list);
    expect([answer.status, answer.body]).toEqual([404, error(404, 'not_found')]);
  });
});

describe('CHATKIT_CANVAS_ENABLED=false', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createChatApp({ env: { CHATKIT_CANVAS_ENABLED: 'false' } });
  });
  afterAll(() => t.close());

  it('answers 403 feature_disabled for session issuance and for chat requests', async () => {
    const owner = await createOwner(t.app);
    const workflowId = await createWorkflow(t, owner);
    const session = await request(t.app.getHttpServer()).post(`/api/workflows/${workflowId}/chatkit/session`).set('Authorization', owner.auth);
    expect([session.status, session.body]).toEqual([403, error(403, 'feature_disabled')]);
    // A token minted before the switch-off (signed directly here) is refused too.
    const signed = await t.app.get(SigningService).sign({ sub: owner.id, wf: workflowId, sid: 's' }, { audience: 'parley-chat', ttlSeconds: 60 });
    const answer = await chatkit(t.baseUrl, signed.token, list);
    expect([answer.status, answer.body]).toEqual([403, error(403, 'feature_disabled')]);
  });
});
