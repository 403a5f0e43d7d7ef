import request from 'supertest';
import { SigningService } from '../../src/auth/keys/signing.service';
import { VISITOR_TOKEN_AUDIENCE } from '../../src/chatkit/public/visitor-tokens.service';
import { createOwner, Owner } from '../factories/owners';
import { FakeOpenAI, startFakeOpenAI } from '../fakes/fake-openai-server';
import { Browser, DevIdp, PUBLIC_ORIGIN, signInAtProvider, startDevIdp } from '../oidc/helpers';
import type { TestApp } from '../setup/test-app';
import { ChatKitAnswer, chatkit, chatToken, createChatApp, createWorkflow, input } from './helpers';

/*
 * The security matrix of POST /api/chatkit: every auth mode (canvas chat JWT, share link +
 * visitor, share link + OIDC session for requireLogin) against wrong workflow, expired, revoked,
 * rotated, tampered and missing credentials, each with its exact status and code.
 */

const error = (statusCode: number, code: string) => ({ statusCode, code, message: expect.any(String), requestId: expect.any(String) });
const list = { type: 'threads.list', params: {} };
const create = (text: string) => ({ type: 'threads.create', params: { input: { content: [{ type: 'input_text', text }] } } });
const getThread = (threadId: string) => ({ type: 'threads.get_by_id', params: { thread_id: threadId } });
const EMBED = 'https://embed.example.com';

/** Flips one character in the middle of a string (a tampered signature or token). */
function tamper(token: string): string {
  const i = token.length - 10;
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

describe('POST /api/chatkit: public access (share links, visitors, requireLogin) and the security matrix', () => {
  let idp: DevIdp;
  let fake: FakeOpenAI;
  let t: TestApp;
  let owner: Owner;
  let alice: DevIdp['users'][number];
  let bob: DevIdp['users'][number];
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    idp = await startDevIdp();
    fake = await startFakeOpenAI();
    alice = idp.users.find((u) => u.email === 'alice@example.com')!;
    bob = idp.users.find((u) => u.email !== 'alice@example.com')!;
    t = await createChatApp({ env: { ...idp.env, TRUST_PROXY: '1', OPENAI_API_KEY: 'sk-server-openai', OPENAI_BASE_URL: fake.baseUrl } });
    owner = await createOwner(t.app, 'publisher');
  }, 60000);
  afterAll(async () => {
    await t?.close();
    await idp?.stop();
    await fake?.close();
  });

  async function published(options: { requireLogin?: boolean; allowedOrigins?: string[] } = {}): Promise<{ workflowId: string; token: string }> {
    const workflowId = await createWorkflow(t, owner);
    if (options.allowedOrigins) {
      await http().patch(`/api/workflows/${workflowId}`).set('Authorization', owner.auth).send({ allowedOrigins: options.allowedOrigins }).expect(200);
    }
    const res = await http().post(`/api/workflows/${workflowId}/publish`).set('Authorization', owner.auth).send({ requireLogin: options.requireLogin ?? false }).expect(201);
    return { workflowId, token: res.body.publishToken as string };
  }

  const pub = (publishToken: string, body: unknown, headers: Record<string, string> = {}): Promise<ChatKitAnswer> =>
    chatkit(t.baseUrl, null, body, { 'x-parley-publish-token': publishToken, ...headers });

  /** A visitor's first request: returns their visitor token and the thread they created. */
  async function newVisitor(publishToken: string, text = 'hi'): Promise<{ visitor: string; threadId: string }> {
    const answer = await pub(publishToken, create(text));
    expect(answer.status).toBe(200);
    const visitor = answer.headers.get('x-parley-visitor');
    expect(visitor).toEqual(expect.any(String));
    return { visitor: visitor!, threadId: answer.events![0].thread.id as string };
  }

  const threadIds = (answer: ChatKitAnswer): string[] => (answer.body.data as { id: string }[]).map((th) => th.id);

  describe('share link + visitor', () => {
    let link: { workflowId: string; token: string };
    beforeAll(async () => {
      link = await published();
    });

    it('mints a visitor for a first request and returns the token in X-Parley-Visitor; the token is bound to the workflow', async () => {
      const { visitor } = await newVisitor(link.token);
      const claims = await t.app.get(SigningService).verify(visitor, { audience: VISITOR_TOKEN_AUDIENCE });
      expect(claims.sub).toMatch(/^vis_[A-Za-z0-9_-]{22}$/);
      expect(claims.wf).toBe(link.workflowId);
      expect(claims.exp - claims.iat).toBe(30 * 86400);
    });

    it('a visitor sees their own threads and keeps their token (echoed back); another visitor sees nothing of theirs', async () => {
      const a = await newVisitor(link.token, 'from A');
      const again = await pub(link.token, list, { 'x-parley-visitor': a.visitor });
      expect(again.status).toBe(200);
      expect(again.headers.get('x-parley-visitor')).toBe(a.visitor);
      expect(threadIds(again)).toEqual([a.threadId]);

      const b = await newVisitor(link.token, 'from B');
      expect(b.visitor).not.toBe(a.visitor);
      // B reading A's thread by id: exactly like a missing thread.
      const stolen = await pub(link.token, getThread(a.threadId), { 'x-parley-visitor': b.visitor });
      expect([stolen.status, stolen.body]).toEqual([404, error(404, 'not_found')]);
      const bList = await pub(link.token, list, { 'x-parley-visitor': b.visitor });
      expect(threadIds(bList)).toEqual([b.threadId]);
      // A continues their own thread.
      const more = await pub(link.token, { type: 'threads.add_user_message', params: { thread_id: a.threadId, input: input('again') } }, { 'x-parley-visitor': a.visitor });
      expect(more.status).toBe(200);
    });

    it("the owner's canvas chats and visitors never see each other's threads", async () => {
      const canvas = await chatToken(t, owner, link.workflowId);
      const ownerThread = (await chatkit(t.baseUrl, canvas, create('owner'))).events![0].thread.id as string;
      const v = await newVisitor(link.token);
      expect((await pub(link.token, getThread(ownerThread), { 'x-parley-visitor': v.visitor })).status).toBe(404);
      expect((await chatkit(t.baseUrl, canvas, getThread(v.threadId))).status).toBe(404);
    });

    it('a visitor token used on another workflow is a new visitor there (sees nothing) and gets a token for that workflow', async () => {
      const a = await newVisitor(link.token);
      const other = await published();
      const there = await pub(other.token, list, { 'x-parley-visitor': a.visitor });
      expect(there.status).toBe(200);
      expect(there.body.data).toEqual([]);
      const minted = there.headers.get('x-parley-visitor')!;
      expect(minted).not.toBe(a.visitor);
      const claims = await t.app.get(SigningService).verify(minted, { audience: VISITOR_TOKEN_AUDIENCE });
      expect(claims.wf).toBe(other.workflowId);
      // And the original token still works on its own workflow.
      expect(threadIds(await pub(link.token, list, { 'x-parley-visitor': a.visitor }))).toEqual([a.threadId]);
    });

    it('a tampered, expired or foreign-audience visitor token is a new visitor, never an error and never the old identity', async () => {
      const a = await newVisitor(link.token);
      const signing = t.app.get(SigningService);
      const realNow = Date.now();
      const spy = jest.spyOn(Date, 'now').mockReturnValue(realNow - 31 * 86400 * 1000);
      const expired = (await signing.sign({ sub: 'vis_AAAAAAAAAAAAAAAAAAAAAA', wf: link.workflowId }, { audience: VISITOR_TOKEN_AUDIENCE, ttlSeconds: 30 * 86400, mayOutliveKey: true })).token;
      spy.mockRestore();
      const chatAudience = (await signing.sign({ sub: a.threadId, wf: link.workflowId }, { audience: 'parley-chat', ttlSeconds: 60 })).token;
      for (const bad of [tamper(a.visitor), expired, chatAudience, 'garbage']) {
        const answer = await pub(link.token, list, { 'x-parley-visitor': bad });
        expect([answer.status, answer.body.data]).toEqual([200, []]);
        expect(answer.headers.get('x-parley-visitor')).not.toBe(bad);
      }
    });

    it('a spoofed X-Forwarded-For changes nothing about who the visitor is', async () => {
      const a = await newVisitor(link.token);
      const spoofed = await pub(link.token, list, { 'x-parley-visitor': a.visitor, 'x-forwarded-for': '203.0.113.77' });
      expect(threadIds(spoofed)).toEqual([a.threadId]);
      // The same (spoofed) address without the visitor token is just another new visitor.
      const sameIp = await pub(link.token, list, { 'x-forwarded-for': '203.0.113.77' });
      expect(sameIp.body.data).toEqual([]);
    });
  });

  describe('the matrix: share link (public mode)', () => {
    it('missing token → 401 unauthenticated; malformed or unknown token → 401 publish_token_invalid', async () => {
      const missing = await chatkit(t.baseUrl, null, list);
      expect([missing.status, missing.body]).toEqual([401, error(401, 'unauthenticated')]);
      for (const bad of ['pub_short', `pub_${'x'.repeat(43)}`, '']) {
        const answer = await pub(bad, list);
        expect([answer.status, answer.body]).toEqual([401, error(401, 'publish_token_invalid')]);
      }
    });

    it('tampered token → 401 publish_token_invalid', async () => {
      const { token } = await published();
      const answer = await pub(tamper(token), list);
      expect([answer.status, answer.body]).toEqual([401, error(401, 'publish_token_invalid')]);
    });

    it('wrong workflow (X-Parley-Workflow) → 403 workflow_mismatch; the right one passes', async () => {
      const { workflowId, token } = await published();
      const other = await createWorkflow(t, owner);
      const wrong = await pub(token, list, { 'x-parley-workflow': other });
      expect([wrong.status, wrong.body]).toEqual([403, error(403, 'workflow_mismatch')]);
      expect((await pub(token, list, { 'x-parley-workflow': workflowId.toUpperCase() })).status).toBe(200);
    });

    it('rotated → 401 publish_token_rotated for the old token at once; a stream in flight finishes; the new token works', async () => {
      const { workflowId, token } = await published();
      const { visitor, threadId } = await newVisitor(token);
      const rotated = await http().post(`/api/workflows/${workflowId}/publish/rotate`).set('Authorization', owner.auth).send({}).expect(200);
      const old = await pub(token, list, { 'x-parley-visitor': visitor });
      expect([old.status, old.body]).toEqual([401, error(401, 'publish_token_rotated')]);
      // The visitor keeps their history through the new link (same workflow).
      expect(threadIds(await pub(rotated.body.publishToken, list, { 'x-parley-visitor': visitor }))).toEqual([threadId]);
    });

    it('a stream already in flight when the link is rotated runs to completion', async () => {
      const owner2 = await createOwner(t.app, 'slow');
      const res = await http().post('/api/workflows').set('Authorization', owner2.auth).send({ name: 'Slow', runner: { kind: 'openai', provider: 'openai', model: 'fake-model' } }).expect(201);
      const workflowId = res.body.id as string;
      const token = (await http().post(`/api/workflows/${workflowId}/publish`).set('Authorization', owner2.auth).send({}).expect(201)).body.publishToken as string;
      const inFlight = pub(token, create('/slow 60 8'));
      await new Promise((resolve) => setTimeout(resolve, 150));
      await http().post(`/api/workflows/${workflowId}/publish/rotate`).set('Authorization', owner2.auth).send({}).expect(200);
      expect((await pub(token, list)).body.code).toBe('publish_token_rotated');
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      const done = answer.events!.filter((e) => e.type === 'thread.item.done').map((e) => e.item);
      const assistant = done.find((item) => item.type === 'assistant_message');
      expect(JSON.stringify(assistant.content)).toContain('w8');
    });

    it('revoked → 403 workflow_not_published, for the current and older tokens alike', async () => {
      const { workflowId, token } = await published();
      const rotated = await http().post(`/api/workflows/${workflowId}/publish/rotate`).set('Authorization', owner.auth).send({}).expect(200);
      await http().post(`/api/workflows/${workflowId}/publish/revoke`).set('Authorization', owner.auth).send({}).expect(200);
      for (const tok of [rotated.body.publishToken as string, token]) {
        const answer = await pub(tok, list);
        expect([answer.status, answer.body]).toEqual([403, error(403, 'workflow_not_published')]);
      }
    });

    it('expired: a visitor token past its lifetime is a new visitor (covered above); publishing switched off → 403 feature_disabled', async () => {
      const { token } = await published();
      const off = await createChatApp({ env: { CHATKIT_PUBLISH_ENABLED: 'false' }, keepData: true });
      try {
        const answer = await chatkit(off.baseUrl, null, list, { 'x-parley-publish-token': token });
        expect([answer.status, answer.body]).toEqual([403, error(403, 'feature_disabled')]);
      } finally {
        await off.close();
      }
    });
  });

  describe('allowed origins', () => {
    let link: { workflowId: string; token: string };
    beforeAll(async () => {
      link = await published({ allowedOrigins: [EMBED] });
    });

    it('a listed Origin passes and gets CORS headers for itself (with X-Parley-Visitor exposed)', async () => {
      const answer = await pub(link.token, list, { origin: EMBED });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBe(EMBED);
      expect(answer.headers.get('access-control-expose-headers')).toContain('X-Parley-Visitor');
    });

    it('another Origin → 403 origin_not_allowed, readable by that page (CORS without credentials) so the widget can say why', async () => {
      const answer = await pub(link.token, list, { origin: 'https://evil.example.com' });
      expect([answer.status, answer.body]).toEqual([403, error(403, 'origin_not_allowed')]);
      expect(answer.headers.get('access-control-allow-origin')).toBe('https://evil.example.com');
      expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
      expect(answer.headers.get('access-control-expose-headers')).not.toContain('X-Parley-Visitor');
      expect(answer.headers.get('x-parley-visitor')).toBeNull();
    });

    it("Parley's own public origin (the share page) is always allowed, even when only an embed is listed", async () => {
      const answer = await pub(link.token, list, { origin: PUBLIC_ORIGIN });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBe(PUBLIC_ORIGIN);
      expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
    });

    it('no Origin at all → 403 origin_not_allowed (fail closed)', async () => {
      const answer = await pub(link.token, list);
      expect([answer.status, answer.body]).toEqual([403, error(403, 'origin_not_allowed')]);
    });

    it('the owner canvas chat (chat JWT) is not subject to the public allowlist', async () => {
      const token = await chatToken(t, owner, link.workflowId);
      expect((await chatkit(t.baseUrl, token, list)).status).toBe(200);
    });

    it('preflight answers any origin with the ChatKit headers; real responses without allowedOrigins follow the global allowlist', async () => {
      const preflight = await fetch(`${t.baseUrl}/api/chatkit`, {
        method: 'OPTIONS',
        headers: { origin: 'https://anyone.example.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-parley-publish-token,content-type' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://anyone.example.org');
      const allowHeaders = preflight.headers.get('access-control-allow-headers')!;
      for (const h of ['Authorization', 'Content-Type', 'X-Parley-Publish-Token', 'X-Parley-Visitor', 'X-Parley-Workflow']) expect(allowHeaders).toContain(h);
      const uploads = await fetch(`${t.baseUrl}/api/chatkit/uploads/x`, { method: 'OPTIONS', headers: { origin: 'https://anyone.example.org', 'access-control-request-method': 'PUT' } });
      expect(uploads.headers.get('access-control-allow-origin')).toBe('https://anyone.example.org');

      const open = await published();
      const stranger = await pub(open.token, list, { origin: 'https://anyone.example.org' });
      expect(stranger.status).toBe(200);
      expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
      const home = await pub(open.token, list, { origin: PUBLIC_ORIGIN });
      expect(home.headers.get('access-control-allow-origin')).toBe(PUBLIC_ORIGIN);
      expect(home.headers.get('access-control-expose-headers')).toContain('X-Parley-Visitor');
    });
  });

  describe('requireLogin (share link + OIDC session)', () => {
    let link: { workflowId: string; token: string };
    beforeAll(async () => {
      link = await published({ requireLogin: true });
    });

    async function signedIn(user: { email: string; password: string }): Promise<string> {
      const browser = new Browser(t.baseUrl);
      const callbackUrl = await signInAtProvider(browser, `${PUBLIC_ORIGIN}/api/auth/oidc/login?returnTo=${encodeURIComponent(`/chat/${link.workflowId}`)}`, user);
      await browser.request(callbackUrl);
      return browser.cookie('parley_oauth')!.value;
    }
    const asUser = (cookie: string, body: unknown, headers: Record<string, string> = {}) =>
      pub(link.token, body, { cookie: `parley_oauth=${cookie}`, origin: PUBLIC_ORIGIN, ...headers });

    it('missing session → 401 login_required with a loginUrl back to the page (Referer) or the public page', async () => {
      const plain = await pub(link.token, list);
      expect([plain.status, plain.body]).toEqual([
        401,
        { ...error(401, 'login_required'), details: { loginUrl: `/api/auth/oidc/login?returnTo=${encodeURIComponent(`/chat/${link.workflowId}`)}` } },
      ]);
      expect(plain.headers.get('x-parley-visitor')).toBeNull();
      const fromPage = await pub(link.token, list, { referer: `${PUBLIC_ORIGIN}/chat/${link.workflowId}?lang=de` });
      expect(fromPage.body.details.loginUrl).toBe(`/api/auth/oidc/login?returnTo=${encodeURIComponent(`/chat/${link.workflowId}?lang=de`)}`);
      const foreign = await pub(link.token, list, { referer: 'https://evil.example.com/x' });
      expect(foreign.body.details.loginUrl).toBe(`/api/auth/oidc/login?returnTo=${encodeURIComponent(`/chat/${link.workflowId}`)}`);
    });

    it('with a session it works, and history is per OIDC subject (follows the person, not the browser)', async () => {
      const aliceLaptop = await signedIn(alice);
      const created = await asUser(aliceLaptop, create('from alice'));
      expect(created.status).toBe(200);
      const threadId = created.events![0].thread.id as string;
      // Alice on another device: a new session, the same subject, the same history.
      const alicePhone = await signedIn(alice);
      expect(alicePhone).not.toBe(aliceLaptop);
      expect(threadIds(await asUser(alicePhone, list))).toEqual([threadId]);
      // Bob sees none of it.
      const bobs = await signedIn(bob);
      expect((await asUser(bobs, list)).body.data).toEqual([]);
      expect((await asUser(bobs, getThread(threadId))).status).toBe(404);
      // A visitor token does not stand in for the sign-in.
      const v = await pub((await published()).token, list);
      const asVisitor = await pub(link.token, list, { 'x-parley-visitor': v.headers.get('x-parley-visitor')! });
      expect([asVisitor.status, asVisitor.body.code]).toEqual([401, 'login_required']);
    });

    it('tampered, expired or ended session → 401 login_required', async () => {
      const cookie = await signedIn(alice);
      expect((await asUser(tamper(cookie), list)).body.code).toBe('login_required');
      const ended = await signedIn(alice);
      await fetch(`${t.baseUrl}/api/auth/session/logout`, { method: 'POST', headers: { cookie: `parley_oauth=${ended}`, origin: PUBLIC_ORIGIN } });
      const afterLogout = await asUser(ended, list);
      expect([afterLogout.status, afterLogout.body.code]).toEqual([401, 'login_required']);
      const expiring = await signedIn(alice);
      await t.dataSource.query(
        `UPDATE oauth_sessions SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 minute' WHERE subject = $1`,
        [alice.sub],
      );
      const expired = await asUser(expiring, list);
      expect([expired.status, expired.body.code]).toEqual([401, 'login_required']);
      expect((await asUser(cookie, list)).status).toBe(401);
    });

    it('wrong workflow → 403 workflow_mismatch; rotated → 401 publish_token_rotated; revoked → 403 workflow_not_published (session or not)', async () => {
      const own = await published({ requireLogin: true });
      const browser = new Browser(t.baseUrl);
      await browser.request(await signInAtProvider(browser, `${PUBLIC_ORIGIN}/api/auth/oidc/login?returnTo=%2F`, bob));
      const headers = { cookie: `parley_oauth=${browser.cookie('parley_oauth')!.value}`, origin: PUBLIC_ORIGIN };
      expect((await pub(own.token, list, headers)).status).toBe(200);
      const mismatch = await pub(own.token, list, { ...headers, 'x-parley-workflow': link.workflowId });
      expect([mismatch.status, mismatch.body]).toEqual([403, error(403, 'workflow_mismatch')]);
      await http().post(`/api/workflows/${own.workflowId}/publish/rotate`).set('Authorization', owner.auth).send({}).expect(200);
      const rotated = await pub(own.token, list, headers);
      expect([rotated.status, rotated.body]).toEqual([401, error(401, 'publish_token_rotated')]);
      await http().post(`/api/workflows/${own.workflowId}/publish/revoke`).set('Authorization', owner.auth).send({}).expect(200);
      const revoked = await pub(own.token, list, headers);
      expect([revoked.status, revoked.body]).toEqual([403, error(403, 'workflow_not_published')]);
    });

    it('an OAuth session alone (no share link) cannot chat', async () => {
      const cookie = await signedIn(alice);
      const answer = await chatkit(t.baseUrl, null, list, { cookie: `parley_oauth=${cookie}`, origin: PUBLIC_ORIGIN });
      expect([answer.status, answer.body]).toEqual([401, error(401, 'unauthenticated')]);
    });
  });

  describe('the matrix: canvas chat JWT', () => {
    it('missing → 401 unauthenticated; tampered → 401 token_invalid; expired → 401 token_expired', async () => {
      const workflowId = await createWorkflow(t, owner);
      const token = await chatToken(t, owner, workflowId);
      const tampered = await chatkit(t.baseUrl, tamper(token), list);
      expect([tampered.status, tampered.body]).toEqual([401, error(401, 'token_invalid')]);

      const { sessionId } = (await http().post(`/api/workflows/${workflowId}/chatkit/session`).set('Authorization', owner.auth).send({}).expect(200)).body;
      const realNow = Date.now();
      const spy = jest.spyOn(Date, 'now').mockReturnValue(realNow - 3600_000);
      const expired = (await t.app.get(SigningService).sign({ sub: owner.id, wf: workflowId, sid: sessionId }, { audience: 'parley-chat', ttlSeconds: 300 })).token;
      spy.mockRestore();
      const answer = await chatkit(t.baseUrl, expired, list);
      expect([answer.status, answer.body]).toEqual([401, error(401, 'token_expired')]);
    });

    it('wrong workflow → 403 workflow_mismatch; revoked session → 401 chat_session_revoked; another workflow\'s thread → 404', async () => {
      const workflowId = await createWorkflow(t, owner);
      const other = await createWorkflow(t, owner);
      const token = await chatToken(t, owner, workflowId);
      const mismatch = await chatkit(t.baseUrl, token, list, { 'x-parley-workflow': other });
      expect([mismatch.status, mismatch.body]).toEqual([403, error(403, 'workflow_mismatch')]);
      const otherThread = (await chatkit(t.baseUrl, await chatToken(t, owner, other), create('x'))).events![0].thread.id as string;
      expect((await chatkit(t.baseUrl, token, getThread(otherThread))).status).toBe(404);
      await http().post('/api/chatkit/sessions/revoke-all').set('Authorization', owner.auth).expect(200);
      const revoked = await chatkit(t.baseUrl, token, list);
      expect([revoked.status, revoked.body]).toEqual([401, error(401, 'chat_session_revoked')]);
    });

    it('an owner access token or a visitor token is not a chat credential', async () => {
      const { token } = await published();
      const ownerJwt = await chatkit(t.baseUrl, owner.accessToken, list);
      expect([ownerJwt.status, ownerJwt.body.code]).toEqual([401, 'token_invalid']);
      const visitor = (await pub(token, list)).headers.get('x-parley-visitor')!;
      const asBearer = await chatkit(t.baseUrl, visitor, list);
      expect([asBearer.status, asBearer.body.code]).toEqual([401, 'token_invalid']);
    });
  });
});
