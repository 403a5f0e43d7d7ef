import { Writable } from 'node:stream';
import request from 'supertest';
import { REFRESH_COOKIE } from '../../src/auth/auth.cookies';
import { LOG_DESTINATION } from '../../src/logging/log-destination';
import { cookieHeader, signUp } from '../auth/helpers';
import { chatkit, chatter, chatToken, createThread, input } from '../chatkit/helpers';
import { FakeOpenAI, startFakeOpenAI } from '../fakes/fake-openai-server';
import { isDelta, openStream, slowCreate } from '../operations/live-stream';
import { createServerKey, mintSession } from '../hosts/helpers';
import { createTestApp, TestApp } from '../setup/test-app';

class Capture extends Writable {
  chunks: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.chunks.push(chunk.toString());
    done();
  }
  get lines(): Record<string, unknown>[] {
    return this.chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

const SECRETS = {
  authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.SECRET-JWT-PAYLOAD.sig',
  cookie: 'parley_access=SECRET-COOKIE-VALUE; parley_oauth=SECRET-OAUTH',
  'x-parley-publish-token': 'pub_SECRETSECRETSECRETSECRETSECRETSECRETSECRET12',
  'x-parley-visitor': 'SECRET-VISITOR-TOKEN',
};

describe('JSON request logs', () => {
  const capture = new Capture();
  let t: TestApp;
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await createTestApp({
      env: { LOG_LEVEL: 'info', OPENAI_API_KEY: 'sk-test-key', OPENAI_BASE_URL: fake.baseUrl },
      override: (b) => b.overrideProvider(LOG_DESTINATION).useValue(capture),
    });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('logs JSON with the request id and redacts credentials', async () => {
    await request(t.app.getHttpServer()).get('/no-such-route').set(SECRETS).set('X-Request-Id', 'log-test-1').expect(404);
    await new Promise((r) => setImmediate(r));
    const raw = capture.chunks.join('');
    const line = capture.lines.find((l) => (l.req as { id?: string } | undefined)?.id === 'log-test-1');
    expect(line).toBeDefined();
    const headers = (line!.req as { headers: Record<string, string> }).headers;
    expect(headers.authorization).toBe('[redacted]');
    expect(headers.cookie).toBe('[redacted]');
    expect(headers['x-parley-publish-token']).toBe('[redacted]');
    expect(headers['x-parley-visitor']).toBe('[redacted]');
    for (const secret of ['SECRET-JWT-PAYLOAD', 'SECRET-COOKIE-VALUE', 'SECRET-OAUTH', 'pub_SECRET', 'SECRET-VISITOR-TOKEN']) {
      expect(raw).not.toContain(secret);
    }
    expect((line!.res as { statusCode: number }).statusCode).toBe(404);
  });

  it('carries workflow id, auth mode, principal kind and thread id on chat requests, never the token', async () => {
    const { workflowId, token } = await chatter(t);
    const { threadId } = await createThread(t.baseUrl, token, 'log fields');
    const answer = await chatkit(t.baseUrl, token, { type: 'items.list', params: { thread_id: threadId } }, { 'x-request-id': 'log-test-chat' });
    expect(answer.status).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    const chatLines = capture.lines.filter((l) => (l.req as { url?: string } | undefined)?.url === '/api/chatkit');
    const listLine = chatLines.find((l) => (l.req as { id?: string }).id === 'log-test-chat');
    expect(listLine).toMatchObject({ workflowId, threadId, authMode: 'chat', principalKind: 'chat', service: 'parley' });
    // threads.create learns its thread id from the stream it opens.
    const createLine = chatLines.find((l) => l !== listLine && l.threadId === threadId);
    expect(createLine).toMatchObject({ workflowId, authMode: 'chat', principalKind: 'chat' });
    expect(capture.chunks.join('')).not.toContain(token);
    expect(capture.chunks.join('')).not.toContain(token.split('.')[1]);
  });

  it('carries the workflow id of owner routes', async () => {
    const { owner, workflowId } = await chatter(t);
    await request(t.app.getHttpServer()).get(`/api/workflows/${workflowId}`).set('Authorization', owner.auth).set('X-Request-Id', 'log-test-owner').expect(200);
    await new Promise((r) => setImmediate(r));
    const line = capture.lines.find((l) => (l.req as { id?: string } | undefined)?.id === 'log-test-owner');
    expect(line).toMatchObject({ workflowId, authMode: 'jwt', principalKind: 'user' });
  });

  /**
   * No AsyncLocalStorage carries the request (docs/performance.md, "no-als"): code that logs while handling a request
   * is handed the request's logger. These lines come from a runner and the protocol core (through the chat context),
   * and from a service under a controller; each must carry the request id, and the chat lines the assigned fields.
   */
  it('carries the request id on service lines logged while handling a request, and on its completed line', async () => {
    const { owner } = await chatter(t);
    const hook = await request(t.app.getHttpServer())
      .post('/api/workflows')
      .set('Authorization', owner.auth)
      .send({ name: 'Unreachable hook', runner: { kind: 'webhook', url: 'http://127.0.0.1:9/hook' } })
      .expect(201);
    const workflowId = hook.body.id as string;
    await request(t.app.getHttpServer()).post(`/api/workflows/${workflowId}/webhook-secret`).set('Authorization', owner.auth).expect(201);
    const failed = await chatkit(t.baseUrl, await chatToken(t, owner, workflowId), { type: 'threads.create', params: { input: input('hello?') } }, { 'x-request-id': 'log-test-service' });
    expect(failed.events?.some((e) => e.type === 'error')).toBe(true);
    const threadId = failed.events![0].thread.id as string;

    const session = await signUp(t.app, 'log-refresh');
    const refresh = () => request(t.app.getHttpServer()).post('/api/auth/refresh').set('Origin', 'http://localhost:3000').set('Cookie', cookieHeader(session.cookies, REFRESH_COOKIE));
    await refresh().expect(200);
    await refresh().set('X-Request-Id', 'log-test-reuse').expect(401);
    await new Promise((r) => setTimeout(r, 20));

    const of = (id: string) => capture.lines.filter((l) => (l.req as { id?: string } | undefined)?.id === id);
    const chat = of('log-test-service');
    const assigned = { workflowId, threadId, authMode: 'chat', principalKind: 'chat' };
    // The runner starts before the new thread's id reaches the logs (threads.create learns it from its stream).
    expect(chat.find((l) => l.context === 'Runners')).toMatchObject({ workflowId, authMode: 'chat', principalKind: 'chat', msg: 'Webhook engine request failed', level: 40 });
    expect(chat.find((l) => l.context === 'ChatKit')).toMatchObject({ ...assigned, msg: 'ChatKit stream error reported in-band', level: 40 });
    expect(chat.find((l) => l.msg === 'request completed')).toMatchObject({ ...assigned, res: { statusCode: 200 } });
    // An open stream lets go of the request's parsing state (chatkit.service.ts releaseRequestState), not of what its
    // completed line shows: method, path and the (redacted) headers.
    expect(chat.find((l) => l.msg === 'request completed')).toMatchObject({
      req: { method: 'POST', url: '/api/chatkit', headers: { authorization: '[redacted]', 'x-request-id': 'log-test-service' } },
    });
    // Nothing else logged about this chat went out without the request.
    const unscoped = capture.lines.filter((l) => !l.req && (l.context === 'Runners' || l.context === 'ChatKit'));
    expect(unscoped).toEqual([]);

    const reuse = of('log-test-reuse');
    expect(reuse.find((l) => l.context === 'RefreshTokens')).toMatchObject({ level: 40, msg: expect.stringContaining('presented again') });
    expect(reuse.find((l) => l.msg === 'request completed')).toMatchObject({ res: { statusCode: 401 } });
  });

  it('carries the revoking request id on the line of the live streams a revocation ends', async () => {
    const { owner, workflowId } = await chatter(t, { kind: 'openai', provider: 'openai', model: 'gpt-test' });
    const published = await request(t.app.getHttpServer()).post(`/api/workflows/${workflowId}/publish`).set('Authorization', owner.auth).send({}).expect(201);
    const stream = await openStream(t.baseUrl, { 'x-parley-publish-token': published.body.publishToken as string }, slowCreate(100, 100));
    await stream.until(isDelta);
    await request(t.app.getHttpServer()).post(`/api/workflows/${workflowId}/publish/revoke`).set('Authorization', owner.auth).set('X-Request-Id', 'log-test-revoke').send({}).expect(200);
    await stream.ended;
    await new Promise((r) => setTimeout(r, 20));
    const ended = capture.lines.find((l) => l.context === 'ChatStreams' && l.workflowId === workflowId);
    expect(ended).toMatchObject({ req: { id: 'log-test-revoke' }, ended: 1, msg: 'Ended 1 public chat stream(s): workflow revoked.' });
  });

  it('never logs or echoes a server key, a client secret, a webhook secret or a webhook header value', async () => {
    const { owner, workflowId } = await chatter(t);
    const http = () => request(t.app.getHttpServer());
    const { key } = await createServerKey(t, owner, workflowId);
    const session = await mintSession(t, key, workflowId, { id: 'logged-user', email: 'logged@example.com' });
    const { secret } = (await http().post(`/api/workflows/${workflowId}/webhook-secret`).set('Authorization', owner.auth).expect(201)).body as { secret: string };
    const hook = await http()
      .post('/api/workflows')
      .set('Authorization', owner.auth)
      .send({ name: 'Hook', runner: { kind: 'webhook', url: 'http://127.0.0.1:9/hook', headers: { Authorization: 'Bearer HOOK-HEADER-SECRET' } } })
      .expect(201);
    await createThread(t.baseUrl, session.client_secret, 'logged chat');
    // Failures carry no secret in their error bodies either.
    const bodies = [
      (await http().post(`/api/workflows/${workflowId}/end-user-sessions`).set('Authorization', `Bearer ${key}`).set('Origin', 'https://evil.example').send({ user: { id: 'x' } })).text,
      (await http().post(`/api/workflows/${hook.body.id}/end-user-sessions`).set('Authorization', `Bearer ${key}`).send({ user: { id: 'x' } })).text,
      (await http().get(`/api/workflows/${workflowId}`).set('Authorization', `Bearer ${session.client_secret}`)).text,
      (await chatkit(t.baseUrl, await chatToken(t, owner, hook.body.id), { type: 'threads.create', params: { input: { content: [{ type: 'input_text', text: 'hi' }], attachments: [], inference_options: {} } } })).text,
    ];
    await http().delete(`/api/workflows/${workflowId}/end-user-sessions/${session.session_id}`).set('Authorization', owner.auth).expect(204);
    bodies.push((await chatkit(t.baseUrl, session.client_secret, { type: 'threads.list', params: {} })).text);
    await new Promise((r) => setTimeout(r, 20));
    const logs = capture.chunks.join('');
    for (const needle of [key, key.slice(4), session.client_secret.split('.')[1], session.client_secret.split('.')[2], secret, secret.slice(6), 'HOOK-HEADER-SECRET']) {
      expect(logs).not.toContain(needle);
      for (const body of bodies) expect(body).not.toContain(needle);
    }
    // Nothing secret in a logged URL: the routes carry ids only.
    const urls = capture.lines.map((l) => (l.req as { url?: string } | undefined)?.url ?? '').filter(Boolean);
    expect(urls.some((u) => u.includes('/end-user-sessions'))).toBe(true);
    for (const url of urls) expect(url).not.toMatch(/wsk_|whsec_|eyJ/);
    const mintLine = capture.lines.find((l) => (l.req as { url?: string } | undefined)?.url === `/api/workflows/${workflowId}/end-user-sessions`);
    expect(mintLine).toMatchObject({ authMode: 'serverKey', principalKind: 'serverKey', workflowId });
  });
});

