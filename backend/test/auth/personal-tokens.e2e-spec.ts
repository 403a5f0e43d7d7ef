import request from 'supertest';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../../src/auth/auth.cookies';
import { findInDatabase } from '../factories/db-scan';
import { createTestApp, TestApp } from '../setup/test-app';
import { cookieHeader, errorBody, REQUEST_ID, Session, signUp } from './helpers';

describe('personal access tokens', () => {
  let t: TestApp;
  let alice: Session;
  let bob: Session;
  const http = () => request(t.app.getHttpServer());
  const as = (s: Session | string) => `Bearer ${typeof s === 'string' ? s : s.accessToken}`;

  beforeAll(async () => {
    t = await createTestApp();
    alice = await signUp(t.app, 'alice');
    bob = await signUp(t.app, 'bob');
  });
  afterAll(() => t.close());

  it('lifecycle: created and shown once, hashed at rest, usable as Bearer, listed without value, revoked', async () => {
    const expiresAt = new Date(Date.now() + 7 * 86400_000).toISOString();
    const created = await http().post('/api/auth/tokens').set('Authorization', as(alice)).send({ name: ' deploy ', expiresAt }).expect(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'deploy',
      token: expect.stringMatching(/^pat_[A-Za-z0-9_-]{43}$/),
      createdAt: expect.stringMatching(/Z$/),
      expiresAt,
    });
    const token: string = created.body.token;

    // Hashed at rest: the plain token appears nowhere in the database.
    expect(await findInDatabase(t.dataSource, token)).toEqual([]);
    expect(await findInDatabase(t.dataSource, token.slice(4))).toEqual([]);
    const [row] = await t.dataSource.query(`SELECT encode(token_hash, 'hex') AS hash, last_used_at FROM personal_access_tokens WHERE id = $1`, [created.body.id]);
    expect(row.hash).toBe(require('node:crypto').createHash('sha256').update(token).digest('hex'));
    expect(row.last_used_at).toBeNull();

    // Accepted wherever the owner JWT is, and records its last use.
    const me = await http().get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(me.body.user.id).toBe(alice.userId);
    const list = await http().get('/api/auth/tokens').set('Authorization', `Bearer ${token}`).expect(200);
    expect(list.body).toEqual({
      tokens: [{ id: created.body.id, name: 'deploy', createdAt: created.body.createdAt, expiresAt, lastUsedAt: expect.stringMatching(/Z$/) }],
    });
    expect(JSON.stringify(list.body)).not.toContain(token);

    await http().delete(`/api/auth/tokens/${created.body.id}`).set('Authorization', as(alice)).expect(204);
    const after = await http().get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(401);
    expect(after.body).toEqual({ statusCode: 401, code: 'token_invalid', message: 'The token is not valid.', requestId: REQUEST_ID });
    expect((await http().get('/api/auth/tokens').set('Authorization', as(alice)).expect(200)).body).toEqual({ tokens: [] });
    // Revoking twice is a 404: there is no live token with that id any more.
    await http().delete(`/api/auth/tokens/${created.body.id}`).set('Authorization', as(alice)).expect(404);
  });

  it('creates tokens without expiry', async () => {
    const res = await http().post('/api/auth/tokens').set('Authorization', as(alice)).send({ name: 'forever' }).expect(201);
    expect(res.body.expiresAt).toBeNull();
  });

  it('answers 401 token_expired once a token is past its expiry', async () => {
    const res = await http()
      .post('/api/auth/tokens')
      .set('Authorization', as(alice))
      .send({ name: 'short', expiresAt: new Date(Date.now() + 60_000).toISOString() })
      .expect(201);
    await t.dataSource.query(`UPDATE personal_access_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [res.body.id]);
    const expired = await http().get('/api/auth/me').set('Authorization', `Bearer ${res.body.token}`).expect(401);
    expect(expired.body).toEqual(errorBody(401, 'token_expired'));
  });

  it('validates the body: name required, expiresAt a future date-time', async () => {
    const post = (body: object) => http().post('/api/auth/tokens').set('Authorization', as(alice)).send(body);
    expect((await post({}).expect(400)).body.details.fields).toHaveProperty('name');
    expect((await post({ name: 'x', expiresAt: 'tomorrow' }).expect(400)).body.details.fields).toHaveProperty('expiresAt');
    const past = await post({ name: 'x', expiresAt: new Date(Date.now() - 1000).toISOString() }).expect(400);
    expect(past.body.details.fields).toEqual({ expiresAt: ['expiresAt must be in the future'] });
    expect((await post({ name: 'x', scopes: ['all'] }).expect(400)).body.details.fields).toHaveProperty('scopes');
  });

  it("keeps owners apart: another user's token id is 404 and absent from their list", async () => {
    const mine = await http().post('/api/auth/tokens').set('Authorization', as(alice)).send({ name: 'alice only' }).expect(201);
    const res = await http().delete(`/api/auth/tokens/${mine.body.id}`).set('Authorization', as(bob)).expect(404);
    expect(res.body).toEqual({ statusCode: 404, code: 'not_found', message: 'No such personal access token.', requestId: REQUEST_ID });
    const bobs = await http().get('/api/auth/tokens').set('Authorization', as(bob)).expect(200);
    expect(bobs.body.tokens.map((x: { id: string }) => x.id)).not.toContain(mine.body.id);
    await http().get('/api/auth/me').set('Authorization', `Bearer ${mine.body.token}`).expect(200);
  });

  it('answers 400 validation_failed for a malformed id', async () => {
    const res = await http().delete('/api/auth/tokens/not-a-uuid').set('Authorization', as(alice)).expect(400);
    expect(res.body.details).toEqual({ fields: { id: ['id must be a UUID'] } });
  });

  it('answers 401 unauthenticated on every route without credentials', async () => {
    for (const req of [http().post('/api/auth/tokens').send({ name: 'x' }), http().get('/api/auth/tokens'), http().delete(`/api/auth/tokens/${alice.userId}`)]) {
      const res = await req.expect(401);
      expect(res.body).toEqual({ statusCode: 401, code: 'unauthenticated', message: 'Authentication is required.', requestId: REQUEST_ID });
    }
  });

  it('answers 401 for the wrong credential kind: refresh cookie only, refresh token as Bearer, unknown pat_', async () => {
    const refreshOnly = await http().get('/api/auth/tokens').set('Cookie', cookieHeader(alice.cookies, REFRESH_COOKIE)).expect(401);
    expect(refreshOnly.body.code).toBe('unauthenticated');
    const refreshBearer = await http().get('/api/auth/tokens').set('Authorization', `Bearer ${alice.cookies[REFRESH_COOKIE]}`).expect(401);
    expect(refreshBearer.body.code).toBe('token_invalid');
    const unknown = await http().get('/api/auth/tokens').set('Authorization', `Bearer pat_${'A'.repeat(43)}`).expect(401);
    expect(unknown.body.code).toBe('token_invalid');
    const malformed = await http().get('/api/auth/tokens').set('Authorization', 'Bearer pat_short').expect(401);
    expect(malformed.body.code).toBe('token_invalid');
  });

  it('never accepts a PAT from a cookie (PATs are Bearer-only)', async () => {
    const pat = await http().post('/api/auth/tokens').set('Authorization', as(alice)).send({ name: 'cookie' }).expect(201);
    const res = await http().get('/api/auth/me').set('Cookie', `${ACCESS_COOKIE}=${pat.body.token}`).expect(401);
    expect(res.body.code).toBe('token_invalid');
  });
});
