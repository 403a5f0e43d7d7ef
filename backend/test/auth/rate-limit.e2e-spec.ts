import request from 'supertest';
import { createTestApp, TestApp } from '../setup/test-app';
import { PASSWORD, REQUEST_ID, register, uniqueEmail } from './helpers';

const rateLimited = (bucket: 'auth_ip' | 'auth_email') => ({
  statusCode: 429,
  code: 'rate_limited',
  message: expect.stringMatching(/^Too many attempts; try again in \d+ seconds\.$/),
  requestId: REQUEST_ID,
  details: { retryAfterSeconds: expect.any(Number), bucket },
});

describe('login and register rate limits', () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());
  const login = (email: string, ip = '203.0.113.1') =>
    http().post('/api/auth/login').set('X-Forwarded-For', ip).send({ email, password: 'wrong password!' });

  beforeAll(async () => {
    t = await createTestApp({
      env: { AUTH_RATE_LIMIT_PER_EMAIL: '3', AUTH_RATE_LIMIT_PER_IP: '5', AUTH_RATE_LIMIT_WINDOW: '60', TRUST_PROXY: '1' },
    });
  });
  afterAll(() => t.close());

  it('limits attempts per email across IPs, with Retry-After and details.retryAfterSeconds', async () => {
    const email = uniqueEmail('victim');
    await register(t.app, email);
    for (let i = 0; i < 3; i++) await login(email, `198.51.100.${i}`).expect(401);
    // Same account, a new IP, different letter case: still the same bucket.
    const res = await login(email.toUpperCase(), '198.51.100.99').expect(429);
    expect(res.body).toEqual(rateLimited('auth_email'));
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.body.details.retryAfterSeconds).toBe(retryAfter);
    // Even the right password waits: the limit is checked before credentials.
    await http().post('/api/auth/login').set('X-Forwarded-For', '198.51.100.100').send({ email, password: PASSWORD }).expect(429);
  });

  it('limits attempts per client IP across emails (proxy-aware)', async () => {
    for (let i = 0; i < 5; i++) await login(uniqueEmail('spray'), '203.0.113.7').expect(401);
    const res = await login(uniqueEmail('spray'), '203.0.113.7').expect(429);
    expect(res.body).toEqual(rateLimited('auth_ip'));
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    // Another client is unaffected.
    await login(uniqueEmail('spray'), '203.0.113.8').expect(401);
  });

  it('limits register separately from login', async () => {
    const ip = '192.0.2.50';
    for (let i = 0; i < 5; i++) {
      await http().post('/api/auth/register').set('X-Forwarded-For', ip).send({ email: uniqueEmail('reg'), password: PASSWORD }).expect(201);
    }
    const res = await http().post('/api/auth/register').set('X-Forwarded-For', ip).send({ email: uniqueEmail('reg'), password: PASSWORD }).expect(429);
    expect(res.body).toEqual(rateLimited('auth_ip'));
    await login(uniqueEmail('other'), ip).expect(401);
  });

  it('counts requests without an email against the IP only', async () => {
    const ip = '192.0.2.77';
    for (let i = 0; i < 5; i++) await http().post('/api/auth/login').set('X-Forwarded-For', ip).send({}).expect(400);
    await http().post('/api/auth/login').set('X-Forwarded-For', ip).send({}).expect(429);
  });
});
