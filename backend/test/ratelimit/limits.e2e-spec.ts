import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { RateLimitMetrics } from '../../src/ratelimit/ratelimit.metrics';
import { createTestApp, TestApp } from '../setup/test-app';
import { createOwner, freshIp, LINK_HEADER, limitHeaders, RateLimitTestModule, REQUEST_ID, VISITOR_HEADER } from './helpers';

/** Layered limits on one instance (in-memory counters), with tiny limits so a test can reach them. */
describe('layered rate limits', () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());
  const get = (path: string, ip: string) => http().get(path).set('X-Forwarded-For', ip);
  const asOwner = (token: string, ip: string) => get('/api/auth/me', ip).set('Authorization', `Bearer ${token}`);
  const asVisitor = (visitor: string, link: string, ip: string) =>
    get('/api/test-ratelimit/visitor', ip).set(VISITOR_HEADER, visitor).set(LINK_HEADER, link);

  beforeAll(async () => {
    t = await createTestApp({
      imports: [RateLimitTestModule],
      env: {
        TRUST_PROXY: '1',
        RATE_LIMIT_WINDOW: '60',
        RATE_LIMIT_PER_IP: '6',
        RATE_LIMIT_PER_PRINCIPAL: '3',
        RATE_LIMIT_PER_LINK: '5',
        AUTH_RATE_LIMIT_WINDOW: '60',
        AUTH_RATE_LIMIT_PER_IP: '4',
        AUTH_RATE_LIMIT_PER_EMAIL: '2',
      },
    });
  });
  afterAll(() => t.close());

  it('puts RateLimit-Limit/Remaining/Reset on normal and error responses', async () => {
    const ip = freshIp();
    const first = await get('/api/config', ip).expect(200);
    expect(limitHeaders(first)).toEqual({ limit: 6, remaining: 5, reset: expect.any(Number) });
    expect(limitHeaders(first).reset).toBeGreaterThan(0);
    expect(limitHeaders(first).reset).toBeLessThanOrEqual(60);
    // Every API route, public or not, counts in the one per-IP bucket; a 404 from the handler still carries the headers.
    const missing = await get(`/api/workflows/${randomUUID()}/public`, ip).expect(404);
    expect(limitHeaders(missing)).toMatchObject({ limit: 6, remaining: 4 });
    // CORS lets browser hosts read them.
    const cors = await get('/api/config', ip).set('Origin', 'http://localhost:3000').expect(200);
    expect(cors.headers['access-control-expose-headers']).toMatch(/RateLimit-Remaining/);
  });

  it('reports the tightest bucket: an owner sees the per-principal limit, not the roomier per-IP one', async () => {
    const owner = await createOwner(t);
    const res = await asOwner(owner.pat, freshIp()).expect(200);
    // Creating the personal token in createOwner was this owner's first request.
    expect(limitHeaders(res)).toMatchObject({ limit: 3, remaining: 1 });
  });

  it('answers 429 rate_limited with Retry-After, details.retryAfterSeconds and details.bucket', async () => {
    const ip = freshIp();
    for (let i = 0; i < 6; i++) await get('/api/config', ip).expect(200);
    const res = await get('/api/config', ip).expect(429);
    const retryAfter = Number(res.headers['retry-after']);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.body).toEqual({
      statusCode: 429,
      code: 'rate_limited',
      message: `Too many requests; try again in ${retryAfter} seconds.`,
      requestId: REQUEST_ID,
      details: { retryAfterSeconds: retryAfter, bucket: 'ip' },
    });
    expect(res.headers['x-request-id']).toBe(res.body.requestId);
    expect(limitHeaders(res)).toEqual({ limit: 6, remaining: 0, reset: retryAfter });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    // Another client is unaffected.
    await get('/api/config', freshIp()).expect(200);
  });

  it('keys on the principal after authentication: owners on one IP do not share budgets, the IP bucket stays the ceiling', async () => {
    const [a, b, c, d] = [await createOwner(t, 'a'), await createOwner(t, 'b'), await createOwner(t, 'c'), await createOwner(t, 'd')];
    const office = freshIp();
    // Each owner has 2 of 3 requests left (creating the personal token used one).
    // Owner A: the access JWT and the personal token are one principal.
    await asOwner(a.accessToken, office).expect(200);
    await asOwner(a.pat, office).expect(200);
    const limited = await asOwner(a.accessToken, office).expect(429);
    expect(limited.body.details).toEqual({ retryAfterSeconds: expect.any(Number), bucket: 'principal' });
    // Owners B and C, same address: budgets of their own. (A's refused request was not counted against the address.)
    for (const owner of [b, c]) {
      await asOwner(owner.pat, office).expect(200);
      await asOwner(owner.accessToken, office).expect(200);
    }
    // The address has made 6 counted requests: owner D is refused by the IP bucket, not by its own.
    const ceiling = await asOwner(d.pat, office).expect(429);
    expect(ceiling.body.details.bucket).toBe('ip');
    // From elsewhere D is fine, and A is still limited everywhere (the principal bucket follows the owner).
    await asOwner(d.pat, freshIp()).expect(200);
    expect((await asOwner(a.pat, freshIp()).expect(429)).body.details.bucket).toBe('principal');
  });

  it('gives every visitor a budget of their own and caps each share link as a whole', async () => {
    const link = `link-${randomUUID()}`;
    // Visitor 1 uses up their own budget (3); their refused requests do not count against the link.
    for (let i = 0; i < 3; i++) expect(limitHeaders(await asVisitor('vis_1', link, freshIp()).expect(200)).limit).toBe(3);
    for (let i = 0; i < 3; i++) expect((await asVisitor('vis_1', link, freshIp()).expect(429)).body.details.bucket).toBe('principal');
    // Visitor 2 is unaffected by visitor 1 (the link, 4 of 5 used, is now the tightest bucket)...
    const second = await asVisitor('vis_2', link, freshIp()).expect(200);
    expect(limitHeaders(second)).toMatchObject({ limit: 5, remaining: 1 });
    // ...until the link as a whole reaches its ceiling (5 counted requests).
    const fifth = await asVisitor('vis_2', link, freshIp()).expect(200);
    expect(limitHeaders(fifth)).toMatchObject({ limit: 5, remaining: 0 });
    const flooded = await asVisitor('vis_3', link, freshIp()).expect(429);
    expect(flooded.body.details.bucket).toBe('link');
    // Another share link has its own ceiling.
    await asVisitor('vis_3', `link-${randomUUID()}`, freshIp()).expect(200);
  });

  it('lets routes opt out of every bucket or of one, and pick their own limits', async () => {
    const ip = freshIp();
    for (let i = 0; i < 10; i++) {
      const res = await get('/api/test-ratelimit/unlimited', ip).expect(200);
      expect(limitHeaders(res)).toEqual({});
    }
    for (let i = 0; i < 10; i++) await get('/healthz', ip).expect(200);
    for (let i = 0; i < 10; i++) await get('/api/test-ratelimit/no-ip-bucket', ip).expect(200);
    // None of those counted: the address still has its whole budget.
    expect(limitHeaders(await get('/api/config', ip).expect(200))).toMatchObject({ limit: 6, remaining: 5 });

    // A route with its own, stricter IP limit counts on its own counter.
    const strictIp = freshIp();
    expect(limitHeaders(await get('/api/test-ratelimit/strict', strictIp).expect(200))).toMatchObject({ limit: 2, remaining: 1 });
    await get('/api/test-ratelimit/strict', strictIp).expect(200);
    expect((await get('/api/test-ratelimit/strict', strictIp).expect(429)).body.details.bucket).toBe('ip');
    expect(limitHeaders(await get('/api/config', strictIp).expect(200))).toMatchObject({ limit: 6, remaining: 5 });
  });

  it('folds the login limits into the same headers and error body', async () => {
    const email = `victim-${randomUUID()}@example.com`;
    const login = (ip: string) => http().post('/api/auth/login').set('X-Forwarded-For', ip).send({ email, password: 'wrong password!' });
    // The per-email login bucket (2) is the tightest of ip (6), auth_ip (4) and auth_email.
    expect(limitHeaders(await login(freshIp()).expect(401))).toMatchObject({ limit: 2, remaining: 1 });
    await login(freshIp()).expect(401);
    const res = await login(freshIp()).expect(429);
    expect(res.body).toEqual({
      statusCode: 429,
      code: 'rate_limited',
      message: expect.stringMatching(/^Too many attempts; try again in \d+ seconds\.$/),
      requestId: REQUEST_ID,
      details: { retryAfterSeconds: Number(res.headers['retry-after']), bucket: 'auth_email' },
    });
    expect(limitHeaders(res)).toMatchObject({ limit: 2, remaining: 0 });
  });

  it('counts refusals per bucket for the metrics endpoint', () => {
    const counters = t.app.get(RateLimitMetrics).snapshot();
    expect(counters.rejected).toMatchObject({ ip: expect.any(Number), principal: expect.any(Number), link: 1, auth_email: 1 });
    expect(counters.rejected.ip).toBeGreaterThanOrEqual(2);
    expect(counters.rejected.principal).toBeGreaterThanOrEqual(4);
    expect(counters).toMatchObject({ storeFailOpen: 0, storeFailClosed: 0 });
  });
});
