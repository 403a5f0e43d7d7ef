import request from 'supertest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/auth.cookies';
import { SigningKeysService } from '../../src/auth/keys/signing-keys.service';
import { ACCESS_TOKEN_AUDIENCE, SigningService } from '../../src/auth/signing.service';
import { createTestApp, TestApp } from '../setup/test-app';
import {
  cookieHeader,
  cookiesOf,
  decodeJwt,
  errorBody,
  freshEcKey,
  REQUEST_ID,
  Session,
  signEs256,
  signHs256,
  signUp,
  unsigned,
  withPayload,
} from './helpers';

const ORIGIN = 'http://localhost:3000';
const INVALID = { statusCode: 401, code: 'token_invalid', message: 'The token is not valid.', requestId: REQUEST_ID };

describe('owner access tokens (JWT)', () => {
  let t: TestApp;
  let alice: Session;
  let bob: Session;
  let signing: SigningService;
  const http = () => request(t.app.getHttpServer());
  const me = (token: string) => http().get('/api/auth/me').set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    t = await createTestApp();
    signing = t.app.get(SigningService);
    alice = await signUp(t.app, 'alice');
    bob = await signUp(t.app, 'bob');
  });
  afterAll(() => t.close());

  it('are ES256 JWTs with kid, iss, aud=parley-api, sub, jti and a 15-minute lifetime', async () => {
    const { header, payload } = decodeJwt(alice.accessToken);
    const { keys } = await t.app.get(SigningKeysService).jwks();
    expect(header).toEqual({ alg: 'ES256', typ: 'JWT', kid: keys[0].kid });
    expect(payload).toEqual({
      sub: alice.userId,
      iss: 'http://localhost:3000',
      aud: 'parley-api',
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iat: expect.any(Number),
      exp: (payload.iat as number) + 900,
    });
    await me(alice.accessToken).expect(200);
  });

  it('answers 401 token_expired for an expired token', async () => {
    // Sign an hour in the past: the token expired 45 minutes ago.
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now - 3600_000);
    let token: string;
    try {
      ({ token } = await signing.sign({ sub: alice.userId }, { audience: ACCESS_TOKEN_AUDIENCE, ttlSeconds: 900 }));
    } finally {
      clock.mockRestore();
    }
    const res = await me(token).expect(401);
    expect(res.body).toEqual({ statusCode: 401, code: 'token_expired', message: 'The token has expired.', requestId: REQUEST_ID });
    const cookie = await http().get('/api/auth/me').set('Cookie', `${ACCESS_COOKIE}=${token}`).expect(401);
    expect(cookie.body.code).toBe('token_expired');
  });

  it('answers 401 token_invalid for a token signed by an unknown kid', async () => {
    const { payload } = decodeJwt(alice.accessToken);
    const token = signEs256({ alg: 'ES256', typ: 'JWT', kid: 'not-a-parley-key' }, payload, freshEcKey().privateKey);
    expect((await me(token).expect(401)).body).toEqual(INVALID);
  });

  it('answers 401 token_invalid for a foreign key claiming our kid', async () => {
    const { header, payload } = decodeJwt(alice.accessToken);
    const token = signEs256(header, payload, freshEcKey().privateKey);
    expect((await me(token).expect(401)).body).toEqual(INVALID);
  });

  it('refuses alg=none', async () => {
    const { header, payload } = decodeJwt(alice.accessToken);
    expect((await me(unsigned({ ...header, alg: 'none' }, payload)).expect(401)).body).toEqual(INVALID);
    expect((await me(unsigned({ alg: 'none' }, payload)).expect(401)).body).toEqual(INVALID);
  });

  it('refuses HS256 tokens keyed with our public key (algorithm confusion)', async () => {
    const { header, payload } = decodeJwt(alice.accessToken);
    const key = await t.app.get(SigningKeysService).verificationKey(header.kid as string);
    for (const secret of [key!.pem, key!.publicKey.export({ type: 'spki', format: 'der' }), JSON.stringify(key!.jwk)]) {
      const token = signHs256({ ...header, alg: 'HS256' }, payload, secret);
      expect((await me(token).expect(401)).body).toEqual(INVALID);
    }
  });

  it('refuses a tampered payload (another user, a later expiry)', async () => {
    const { payload } = decodeJwt(alice.accessToken);
    expect((await me(withPayload(alice.accessToken, { ...payload, sub: bob.userId })).expect(401)).body).toEqual(INVALID);
    expect((await me(withPayload(alice.accessToken, { ...payload, exp: (payload.exp as number) + 86400 })).expect(401)).body).toEqual(INVALID);
  });

  it('refuses Parley tokens for another audience (e.g. a chat JWT) and other issuers', async () => {
    const chat = await signing.sign({ sub: alice.userId, wf: 'w', sid: 's' }, { audience: 'parley-chat', ttlSeconds: 300 });
    expect((await me(chat.token).expect(401)).body).toEqual(INVALID);
    const { header, payload } = decodeJwt(alice.accessToken);
    // Same key, wrong issuer: only reachable with our private key, so sign through the key service.
    const { privateKey } = await t.app.get(SigningKeysService).signingKey();
    const foreignIssuer = signEs256(header, { ...payload, iss: 'https://evil.example' }, privateKey);
    expect((await me(foreignIssuer).expect(401)).body).toEqual(INVALID);
    const noExp = signEs256(header, { ...payload, exp: undefined }, privateKey);
    expect((await me(noExp).expect(401)).body).toEqual(INVALID);
    const notUuid = signEs256(header, { ...payload, sub: 'alice' }, privateKey);
    expect((await me(notUuid).expect(401)).body).toEqual(INVALID);
  });

  it('refuses garbage of every shape without a 500', async () => {
    for (const token of ['x', 'a.b', 'a.b.c', 'eyJhbGciOiJFUzI1NiJ9.e30.', `${'A'.repeat(5000)}.e30.x`]) {
      expect((await me(token).expect(401)).body).toEqual(INVALID);
    }
  });

  describe('the signing service', () => {
    it('refuses registered claims in the claims and lifetimes beyond JWT_MAX_TTL', async () => {
      await expect(signing.sign({ exp: 1 }, { audience: 'parley-chat', ttlSeconds: 60 })).rejects.toThrow(/exp are set from the options/);
      await expect(signing.sign({}, { audience: 'parley-chat', ttlSeconds: 86401 })).rejects.toThrow(/JWT_MAX_TTL/);
      await expect(signing.sign({}, { audience: 'parley-chat', ttlSeconds: 0 })).rejects.toThrow(/ttlSeconds/);
    });

    it('verifies its own tokens for the right audience only', async () => {
      const { token, jti, expiresAt } = await signing.sign({ sub: 'v1', wf: 'w1' }, { audience: 'parley-visitor', ttlSeconds: 120 });
      const claims = await signing.verify<{ wf: string }>(token, { audience: 'parley-visitor' });
      expect(claims).toMatchObject({ sub: 'v1', wf: 'w1', jti, aud: 'parley-visitor', iss: 'http://localhost:3000' });
      expect(claims.exp * 1000).toBe(expiresAt.getTime());
      await expect(signing.verify(token, { audience: 'parley-chat' })).rejects.toMatchObject({ code: 'token_invalid' });
    });
  });
});

describe('refresh tokens', () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());
  const refresh = (cookies: Record<string, string>) =>
    http().post('/api/auth/refresh').set('Origin', ORIGIN).set('Cookie', cookieHeader(cookies, REFRESH_COOKIE));

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('rotates: a new refresh cookie and access token, stored only as SHA-256', async () => {
    const s = await signUp(t.app, 'rotate');
    const res = await refresh(s.cookies).expect(200);
    expect(res.body).toEqual({ user: expect.objectContaining({ id: s.userId }), accessToken: expect.any(String), expiresIn: 900 });
    const next = cookiesOf(res.headers['set-cookie'] as unknown as string[]);
    expect(next[REFRESH_COOKIE]).toMatch(/^rt_/);
    expect(next[REFRESH_COOKIE]).not.toBe(s.cookies[REFRESH_COOKIE]);
    expect(next[ACCESS_COOKIE]).toBe(res.body.accessToken);
    await http().get('/api/auth/me').set('Authorization', `Bearer ${res.body.accessToken}`).expect(200);

    const rows = await t.dataSource.query(
      `SELECT family_id, encode(token_hash, 'hex') AS hash, used_at FROM refresh_tokens WHERE user_id = $1 ORDER BY created_at`,
      [s.userId],
    );
    expect(rows).toHaveLength(2);
    expect(rows[0].family_id).toBe(rows[1].family_id);
    expect(rows[0].used_at).not.toBeNull();
    const sha = (v: string) => require('node:crypto').createHash('sha256').update(v).digest('hex');
    expect(rows.map((r: { hash: string }) => r.hash)).toEqual([sha(s.cookies[REFRESH_COOKIE]), sha(next[REFRESH_COOKIE])]);
  });

  it('detects reuse: presenting a rotated token revokes the whole family, including the newest token', async () => {
    const s = await signUp(t.app, 'reuse');
    const other = await signUp(t.app, 'reuse-other-device');
    const first = await refresh(s.cookies).expect(200);
    const rotated = cookiesOf(first.headers['set-cookie'] as unknown as string[]);

    const replay = await refresh(s.cookies).expect(401);
    expect(replay.body).toEqual({
      statusCode: 401,
      code: 'token_invalid',
      message: 'The refresh token was already used; this session has been ended, sign in again.',
      requestId: REQUEST_ID,
    });
    // The refused cookie is cleared so the browser stops sending it.
    expect(cookiesOf(replay.headers['set-cookie'] as unknown as string[])[REFRESH_COOKIE]).toBe('');

    expect((await refresh(rotated).expect(401)).body).toEqual(errorBody(401, 'token_invalid'));
    const live = await t.dataSource.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL`, [s.userId]);
    expect(live[0].n).toBe(0);
    // Other families (another login of another user) are untouched.
    await refresh(other.cookies).expect(200);
  });

  it('lets exactly one of two concurrent refreshes with the same token win', async () => {
    const s = await signUp(t.app, 'race');
    const results = await Promise.all([refresh(s.cookies), refresh(s.cookies)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('answers 401 token_expired for an expired refresh token', async () => {
    const s = await signUp(t.app, 'expired');
    await t.dataSource.query(`UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [s.userId]);
    expect((await refresh(s.cookies).expect(401)).body).toEqual(errorBody(401, 'token_expired'));
  });

  it('answers 401 unauthenticated without the refresh cookie, even with a valid access token or PAT (wrong mode)', async () => {
    const s = await signUp(t.app, 'nocookie');
    const pat = await http().post('/api/auth/tokens').set('Authorization', `Bearer ${s.accessToken}`).send({ name: 'p' }).expect(201);
    for (const auth of [undefined, `Bearer ${s.accessToken}`, `Bearer ${pat.body.token}`]) {
      const req = http().post('/api/auth/refresh').set('Origin', ORIGIN);
      if (auth) req.set('Authorization', auth);
      const res = await req.expect(401);
      expect(res.body).toEqual({ statusCode: 401, code: 'unauthenticated', message: 'No refresh cookie; sign in again.', requestId: REQUEST_ID });
    }
  });

  it('answers 401 token_invalid for an access token or garbage in the refresh cookie', async () => {
    const s = await signUp(t.app, 'garbage');
    expect((await refresh({ [REFRESH_COOKIE]: s.accessToken }).expect(401)).body).toEqual(INVALID);
    expect((await refresh({ [REFRESH_COOKIE]: 'rt_' + 'A'.repeat(43) }).expect(401)).body).toEqual(INVALID);
  });

  it('refuses a refresh from a foreign origin (csrf_failed) without consuming the token', async () => {
    const s = await signUp(t.app, 'refresh-csrf');
    const res = await http().post('/api/auth/refresh').set('Origin', 'https://evil.example').set('Cookie', cookieHeader(s.cookies, REFRESH_COOKIE)).expect(403);
    expect(res.body).toEqual(errorBody(403, 'csrf_failed'));
    await refresh(s.cookies).expect(200);
  });
});
