import request from 'supertest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/auth.cookies';
import { PasswordHasher } from '../../src/auth/passwords/password-hasher';
import { createTestApp, TestApp } from '../setup/test-app';
import { cookieHeader, cookiesOf, errorBody, login, PASSWORD, register, REQUEST_ID, signUp, uniqueEmail } from './helpers';

const ORIGIN = 'http://localhost:3000';

describe('owner accounts', () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  describe('POST /api/auth/register', () => {
    it('creates an account with a normalised email and answers {user} without secrets', async () => {
      const res = await http().post('/api/auth/register').send({ email: '  Ada.Lovelace@Example.COM ', password: PASSWORD, name: ' Ada ' }).expect(201);
      expect(res.body).toEqual({
        user: { id: expect.stringMatching(/^[0-9a-f-]{36}$/), email: 'ada.lovelace@example.com', name: 'Ada', createdAt: expect.stringMatching(/Z$/) },
      });
      expect(res.headers['set-cookie']).toBeUndefined();
      const [row] = await t.dataSource.query(`SELECT email, password_hash FROM users WHERE id = $1`, [res.body.user.id]);
      expect(row.email).toBe('ada.lovelace@example.com');
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
    });

    it('answers 409 email_taken for the same email in another case', async () => {
      const email = uniqueEmail('taken');
      await register(t.app, email);
      const res = await http().post('/api/auth/register').send({ email: email.toUpperCase(), password: PASSWORD }).expect(409);
      expect(res.body).toEqual({ statusCode: 409, code: 'email_taken', message: 'An account with this email already exists.', requestId: REQUEST_ID });
    });

    it('enforces 10–128 character passwords and a valid email', async () => {
      const res = await http().post('/api/auth/register').send({ email: 'not-an-email', password: 'short' }).expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(Object.keys(res.body.details.fields).sort()).toEqual(['email', 'password']);
      await http().post('/api/auth/register').send({ email: uniqueEmail(), password: 'x'.repeat(129) }).expect(400);
      await http().post('/api/auth/register').send({ email: uniqueEmail(), password: 'x'.repeat(10) }).expect(201);
    });
  });

  describe('POST /api/auth/login', () => {
    it('returns {user, accessToken, expiresIn} and sets HttpOnly SameSite=Lax cookies, refresh scoped to /api/auth', async () => {
      const email = uniqueEmail('login');
      await register(t.app, email);
      const res = await http().post('/api/auth/login').send({ email: ` ${email.toUpperCase()}`, password: PASSWORD }).expect(200);
      expect(res.body).toEqual({
        user: { id: expect.any(String), email, name: null, createdAt: expect.any(String) },
        accessToken: expect.stringMatching(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/),
        expiresIn: 900,
      });
      const lines = res.headers['set-cookie'] as unknown as string[];
      const access = lines.find((l) => l.startsWith(`${ACCESS_COOKIE}=`))!;
      const refresh = lines.find((l) => l.startsWith(`${REFRESH_COOKIE}=`))!;
      expect(access).toMatch(/; Max-Age=900; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
      expect(refresh).toMatch(/; Max-Age=(2591999|2592000); Path=\/api\/auth; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
      // Not Secure outside production (see the production cookie test below).
      expect(lines.join('\n')).not.toMatch(/Secure/);
      expect(cookiesOf(lines)[ACCESS_COOKIE]).toBe(res.body.accessToken);
      expect(cookiesOf(lines)[REFRESH_COOKIE]).toMatch(/^rt_[\w-]{43}$/);
    });

    it('answers the same 401 invalid_credentials for an unknown email and a wrong password', async () => {
      const email = uniqueEmail('wrong');
      await register(t.app, email);
      const wrong = await http().post('/api/auth/login').send({ email, password: 'not the password' }).expect(401);
      const unknown = await http().post('/api/auth/login').send({ email: uniqueEmail('nobody'), password: PASSWORD }).expect(401);
      const expected = { statusCode: 401, code: 'invalid_credentials', message: 'The email or password is incorrect.', requestId: REQUEST_ID };
      expect(wrong.body).toEqual(expected);
      expect(unknown.body).toEqual(expected);
      expect(wrong.headers['set-cookie']).toBeUndefined();
    });

    it('runs argon2 against a dummy hash for unknown emails, so both paths take comparable time', async () => {
      const email = uniqueEmail('timing');
      await register(t.app, email);
      const hasher = t.app.get(PasswordHasher);
      const spy = jest.spyOn(hasher, 'verify');
      try {
        await http().post('/api/auth/login').send({ email: uniqueEmail('ghost'), password: PASSWORD }).expect(401);
        expect(spy).toHaveBeenCalledTimes(1);
        expect(spy.mock.calls[0][0]).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

        const time = async (body: object) => {
          const start = process.hrtime.bigint();
          await http().post('/api/auth/login').send(body).expect(401);
          return Number(process.hrtime.bigint() - start) / 1e6;
        };
        const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
        const known: number[] = [];
        const unknown: number[] = [];
        for (let i = 0; i < 5; i++) {
          known.push(await time({ email, password: `wrong password ${i}` }));
          unknown.push(await time({ email: uniqueEmail('ghost'), password: PASSWORD }));
        }
        // Loose on purpose (shared CI machines): without the dummy hash the unknown path skips
        // argon2 entirely and is an order of magnitude faster.
        expect(median(unknown)).toBeGreaterThan(median(known) * 0.4);
      } finally {
        spy.mockRestore();
      }
    });

    it('refuses accounts without a password (OIDC-only) like a wrong password', async () => {
      const email = uniqueEmail('oidc-only');
      await t.dataSource.query(`INSERT INTO users (email, password_hash) VALUES ($1, NULL)`, [email]);
      const res = await http().post('/api/auth/login').send({ email, password: PASSWORD }).expect(401);
      expect(res.body.code).toBe('invalid_credentials');
    });
  });

  describe('GET /api/auth/me', () => {
    it('answers {user} for a Bearer access token and for the access cookie', async () => {
      const s = await signUp(t.app, 'me');
      const bearer = await http().get('/api/auth/me').set('Authorization', `Bearer ${s.accessToken}`).expect(200);
      expect(bearer.body).toEqual({ user: { id: s.userId, email: s.email, name: null, createdAt: expect.any(String) } });
      const cookie = await http().get('/api/auth/me').set('Cookie', cookieHeader(s.cookies, ACCESS_COOKIE)).expect(200);
      expect(cookie.body).toEqual(bearer.body);
    });

    it('answers 401 unauthenticated without credentials', async () => {
      const res = await http().get('/api/auth/me').expect(401);
      expect(res.body).toEqual({ statusCode: 401, code: 'unauthenticated', message: 'Authentication is required.', requestId: REQUEST_ID });
    });

    it('does not take the refresh cookie (wrong mode) as an access credential', async () => {
      const s = await signUp(t.app, 'wrongmode');
      const res = await http().get('/api/auth/me').set('Cookie', cookieHeader(s.cookies, REFRESH_COOKIE)).expect(401);
      expect(res.body).toEqual(errorBody(401, 'unauthenticated'));
      const asBearer = await http().get('/api/auth/me').set('Authorization', `Bearer ${s.cookies[REFRESH_COOKIE]}`).expect(401);
      expect(asBearer.body).toEqual({ statusCode: 401, code: 'token_invalid', message: 'The token is not valid.', requestId: REQUEST_ID });
    });

    it('refuses a non-Bearer Authorization header', async () => {
      const res = await http().get('/api/auth/me').set('Authorization', 'Basic dXNlcjpwYXNz').expect(401);
      expect(res.body).toEqual(errorBody(401, 'token_invalid'));
    });
  });

  describe('POST /api/auth/logout', () => {
    it('revokes the refresh family and clears both cookies', async () => {
      const s = await signUp(t.app, 'logout');
      const res = await http()
        .post('/api/auth/logout')
        .set('Origin', ORIGIN)
        .set('Cookie', cookieHeader(s.cookies, ACCESS_COOKIE, REFRESH_COOKIE))
        .expect(204);
      const cleared = cookiesOf(res.headers['set-cookie'] as unknown as string[]);
      expect(cleared).toEqual({ [ACCESS_COOKIE]: '', [REFRESH_COOKIE]: '' });
      const [row] = await t.dataSource.query(`SELECT revoked_at FROM refresh_tokens WHERE user_id = $1`, [s.userId]);
      expect(row.revoked_at).not.toBeNull();
      const refresh = await http().post('/api/auth/refresh').set('Origin', ORIGIN).set('Cookie', cookieHeader(s.cookies, REFRESH_COOKIE)).expect(401);
      expect(refresh.body.code).toBe('token_invalid');
    });

    it('ends the access JWT at once: its jti is refused until it expires, from the cookie and as a Bearer token', async () => {
      const s = await signUp(t.app, 'logout-jti');
      await http().get('/api/auth/me').set('Authorization', `Bearer ${s.accessToken}`).expect(200);
      await http().post('/api/auth/logout').set('Origin', ORIGIN).set('Cookie', cookieHeader(s.cookies, ACCESS_COOKIE, REFRESH_COOKIE)).expect(204);
      for (const res of [
        await http().get('/api/auth/me').set('Authorization', `Bearer ${s.accessToken}`),
        await http().get('/api/auth/me').set('Cookie', cookieHeader(s.cookies, ACCESS_COOKIE)),
      ]) {
        expect([res.status, res.body]).toEqual([401, errorBody(401, 'token_invalid')]);
      }
      // A Bearer-only API client can end its token too; another session of the same owner keeps working.
      const other = await login(t.app, s.email);
      const api = await login(t.app, s.email);
      await http().post('/api/auth/logout').set('Authorization', `Bearer ${api.accessToken}`).expect(204);
      expect((await http().get('/api/auth/me').set('Authorization', `Bearer ${api.accessToken}`)).status).toBe(401);
      await http().get('/api/auth/me').set('Authorization', `Bearer ${other.accessToken}`).expect(200);
      // Expired rows are purged as new ones arrive: the table holds one access-token lifetime of logouts.
      const [row] = (await t.dataSource.query(`SELECT expires_at FROM revoked_access_tokens ORDER BY expires_at DESC LIMIT 1`)) as Array<{ expires_at: Date }>;
      expect(row.expires_at.getTime()).toBeGreaterThan(Date.now());
      expect(row.expires_at.getTime()).toBeLessThanOrEqual(Date.now() + 900_000 + 5_000);
    });

    it('is idempotent without any cookie (no auth needed)', async () => {
      await http().post('/api/auth/logout').expect(204);
    });

    it('refuses a cookie-carrying logout from a foreign origin (csrf_failed)', async () => {
      const s = await signUp(t.app, 'logout-csrf');
      const res = await http().post('/api/auth/logout').set('Origin', 'https://evil.example').set('Cookie', cookieHeader(s.cookies, REFRESH_COOKIE)).expect(403);
      expect(res.body).toEqual(errorBody(403, 'csrf_failed'));
      const [row] = await t.dataSource.query(`SELECT revoked_at FROM refresh_tokens WHERE user_id = $1`, [s.userId]);
      expect(row.revoked_at).toBeNull();
      // The access cookie alone is ambient too: a foreign page cannot end (or probe) the session with it.
      const accessOnly = await http().post('/api/auth/logout').set('Origin', 'https://evil.example').set('Cookie', cookieHeader(s.cookies, ACCESS_COOKIE)).expect(403);
      expect(accessOnly.body).toEqual(errorBody(403, 'csrf_failed'));
      await http().get('/api/auth/me').set('Authorization', `Bearer ${s.accessToken}`).expect(200);
    });
  });

  describe('DELETE /api/auth/me', () => {
    it('deletes the user and every row it owns, in one go, and its tokens stop working', async () => {
      const s = await signUp(t.app, 'delete');
      await login(t.app, s.email); // a second refresh family
      const pat = await http().post('/api/auth/tokens').set('Authorization', `Bearer ${s.accessToken}`).send({ name: 'ci' }).expect(201);
      const other = await signUp(t.app, 'bystander');
      const count = async (table: string, id: string) =>
        Number((await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${table === 'users' ? 'id' : 'user_id'} = $1`, [id]))[0].n);
      expect(await count('refresh_tokens', s.userId)).toBe(2);
      expect(await count('personal_access_tokens', s.userId)).toBe(1);

      const res = await http().delete('/api/auth/me').set('Authorization', `Bearer ${s.accessToken}`).expect(204);
      expect(cookiesOf(res.headers['set-cookie'] as unknown as string[])).toEqual({ [ACCESS_COOKIE]: '', [REFRESH_COOKIE]: '' });
      for (const table of ['users', 'refresh_tokens', 'personal_access_tokens']) expect(await count(table, s.userId)).toBe(0);
      expect(await count('users', other.userId)).toBe(1);
      expect(await count('refresh_tokens', other.userId)).toBe(1);

      // The access JWT is still unexpired, but its account is gone.
      expect((await http().get('/api/auth/me').set('Authorization', `Bearer ${s.accessToken}`).expect(401)).body.code).toBe('token_invalid');
      expect((await http().get('/api/auth/me').set('Authorization', `Bearer ${pat.body.token}`).expect(401)).body.code).toBe('token_invalid');
      const refresh = await http().post('/api/auth/refresh').set('Origin', ORIGIN).set('Cookie', cookieHeader(s.cookies, REFRESH_COOKIE)).expect(401);
      expect(refresh.body.code).toBe('token_invalid');
    });

    it('answers 401 unauthenticated without credentials', async () => {
      const res = await http().delete('/api/auth/me').expect(401);
      expect(res.body).toEqual(errorBody(401, 'unauthenticated'));
    });

    it('works with a personal access token (accepted wherever the owner JWT is)', async () => {
      const s = await signUp(t.app, 'delete-pat');
      const pat = await http().post('/api/auth/tokens').set('Authorization', `Bearer ${s.accessToken}`).send({ name: 'script' }).expect(201);
      await http().delete('/api/auth/me').set('Authorization', `Bearer ${pat.body.token}`).expect(204);
      expect(await t.dataSource.query(`SELECT id FROM users WHERE id = $1`, [s.userId])).toEqual([]);
    });
  });

  describe('CSRF defence for the access cookie', () => {
    it('refuses a cookie-authenticated DELETE from a foreign Origin, and with no Origin at all', async () => {
      const s = await signUp(t.app, 'csrf');
      const cookie = cookieHeader(s.cookies, ACCESS_COOKIE);
      const foreign = await http().delete('/api/auth/me').set('Cookie', cookie).set('Origin', 'https://evil.example').expect(403);
      expect(foreign.body).toEqual({
        statusCode: 403,
        code: 'csrf_failed',
        message: expect.stringContaining('allowed origin'),
        requestId: REQUEST_ID,
      });
      const crossSite = await http().delete('/api/auth/me').set('Cookie', cookie).set('Sec-Fetch-Site', 'cross-site').expect(403);
      expect(crossSite.body.code).toBe('csrf_failed');
      const sameSite = await http().delete('/api/auth/me').set('Cookie', cookie).set('Sec-Fetch-Site', 'same-site').set('Origin', 'https://sub.localhost').expect(403);
      expect(sameSite.body.code).toBe('csrf_failed');
      const bare = await http().delete('/api/auth/me').set('Cookie', cookie).expect(403);
      expect(bare.body.code).toBe('csrf_failed');
      expect(await t.dataSource.query(`SELECT id FROM users WHERE id = $1`, [s.userId])).toHaveLength(1);
    });

    it('allows safe methods with the cookie from anywhere (they change nothing)', async () => {
      const s = await signUp(t.app, 'csrf-get');
      await http().get('/api/auth/me').set('Cookie', cookieHeader(s.cookies, ACCESS_COOKIE)).set('Origin', 'https://evil.example').expect(200);
    });

    it('exempts Bearer requests, whatever their Origin', async () => {
      const s = await signUp(t.app, 'csrf-bearer');
      await http()
        .post('/api/auth/tokens')
        .set('Authorization', `Bearer ${s.accessToken}`)
        .set('Cookie', cookieHeader(s.cookies, ACCESS_COOKIE))
        .set('Origin', 'https://evil.example')
        .send({ name: 'from a script' })
        .expect(201);
    });

    it('accepts the allow-listed Origin and Sec-Fetch-Site: same-origin', async () => {
      const s = await signUp(t.app, 'csrf-ok');
      const cookie = cookieHeader(s.cookies, ACCESS_COOKIE);
      await http().post('/api/auth/tokens').set('Cookie', cookie).set('Origin', ORIGIN).send({ name: 'a' }).expect(201);
      await http().post('/api/auth/tokens').set('Cookie', cookie).set('Sec-Fetch-Site', 'same-origin').send({ name: 'b' }).expect(201);
    });
  });
});

describe('owner accounts in production', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: {
        NODE_ENV: 'production',
        PARLEY_SECRET_KEY: 'p'.repeat(48),
        METRICS_TOKEN: 'm'.repeat(24),
        PUBLIC_BASE_URL: 'https://chat.example.com',
        CORS_ORIGINS: 'https://app.example.com',
      },
    });
  });
  afterAll(() => t.close());

  it('marks the auth cookies Secure', async () => {
    const { email } = await register(t.app);
    const res = await request(t.app.getHttpServer()).post('/api/auth/login').send({ email, password: PASSWORD }).expect(200);
    const lines = res.headers['set-cookie'] as unknown as string[];
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);
  });

  it('allows CORS_ORIGINS and the public origin for cookie requests, nothing else', async () => {
    const s = await signUp(t.app, 'prod-csrf');
    const cookie = cookieHeader(s.cookies, ACCESS_COOKIE);
    const post = (origin: string) => request(t.app.getHttpServer()).post('/api/auth/tokens').set('Cookie', cookie).set('Origin', origin).send({ name: 'x' });
    await post('https://app.example.com').expect(201);
    await post('https://chat.example.com').expect(201);
    expect((await post('http://localhost:3000').expect(403)).body.code).toBe('csrf_failed');
    expect((await post('null').expect(403)).body.code).toBe('csrf_failed');
  });
});
