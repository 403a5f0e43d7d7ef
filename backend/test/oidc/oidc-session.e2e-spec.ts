import { Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { Auth, CurrentPrincipal } from '../../src/auth/auth.decorators';
import { OAuthPrincipal } from '../../src/auth/principal';
import { errorBody } from '../auth/helpers';
import { createOwner } from '../factories/owners';
import { createTestApp, TestApp } from '../setup/test-app';
import { Browser, CALLBACK_URL, DevIdp, PUBLIC_ORIGIN, signInAtProvider, startDevIdp } from './helpers';

/** A route that only an OAuth session may use, to see the principal the verifier produces. */
@Controller('test/oauth')
class OAuthProbeController {
  @Get()
  @Auth('oauthSession')
  get(@CurrentPrincipal('oauth') principal: OAuthPrincipal): OAuthPrincipal {
    return principal;
  }

  @Post()
  @HttpCode(200)
  @Auth('oauthSession')
  post(@CurrentPrincipal('oauth') principal: OAuthPrincipal): { kind: string } {
    return { kind: principal.kind };
  }
}

@Module({ controllers: [OAuthProbeController] })
class OAuthProbeModule {}

const sha256 = (value: string) => createHash('sha256').update(value).digest();

describe('OIDC end-user sign-in against the dev IdP', () => {
  let idp: DevIdp;
  let t: TestApp;
  let alice: DevIdp['users'][number];

  beforeAll(async () => {
    idp = await startDevIdp();
    alice = idp.users.find((u) => u.email === 'alice@example.com')!;
    t = await createTestApp({
      env: { ...idp.env, OIDC_ALLOWED_RETURN_ORIGINS: 'https://embed.example.com' },
      imports: [OAuthProbeModule],
    });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.stop();
  });

  const http = () => request(t.app.getHttpServer());
  const loginUrl = (returnTo: string) => `${PUBLIC_ORIGIN}/api/auth/oidc/login?returnTo=${encodeURIComponent(returnTo)}`;

  /** A full sign-in as alice; returns the browser holding the session and the callback's response. */
  async function signIn(returnTo = '/chat/abc') {
    const browser = new Browser(t.baseUrl);
    const callbackUrl = await signInAtProvider(browser, loginUrl(returnTo), alice);
    const res = await browser.request(callbackUrl);
    return { browser, res, callbackUrl };
  }

  it('reports OIDC as enabled in /api/config', async () => {
    expect((await http().get('/api/config').expect(200)).body.oidcEnabled).toBe(true);
  });

  it('starts the code flow with PKCE S256, state and nonce, keeping the transaction in a sealed HttpOnly cookie', async () => {
    const browser = new Browser(t.baseUrl);
    const res = await browser.request(loginUrl('/chat/abc'));
    expect(res.status).toBe(302);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${idp.issuer}/auth`);
    const params = Object.fromEntries(location.searchParams);
    expect(params).toEqual({
      client_id: idp.clientId,
      redirect_uri: CALLBACK_URL,
      response_type: 'code',
      scope: 'openid email profile',
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
      state: expect.stringMatching(/^[A-Za-z0-9_-]{20,}$/),
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{20,}$/),
    });
    const [line] = browser.lastSetCookie;
    expect(line).toMatch(/^parley_oidc=[A-Za-z0-9_-]+; Max-Age=600; Path=\/api\/auth\/oidc; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    // Sealed: neither the state nor the verifier can be read from it.
    expect(Buffer.from(browser.cookie('parley_oidc')!.value, 'base64url').toString('latin1')).not.toContain(params.state);
  });

  it('signs in end to end: callback sets the parley_oauth cookie, stores only its hash and redirects to returnTo', async () => {
    const { browser, res } = await signIn('/chat/abc?x=1');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${PUBLIC_ORIGIN}/chat/abc?x=1`);
    expect(res.headers.get('location')).not.toMatch(/code=|token|oas_/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const set = browser.lastSetCookie;
    expect(set).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^parley_oidc=; Path=\/api\/auth\/oidc; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/),
        expect.stringMatching(/^parley_oauth=oas_[A-Za-z0-9_-]{43}; Max-Age=(?:28799|28800); Path=\/api; Expires=[^;]+; HttpOnly; SameSite=Lax$/),
      ]),
    );
    expect(browser.cookie('parley_oidc')).toBeUndefined();

    const token = browser.cookie('parley_oauth')!.value;
    const rows = await t.dataSource.query(`SELECT * FROM oauth_sessions WHERE token_hash = $1`, [sha256(token)]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ issuer: idp.issuer, subject: alice.sub, email: 'alice@example.com', email_verified: true, name: 'Alice Example' });
    expect(JSON.stringify(rows)).not.toContain(token);
    const ttl = (new Date(rows[0].expires_at).getTime() - new Date(rows[0].created_at).getTime()) / 1000;
    expect(ttl).toBeCloseTo(28800, -1);

    const session = await browser.request(`${PUBLIC_ORIGIN}/api/auth/session`);
    expect(session.status).toBe(200);
    expect(await session.json()).toEqual({
      authenticated: true,
      subject: alice.sub,
      email: 'alice@example.com',
      name: 'Alice Example',
      expiresAt: new Date(rows[0].expires_at).toISOString(),
    });

    const probe = await browser.request(`${PUBLIC_ORIGIN}/test/oauth`);
    // The cookie is scoped to /api, so a page route never sees it.
    expect(probe.status).toBe(401);
    const principal = await http().get('/test/oauth').set('Cookie', `parley_oauth=${token}`).expect(200);
    expect(principal.body).toEqual({
      kind: 'oauth',
      sessionId: rows[0].id,
      issuer: idp.issuer,
      subject: alice.sub,
      email: 'alice@example.com',
      emailVerified: true,
      name: 'Alice Example',
      expiresAt: new Date(rows[0].expires_at).toISOString(),
    });
  });

  it('returns to an allow-listed origin', async () => {
    const { res } = await signIn('https://embed.example.com/page?a=b');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://embed.example.com/page?a=b');
  });

  it('replaces the browser’s previous session on a new sign-in', async () => {
    const { browser } = await signIn();
    const first = browser.cookie('parley_oauth')!.value;
    const callbackUrl = await signInAtProvider(browser, loginUrl('/'), alice);
    expect((await browser.request(callbackUrl)).status).toBe(302);
    const second = browser.cookie('parley_oauth')!.value;
    expect(second).not.toBe(first);
    expect(await t.dataSource.query(`SELECT 1 FROM oauth_sessions WHERE token_hash = $1`, [sha256(first)])).toEqual([]);
    expect((await http().get('/api/auth/session').set('Cookie', `parley_oauth=${first}`).expect(200)).body).toEqual({ authenticated: false });
  });

  describe('the oauthSession mode', () => {
    let token: string;
    beforeAll(async () => {
      token = (await signIn()).browser.cookie('parley_oauth')!.value;
    });

    it('answers 401 unauthenticated without the cookie', async () => {
      expect((await http().get('/test/oauth').expect(401)).body).toEqual(errorBody(401, 'unauthenticated'));
    });

    it('answers 401 token_invalid for an unknown or malformed cookie', async () => {
      const unknown = `oas_${'A'.repeat(43)}`;
      expect((await http().get('/test/oauth').set('Cookie', `parley_oauth=${unknown}`).expect(401)).body).toEqual(errorBody(401, 'token_invalid'));
      expect((await http().get('/test/oauth').set('Cookie', 'parley_oauth=garbage').expect(401)).body).toEqual(errorBody(401, 'token_invalid'));
    });

    it('answers 403 forbidden to a credential of another mode (owner JWT)', async () => {
      const owner = await createOwner(t.app);
      expect((await http().get('/test/oauth').set('Authorization', owner.auth).expect(403)).body).toEqual(errorBody(403, 'forbidden'));
    });

    it('does not let the ambient session cookie turn an owner route’s 401 into 403', async () => {
      const res = await http().get('/api/auth/me').set('Cookie', `parley_oauth=${token}`).expect(401);
      expect(res.body).toEqual(errorBody(401, 'unauthenticated'));
    });

    it('applies the CSRF policy to unsafe methods', async () => {
      const cookie = `parley_oauth=${token}`;
      expect((await http().post('/test/oauth').set('Cookie', cookie).expect(403)).body).toEqual(errorBody(403, 'csrf_failed'));
      expect((await http().post('/test/oauth').set('Cookie', cookie).set('Origin', 'https://evil.example').expect(403)).body).toEqual(errorBody(403, 'csrf_failed'));
      await http().post('/test/oauth').set('Cookie', cookie).set('Origin', PUBLIC_ORIGIN).expect(200, { kind: 'oauth' });
      await http().post('/test/oauth').set('Cookie', cookie).set('Sec-Fetch-Site', 'same-origin').expect(200, { kind: 'oauth' });
    });
  });

  it('expires sessions: 401 token_expired on routes, unauthenticated (and a cleared cookie) on /api/auth/session', async () => {
    const { browser } = await signIn();
    const token = browser.cookie('parley_oauth')!.value;
    await t.dataSource.query(
      `UPDATE oauth_sessions SET created_at = now() - interval '9 hours', expires_at = now() - interval '1 second' WHERE token_hash = $1`,
      [sha256(token)],
    );
    expect((await http().get('/test/oauth').set('Cookie', `parley_oauth=${token}`).expect(401)).body).toEqual(errorBody(401, 'token_expired'));
    const res = await browser.request(`${PUBLIC_ORIGIN}/api/auth/session`);
    expect(await res.json()).toEqual({ authenticated: false });
    expect(browser.lastSetCookie).toEqual([expect.stringMatching(/^parley_oauth=; Path=\/api; Expires=Thu, 01 Jan 1970/)]);
    expect(browser.cookie('parley_oauth')).toBeUndefined();
  });

  it('reports no session without a cookie', async () => {
    expect((await http().get('/api/auth/session').expect(200)).body).toEqual({ authenticated: false });
  });

  it('logs out: CSRF-checked, deletes the row, clears the cookie; idempotent', async () => {
    const { browser } = await signIn();
    const token = browser.cookie('parley_oauth')!.value;
    expect((await http().post('/api/auth/session/logout').set('Cookie', `parley_oauth=${token}`).expect(403)).body).toEqual(errorBody(403, 'csrf_failed'));

    const res = await browser.request(`${PUBLIC_ORIGIN}/api/auth/session/logout`, { method: 'POST', headers: { Origin: PUBLIC_ORIGIN } });
    expect(res.status).toBe(204);
    expect(browser.lastSetCookie).toEqual([expect.stringMatching(/^parley_oauth=; Path=\/api; Expires=Thu, 01 Jan 1970/)]);
    expect(await t.dataSource.query(`SELECT 1 FROM oauth_sessions WHERE token_hash = $1`, [sha256(token)])).toEqual([]);
    expect((await http().get('/test/oauth').set('Cookie', `parley_oauth=${token}`).expect(401)).body).toEqual(errorBody(401, 'token_invalid'));
    expect((await http().get('/api/auth/session').set('Cookie', `parley_oauth=${token}`).expect(200)).body).toEqual({ authenticated: false });
    await http().post('/api/auth/session/logout').expect(204);
  });

  describe('refusals', () => {
    it.each(['https://evil.example', '//evil.example', '/\\evil.example', 'https://localhost:3000@evil.example/', 'javascript:alert(1)'])(
      'refuses the open redirect returnTo=%j with 400 invalid_return_to, before contacting the provider',
      async (returnTo) => {
        const res = await http().get('/api/auth/oidc/login').query({ returnTo }).expect(400);
        expect(res.body).toEqual(errorBody(400, 'invalid_return_to'));
        expect(res.headers['set-cookie']).toBeUndefined();
        expect(res.headers.location).toBeUndefined();
      },
    );

    it('refuses a callback whose state does not match the browser’s transaction, and the transaction is single-use', async () => {
      const browser = new Browser(t.baseUrl);
      const callbackUrl = await signInAtProvider(browser, loginUrl('/'), alice);
      const tampered = new URL(callbackUrl);
      tampered.searchParams.set('state', 'forged-state-value');
      const res = await browser.request(tampered.href);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual(errorBody(400, 'oidc_state_mismatch'));
      expect(browser.cookie('parley_oauth')).toBeUndefined();
      // The transaction was consumed by the failed attempt: the genuine callback cannot be used now.
      const again = await browser.request(callbackUrl);
      expect(again.status).toBe(400);
      expect(await again.json()).toEqual(errorBody(400, 'oidc_state_mismatch'));
    });

    it('refuses a callback opened in another browser (login CSRF: no transaction cookie)', async () => {
      const victim = new Browser(t.baseUrl);
      const callbackUrl = await signInAtProvider(new Browser(t.baseUrl), loginUrl('/'), alice);
      const res = await victim.request(callbackUrl);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual(errorBody(400, 'oidc_state_mismatch'));
      expect(victim.cookie('parley_oauth')).toBeUndefined();
    });

    it('refuses a tampered transaction cookie', async () => {
      const browser = new Browser(t.baseUrl);
      const callbackUrl = await signInAtProvider(browser, loginUrl('/'), alice);
      const tx = browser.cookie('parley_oidc')!;
      browser.setCookie({ ...tx, value: `${tx.value.slice(0, -2)}AA` });
      const res = await browser.request(callbackUrl);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual(errorBody(400, 'oidc_state_mismatch'));
    });

    it('refuses a replayed authorization code (the provider rejects the second exchange)', async () => {
      const browser = new Browser(t.baseUrl);
      const callbackUrl = await signInAtProvider(browser, loginUrl('/'), alice);
      const tx = browser.cookie('parley_oidc')!;
      expect((await browser.request(callbackUrl)).status).toBe(302);
      const sessions = Number((await t.dataSource.query(`SELECT count(*) AS n FROM oauth_sessions`))[0].n);

      // Replaying the callback as is: the transaction cookie is gone.
      const replay = await browser.request(callbackUrl);
      expect(replay.status).toBe(400);
      expect(await replay.json()).toEqual(errorBody(400, 'oidc_state_mismatch'));

      // Replaying with the old transaction cookie put back: the code itself is refused.
      const attacker = new Browser(t.baseUrl);
      attacker.setCookie(tx);
      const res = await attacker.request(callbackUrl);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual(errorBody(401, 'oidc_login_failed'));
      expect(attacker.cookie('parley_oauth')).toBeUndefined();
      expect(Number((await t.dataSource.query(`SELECT count(*) AS n FROM oauth_sessions`))[0].n)).toBe(sessions);
    });

    it('reports a sign-in the user cancelled at the provider as 401 oidc_login_failed (access_denied)', async () => {
      const browser = new Browser(t.baseUrl);
      const callbackUrl = await signInAtProvider(browser, loginUrl('/'), 'cancel');
      expect(new URL(callbackUrl).searchParams.get('error')).toBe('access_denied');
      const res = await browser.request(callbackUrl);
      expect(res.status).toBe(401);
      const body = (await res.json()) as { details?: unknown };
      expect(body).toEqual(errorBody(401, 'oidc_login_failed'));
      expect(body.details).toEqual({ error: 'access_denied', returnTo: `${PUBLIC_ORIGIN}/` });
    });

    it('shows the provider’s login form again for a wrong password (no redirect back)', async () => {
      const browser = new Browser(t.baseUrl);
      await expect(signInAtProvider(browser, loginUrl('/'), { email: 'alice@example.com', password: 'wrong' })).rejects.toThrow(/status 200/);
    });
  });
});

describe('OIDC when it is not configured or the provider is down', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('is off without OIDC_ISSUER: /api/config says so and sign-in answers 403 feature_disabled', async () => {
    t = await createTestApp({ env: { OIDC_ISSUER: undefined } });
    const http = request(t.app.getHttpServer());
    expect((await http.get('/api/config').expect(200)).body.oidcEnabled).toBe(false);
    for (const path of ['/api/auth/oidc/login', '/api/auth/oidc/owner/login', '/api/auth/oidc/callback?code=x&state=y']) {
      expect((await request(t.app.getHttpServer()).get(path).expect(403)).body).toEqual(errorBody(403, 'feature_disabled'));
    }
    expect((await request(t.app.getHttpServer()).get('/api/auth/session').set('Cookie', `parley_oauth=oas_${'A'.repeat(43)}`).expect(200)).body).toEqual({
      authenticated: false,
    });
  });

  it('answers 503 service_unavailable while the provider is unreachable, and rate limits sign-in starts per IP', async () => {
    t = await createTestApp({
      env: { OIDC_ISSUER: 'http://127.0.0.1:9', OIDC_CLIENT_ID: 'parley', OIDC_CLIENT_SECRET: 'secret', AUTH_RATE_LIMIT_PER_IP: '2' },
    });
    const http = () => request(t!.app.getHttpServer());
    expect((await http().get('/api/auth/oidc/login').expect(503)).body).toEqual(errorBody(503, 'service_unavailable'));
    expect((await http().get('/api/auth/oidc/login').expect(503)).body).toEqual(errorBody(503, 'service_unavailable'));
    const limited = await http().get('/api/auth/oidc/login').expect(429);
    expect(limited.body).toEqual(errorBody(429, 'rate_limited'));
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});
