import request from 'supertest';
import { decodeJwt, errorBody, PASSWORD } from '../auth/helpers';
import { createTestApp, TestApp } from '../setup/test-app';
import { Browser, DevIdp, PUBLIC_ORIGIN, signInAtProvider, startDevIdp } from './helpers';

describe('owner sign-in with OIDC ("Sign in with SSO")', () => {
  let idp: DevIdp;
  let t: TestApp;

  beforeAll(async () => {
    idp = await startDevIdp([
      { email: 'Alice@Example.com', password: 'alice-password', name: 'Alice Example', emailVerified: true },
      { email: 'carol@example.com', password: 'carol-password', name: 'Carol New', emailVerified: true },
      { email: 'bob@example.com', password: 'bob-password', name: 'Bob Unverified', emailVerified: false },
      { email: 'dave@example.com', password: 'dave-password', name: 'Dave Linked', emailVerified: true },
      { email: 'erin@example.com', password: 'erin-password', name: 'Erin Squatted', emailVerified: true },
    ]);
    t = await createTestApp({ env: idp.env });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.stop();
  });

  const http = () => request(t.app.getHttpServer());
  const ownerLoginUrl = (returnTo = '/') => `${PUBLIC_ORIGIN}/api/auth/oidc/owner/login?returnTo=${encodeURIComponent(returnTo)}`;
  const user = (email: string) => idp.users.find((u) => u.email === email.toLowerCase())!;

  async function ownerSignIn(email: string, returnTo = '/') {
    const browser = new Browser(t.baseUrl);
    const callbackUrl = await signInAtProvider(browser, ownerLoginUrl(returnTo), user(email));
    const res = await browser.request(callbackUrl);
    return { browser, res };
  }

  it('refuses SSO into a password account whose email was never verified: an HTML page, nothing linked (pre-account takeover)', async () => {
    // Someone registers the victim's address with a password of their choosing (no proof of the email)…
    const squatter = await http().post('/api/auth/register').send({ email: 'alice@example.com', password: PASSWORD }).expect(201);
    // …then the real owner of the address signs in with SSO (the provider verified the email).
    const { browser, res } = await ownerSignIn('alice@example.com', '/workflows');
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    expect(page).toContain('alice@example.com');
    expect(page).toContain('oidc_account_unverified');
    expect(page).toContain('Connect SSO');
    expect(page).not.toMatch(/<script/i);
    // Not signed in, nothing linked: the squatter's password session cannot see anything the SSO user would create.
    expect(browser.cookie('parley_access')).toBeUndefined();
    expect(browser.cookie('parley_refresh')).toBeUndefined();
    expect(await t.dataSource.query(`SELECT id, email_verified_at FROM users WHERE email = 'alice@example.com'`)).toEqual([
      { id: squatter.body.user.id, email_verified_at: null },
    ]);
  });

  it('refuses it too when the sign-in is started while signed in to another account', async () => {
    await http().post('/api/auth/register').send({ email: 'erin@example.com', password: PASSWORD }).expect(201);
    const other = await http().post('/api/auth/register').send({ email: 'mallory@example.com', password: PASSWORD }).expect(201);
    const session = await http().post('/api/auth/login').send({ email: 'mallory@example.com', password: PASSWORD }).expect(200);
    const browser = new Browser(t.baseUrl);
    browser.setCookie({ name: 'parley_access', value: session.body.accessToken, host: 'localhost', path: '/', httpOnly: true, sameSite: 'Lax', secure: false });
    const callbackUrl = await signInAtProvider(browser, ownerLoginUrl(), user('erin@example.com'));
    const res = await browser.request(callbackUrl);
    expect(res.status).toBe(409);
    expect(await t.dataSource.query(`SELECT email_verified_at FROM users WHERE email = 'erin@example.com'`)).toEqual([{ email_verified_at: null }]);
    // The signed-in account is untouched as well.
    expect(await t.dataSource.query(`SELECT email, email_verified_at FROM users WHERE id = $1`, [other.body.user.id])).toEqual([
      { email: 'mallory@example.com', email_verified_at: null },
    ]);
  });

  it('connects SSO to a password account when its holder starts the sign-in signed in with the password; SSO then signs in directly', async () => {
    const registered = await http().post('/api/auth/register').send({ email: 'dave@example.com', password: PASSWORD }).expect(201);
    const session = await http().post('/api/auth/login').send({ email: 'dave@example.com', password: PASSWORD }).expect(200);
    const browser = new Browser(t.baseUrl);
    browser.setCookie({ name: 'parley_access', value: session.body.accessToken, host: 'localhost', path: '/', httpOnly: true, sameSite: 'Lax', secure: false });
    const callbackUrl = await signInAtProvider(browser, ownerLoginUrl('/workflows'), user('dave@example.com'));
    const res = await browser.request(callbackUrl);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${PUBLIC_ORIGIN}/workflows`);
    expect(browser.lastSetCookie).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^parley_access=[^;]+; Max-Age=900; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/),
        expect.stringMatching(/^parley_refresh=rt_[^;]+; Max-Age=\d+; Path=\/api\/auth; Expires=[^;]+; HttpOnly; SameSite=Lax$/),
      ]),
    );
    // Owner sign-in yields owner tokens, not an end-user OAuth session.
    expect(browser.cookie('parley_oauth')).toBeUndefined();
    const me = await browser.request(`${PUBLIC_ORIGIN}/api/auth/me`);
    expect(((await me.json()) as { user: object }).user).toMatchObject({ id: registered.body.user.id, email: 'dave@example.com' });
    const [row] = (await t.dataSource.query(`SELECT email_verified_at FROM users WHERE email = 'dave@example.com'`)) as Array<{ email_verified_at: Date | null }>;
    expect(row.email_verified_at).toBeInstanceOf(Date);

    // Connected: a later SSO sign-in in a fresh browser (not signed in) lands in the same account, and the password still works.
    const again = await ownerSignIn('dave@example.com');
    expect(again.res.status).toBe(302);
    const meAgain = await again.browser.request(`${PUBLIC_ORIGIN}/api/auth/me`);
    expect(((await meAgain.json()) as { user: { id: string } }).user.id).toBe(registered.body.user.id);
    await http().post('/api/auth/login').send({ email: 'dave@example.com', password: PASSWORD }).expect(200);
  });

  it('creates a passwordless owner account on first sign-in, with working access and refresh tokens', async () => {
    const { browser, res } = await ownerSignIn('carol@example.com');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${PUBLIC_ORIGIN}/`);

    const access = browser.cookie('parley_access')!.value;
    expect(decodeJwt(access)).toMatchObject({ header: { alg: 'ES256' }, payload: { aud: 'parley-api', iss: PUBLIC_ORIGIN } });
    // The access token works as a Bearer token too (API clients, the CLI).
    const me = await http().get('/api/auth/me').set('Authorization', `Bearer ${access}`).expect(200);
    expect(me.body.user).toMatchObject({ email: 'carol@example.com', name: 'Carol New' });
    const rows = await t.dataSource.query(`SELECT password_hash, email_verified_at IS NOT NULL AS verified FROM users WHERE email = 'carol@example.com'`);
    expect(rows).toEqual([{ password_hash: null, verified: true }]);
    // No password was set, so password login cannot be used to get in.
    expect((await http().post('/api/auth/login').send({ email: 'carol@example.com', password: 'carol-password' }).expect(401)).body).toEqual(
      errorBody(401, 'invalid_credentials'),
    );

    const refreshed = await browser.request(`${PUBLIC_ORIGIN}/api/auth/refresh`, { method: 'POST', headers: { Origin: PUBLIC_ORIGIN } });
    expect(refreshed.status).toBe(200);
    expect(((await refreshed.json()) as { user: { id: string } }).user.id).toBe(me.body.user.id);

    // A second SSO sign-in finds the same account.
    const again = await ownerSignIn('carol@example.com');
    expect(again.res.status).toBe(302);
    const meAgain = await again.browser.request(`${PUBLIC_ORIGIN}/api/auth/me`);
    expect(((await meAgain.json()) as { user: { id: string } }).user.id).toBe(me.body.user.id);
    expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM users WHERE email = 'carol@example.com'`)).toEqual([{ n: 1 }]);
  });

  it('refuses an unverified email with 403 oidc_email_unverified, creating and linking nothing', async () => {
    const { browser, res } = await ownerSignIn('bob@example.com');
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual(errorBody(403, 'oidc_email_unverified'));
    expect(browser.cookie('parley_access')).toBeUndefined();
    expect(browser.cookie('parley_refresh')).toBeUndefined();
    expect(await t.dataSource.query(`SELECT 1 FROM users WHERE email = 'bob@example.com'`)).toEqual([]);
  });

  it('shows a browser an HTML error page with a way back (not raw JSON) when it asks for HTML', async () => {
    const browser = new Browser(t.baseUrl);
    const callbackUrl = await signInAtProvider(browser, ownerLoginUrl('/'), user('bob@example.com'));
    const res = await browser.request(callbackUrl, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<title>Your email address is not verified · Parley</title>');
    expect(html).toContain('data-code="oidc_email_unverified"');
    expect(html).toMatch(/<a class="primary" href="\/login">Back to sign-in<\/a>/);
    expect(html).toMatch(/Reference: [\w-]+/);
    expect(html).not.toContain('"statusCode"');
    // A replayed callback (the transaction is gone) is a page too.
    const replay = await browser.request(callbackUrl, { headers: { accept: 'text/html' } });
    expect([replay.status, replay.headers.get('content-type')?.split(';')[0]]).toEqual([400, 'text/html']);
    expect(await replay.text()).toContain('href="/"');
  });

  it('lets an unverified identity still sign in as an end user (no owner rights)', async () => {
    const browser = new Browser(t.baseUrl);
    const callbackUrl = await signInAtProvider(browser, `${PUBLIC_ORIGIN}/api/auth/oidc/login?returnTo=/`, user('bob@example.com'));
    expect((await browser.request(callbackUrl)).status).toBe(302);
    const session = await browser.request(`${PUBLIC_ORIGIN}/api/auth/session`);
    expect(await session.json()).toMatchObject({ authenticated: true, email: 'bob@example.com' });
    expect((await browser.request(`${PUBLIC_ORIGIN}/api/auth/me`)).status).toBe(401);
  });

  it('refuses open redirects on the owner flow too', async () => {
    const res = await http().get('/api/auth/oidc/owner/login').query({ returnTo: 'https://evil.example/' }).expect(400);
    expect(res.body).toEqual(errorBody(400, 'invalid_return_to'));
  });
});
