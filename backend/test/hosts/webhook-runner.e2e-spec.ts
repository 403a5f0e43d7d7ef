import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify } from 'jose';
import request from 'supertest';
import { chatkit, chatToken, createChatApp } from '../chatkit/helpers';
import { findInDatabase } from '../factories/db-scan';
import { createOwner, Owner } from '../factories/owners';
import { isDelta, openStream } from '../operations/live-stream';
import type { TestApp } from '../setup/test-app';
import { createServerKey, EngineProcess, mintSession, startEngine } from './helpers';

const say = (text: string) => ({ type: 'threads.create', params: { input: { content: [{ type: 'input_text', text }], attachments: [], inference_options: {} } } });
const textOf = (events: { type: string; update?: { type: string; delta?: string } }[]) =>
  events.filter((e) => e.type === 'thread.item.updated' && e.update?.type === 'assistant_message.content_part.text_delta').map((e) => e.update!.delta).join('');
const lastError = (events: { type: string }[]) => events.filter((e) => e.type === 'error').pop();

describe('webhook runner (external engines)', () => {
  let t: TestApp;
  let owner: Owner;
  let workflowId: string;
  let secret: string;
  let engine: EngineProcess;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await createChatApp({ env: { OUTBOUND_MAX_RESPONSE_BYTES: '200000' } });
    owner = await createOwner(t.app, 'engine-owner');
    // The workflow first (placeholder URL), then its secret, then the engine configured with it.
    const created = await http()
      .post('/api/workflows')
      .set('Authorization', owner.auth)
      .send({ name: 'Engine', runner: { kind: 'webhook', url: 'http://127.0.0.1:9/parley', headers: { Authorization: 'Bearer engine-token-SECRET' }, timeoutMs: 1500 } })
      .expect(201);
    workflowId = created.body.id;
    const made = await http().post(`/api/workflows/${workflowId}/webhook-secret`).set('Authorization', owner.auth).expect(201);
    secret = made.body.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    engine = await startEngine(secret);
    await http()
      .patch(`/api/workflows/${workflowId}`)
      .set('Authorization', owner.auth)
      .send({ runner: { kind: 'webhook', url: engine.url, headers: { Authorization: '***' }, timeoutMs: 1500 } })
      .expect(200);
  });
  afterAll(async () => {
    await engine?.close();
    await t?.close();
  });

  it('stores header values and the signing secret encrypted, shows "***", and reports the secret without revealing it', async () => {
    const wf = await http().get(`/api/workflows/${workflowId}`).set('Authorization', owner.auth).expect(200);
    expect(wf.body.runner).toEqual({ kind: 'webhook', url: engine.url, headers: { Authorization: '***' }, timeoutMs: 1500 });
    expect(await findInDatabase(t.dataSource, 'engine-token-SECRET')).toEqual([]);
    expect(await findInDatabase(t.dataSource, secret)).toEqual([]);
    const status = await http().get(`/api/workflows/${workflowId}/webhook-secret`).set('Authorization', owner.auth).expect(200);
    expect(status.body).toEqual({ configured: true, createdAt: expect.any(String), rotatedAt: null });
    // "***" for a header that was never stored is refused.
    const bad = await http()
      .patch(`/api/workflows/${workflowId}`)
      .set('Authorization', owner.auth)
      .send({ runner: { kind: 'webhook', url: engine.url, headers: { 'X-Other': '***' } } })
      .expect(400);
    expect(bad.body.code).toBe('validation_failed');
    const reserved = await http()
      .patch(`/api/workflows/${workflowId}`)
      .set('Authorization', owner.auth)
      .send({ runner: { kind: 'webhook', url: engine.url, headers: { 'X-Parley-Signature': 'forged' } } })
      .expect(400);
    expect(reserved.body.details.fields).toHaveProperty(['runner.headers.X-Parley-Signature']);
  });

  it('signs each turn; the example engine verifies it and streams tasks and text that become ChatKit events', async () => {
    const key = (await createServerKey(t, owner, workflowId)).key;
    const session = await mintSession(t, key, workflowId, { id: 'ada', name: 'Ada' });
    const answer = await chatkit(t.baseUrl, session.client_secret, say('hello engine'));
    expect(answer.status).toBe(200);
    const events = answer.events!;
    expect(textOf(events)).toBe('Hello Ada, you said: hello engine');
    const workflowAdded = events.find((e: { type: string; item?: { type: string } }) => e.type === 'thread.item.added' && e.item?.type === 'workflow');
    expect(workflowAdded.item.workflow).toEqual({ type: 'custom', tasks: [{ type: 'custom', title: 'Reading your message', status_indicator: 'loading' }], expanded: true });
    expect(events).toContainEqual({ type: 'thread.item.updated', item_id: workflowAdded.item.id, update: { type: 'workflow.task.updated', task_index: 0, task: { type: 'custom', title: 'Reading your message', status_indicator: 'complete' } } });
    const done = events.filter((e: { type: string }) => e.type === 'thread.item.done').map((e: { item: { type: string } }) => e.item.type);
    expect(done).toEqual(['user_message', 'workflow', 'assistant_message']);

    const [entry] = (await engine.log()).slice(-1);
    expect(entry).toMatchObject({ verdict: 'ok', identity: true, user: `${workflowId}:ada`, kind: 'host', text: 'hello engine', authorization: 'Bearer engine-token-SECRET' });

    // A second turn sends the history.
    const threadId = events[0].thread.id;
    const next = await chatkit(t.baseUrl, session.client_secret, { type: 'threads.add_user_message', params: { thread_id: threadId, input: { content: [{ type: 'input_text', text: '/json' }], attachments: [], inference_options: {} } } });
    expect(textOf(next.events!)).toBe('Hello Ada, you said: /json');
    const [second] = (await engine.log()).slice(-1);
    expect(second.historyLength).toBe(2);
  });

  it('NDJSON answers work too', async () => {
    const answer = await chatkit(t.baseUrl, await chatToken(t, owner, workflowId), say('/ndjson'));
    expect(textOf(answer.events!).trim()).toMatch(/^Hello \S+, you said: \/ndjson$/);
    expect(lastError(answer.events!)).toBeUndefined();
  });

  it('the engine rejects a replayed request and a forged or stale signature', async () => {
    await chatkit(t.baseUrl, await chatToken(t, owner, workflowId), say('capture me'));
    // Capture what Parley sent by standing a recorder in front of the engine for one turn.
    const captured: { body: string; headers: Record<string, string> }[] = [];
    const recorder: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        captured.push({ body, headers: req.headers as Record<string, string> });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ text: 'recorded' }));
      });
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    const recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}/parley`;
    try {
      await http().patch(`/api/workflows/${workflowId}`).set('Authorization', owner.auth).send({ runner: { kind: 'webhook', url: recorderUrl, headers: { Authorization: '***' } } }).expect(200);
      await new Promise((r) => setTimeout(r, 1100)); // the gateway reuses a workflow read for 1 s
      const answer = await chatkit(t.baseUrl, await chatToken(t, owner, workflowId), say('to be replayed'));
      expect(textOf(answer.events!)).toBe('recorded');
    } finally {
      recorder.closeAllConnections();
      recorder.close();
      await http().patch(`/api/workflows/${workflowId}`).set('Authorization', owner.auth).send({ runner: { kind: 'webhook', url: engine.url, headers: { Authorization: '***' }, timeoutMs: 1500 } }).expect(200);
      await new Promise((r) => setTimeout(r, 1100));
    }
    const [{ body, headers }] = captured;
    // X-Parley-Identity: an ES256 JWT for the engine's origin, verifiable against Parley's JWKS, with the body's claims.
    const jwks = createLocalJWKSet((await (await fetch(`${t.baseUrl}/.well-known/jwks.json`)).json()) as Parameters<typeof createLocalJWKSet>[0]);
    const { payload } = await jwtVerify(headers['x-parley-identity'], jwks, { audience: new URL(recorderUrl).origin, algorithms: ['ES256'] });
    const sent = JSON.parse(body) as { identity: Record<string, unknown>; history: unknown[]; thread: { id: string } };
    expect(payload).toMatchObject({ ...sent.identity, sub: owner.id, kind: 'chat', wf: workflowId, thr: sent.thread.id });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(60);
    const send = (signature: string, raw = body) =>
      fetch(engine.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-parley-signature': signature }, body: raw });
    // The genuine request is accepted once…
    expect((await send(headers['x-parley-signature'])).status).toBe(200);
    // …and refused when replayed.
    const replay = await send(headers['x-parley-signature']);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ error: 'signature replayed' });
    // A tampered body, a stale timestamp and garbage are refused.
    expect(await (await send(headers['x-parley-signature'], body.replace('to be replayed', 'tampered'))).json()).toEqual({ error: 'signature mismatch' });
    const v1 = headers['x-parley-signature'].split('v1=')[1];
    expect(await (await send(`t=${Math.floor(Date.now() / 1000) - 301},v1=${v1}`)).json()).toEqual({ error: 'signature expired' });
    expect(await (await send('nonsense')).json()).toEqual({ error: 'signature malformed' });
  });

  it('a 500 from the engine, a malformed answer, a timeout and an oversized answer are safe, retryable error events', async () => {
    const token = await chatToken(t, owner, workflowId);
    const cases: [string, RegExp][] = [
      ['/status 500', /returned an error \(HTTP 500\)/],
      ['/malformed', /could not read/],
      ['/stall', /did not respond in time/],
      ['/huge 1000000', /too large/],
    ];
    for (const [text, message] of cases) {
      const answer = await chatkit(t.baseUrl, token, say(text));
      expect(answer.status).toBe(200);
      expect(lastError(answer.events!)).toEqual({ type: 'error', code: 'custom', message: expect.stringMatching(message), allow_retry: true });
      expect(answer.text).not.toContain('ENGINE_INTERNAL_DETAIL');
      expect(answer.text).not.toContain('hunter2');
    }
  });

  it('without a signing secret the turn fails with a clear, non-retryable notice and nothing is sent', async () => {
    const other = await http().post('/api/workflows').set('Authorization', owner.auth).send({ name: 'No secret', runner: { kind: 'webhook', url: engine.url } }).expect(201);
    const before = (await engine.log()).length;
    const answer = await chatkit(t.baseUrl, await chatToken(t, owner, other.body.id), say('hi'));
    expect(lastError(answer.events!)).toEqual({ type: 'error', code: 'custom', message: expect.stringContaining('signing secret'), allow_retry: false });
    expect((await engine.log()).length).toBe(before);
  });

  it('rotating the secret: the engine with the old secret refuses, so the turn errors safely', async () => {
    const other = await http().post('/api/workflows').set('Authorization', owner.auth).send({ name: 'Rotating', runner: { kind: 'webhook', url: engine.url } }).expect(201);
    // This workflow's secret is not the engine's: the engine answers 401, the chat shows a safe error.
    await http().post(`/api/workflows/${other.body.id}/webhook-secret`).set('Authorization', owner.auth).expect(201);
    const answer = await chatkit(t.baseUrl, await chatToken(t, owner, other.body.id), say('hi'));
    expect(lastError(answer.events!)).toMatchObject({ message: expect.stringContaining('HTTP 401'), allow_retry: true });
    const [entry] = (await engine.log()).slice(-1);
    expect(entry.verdict).toBe('mismatch');
  });

  it('cancelling the chat stream closes the upstream request', async () => {
    const token = await chatToken(t, owner, workflowId);
    const controller = new AbortController();
    const res = await fetch(`${t.baseUrl}/api/chatkit`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(say('/slow 100 50')), signal: controller.signal });
    const reader = res.body!.getReader();
    let seen = '';
    while (!seen.includes('text_delta')) seen += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    let entry;
    for (let i = 0; i < 100; i += 1) {
      [entry] = (await engine.log()).filter((e) => e.text === '/slow 100 50');
      if (entry?.aborted) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(entry).toMatchObject({ verdict: 'ok', aborted: true });
  });

  it('an owner-revoked host session ends a live webhook stream too', async () => {
    const key = (await createServerKey(t, owner, workflowId)).key;
    const session = await mintSession(t, key, workflowId, { id: 'streamer' });
    const live = await openStream(t.baseUrl, { authorization: `Bearer ${session.client_secret}` }, say('/slow 100 100'));
    await live.until(isDelta);
    await http().delete(`/api/workflows/${workflowId}/end-user-sessions/${session.session_id}`).set('Authorization', owner.auth).expect(204);
    await live.ended;
    expect(live.events[live.events.length - 1]).toMatchObject({ type: 'error', allow_retry: false });
  });

  it('the URL is checked by the outbound policy when private targets are not allowed', async () => {
    const strict = await createChatApp({ env: { OUTBOUND_ALLOW_PRIVATE: 'false' }, keepData: true });
    try {
      const res = await request(strict.app.getHttpServer())
        .post('/api/workflows')
        .set('Authorization', owner.auth)
        .send({ name: 'Private', runner: { kind: 'webhook', url: 'http://169.254.169.254/latest' } })
        .expect(400);
      expect(res.body).toMatchObject({ code: 'outbound_url_refused', details: { fields: { 'runner.url': expect.any(Array) } } });
      // A stored private URL is refused again when the turn runs.
      const answer = await chatkit(strict.baseUrl, await chatToken(strict, owner, workflowId), say('hi'));
      expect(lastError(answer.events!)).toMatchObject({ message: expect.stringContaining('not allowed'), allow_retry: true });
    } finally {
      await strict.close();
    }
  });
});
