import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { RateLimitMetrics } from '../../src/ratelimit/ratelimit.metrics';
import { createTestApp, TestApp } from '../setup/test-app';
import { createOwner, freshIp, limitHeaders, REQUEST_ID, TestOwner } from './helpers';
import { findRedisServer, freePort, RedisProcess } from './redis-server';

const binary = findRedisServer();
// CI installs redis-server: there a missing binary is a failure, never a silent skip.
const inCi = /^(1|true)$/i.test(process.env.CI ?? '');
const suite = binary || inCi ? describe : describe.skip;

const unavailable = {
  statusCode: 503,
  code: 'rate_limit_unavailable',
  message: 'Rate limiting is temporarily unavailable; try again shortly.',
  requestId: REQUEST_ID,
  details: { retryAfterSeconds: 5 },
};

/** Two app instances on one database and one real Redis (a child redis-server this file starts, stops and freezes). */
suite('rate limits shared through Redis', () => {
  let redis: RedisProcess;
  let a: TestApp;
  let b: TestApp;
  let owner: TestOwner;
  /** A canvas chat session JWT of `owner`. */
  let chatToken: string;
  const baseEnv = { TRUST_PROXY: '1', RATE_LIMIT_PER_IP: '5', RATE_LIMIT_WINDOW: '60', RATE_LIMIT_REDIS_TIMEOUT_MS: '300' };

  const publicRoute = (t: TestApp, ip = freshIp()) =>
    request(t.app.getHttpServer()).get(`/api/workflows/${randomUUID()}/public`).set('X-Forwarded-For', ip);
  const ownerRoute = (t: TestApp, ip = freshIp()) =>
    request(t.app.getHttpServer()).get('/api/auth/me').set('X-Forwarded-For', ip).set('Authorization', `Bearer ${owner.pat}`);

  /** Polls until the public route is counted again (404 with headers) after Redis came back. */
  async function untilRecovered(t: TestApp): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const res = await publicRoute(t);
      if (res.status === 404 && limitHeaders(res).limit === 5) return;
      if (Date.now() > deadline) throw new Error(`still ${res.status} ${JSON.stringify(res.body)} 10 s after Redis came back`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    if (!binary) throw new Error('redis-server is required when CI is set: apt-get install -y redis-server (or set REDIS_SERVER).');
    redis = await RedisProcess.start(binary);
    a = await createTestApp({ env: { ...baseEnv, REDIS_URL: redis.url } });
    b = await createTestApp({ env: { ...baseEnv, REDIS_URL: redis.url }, keepData: true });
    owner = await createOwner(a);
    const ip = freshIp();
    const auth = `Bearer ${owner.pat}`;
    const workflow = await request(a.app.getHttpServer()).post('/api/workflows').set('X-Forwarded-For', ip).set('Authorization', auth).send({ name: 'Chat', runner: { kind: 'echo' } }).expect(201);
    const session = await request(a.app.getHttpServer()).post(`/api/workflows/${workflow.body.id}/chatkit/session`).set('X-Forwarded-For', ip).set('Authorization', auth).send({}).expect(200);
    chatToken = session.body.token as string;
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.dispose();
  });

  it('shares one limit between instances: the sum of admitted requests never exceeds it', async () => {
    const ip = freshIp();
    // Sequentially, each instance sees the other's hits.
    expect(limitHeaders(await publicRoute(a, ip).expect(404))).toMatchObject({ limit: 5, remaining: 4 });
    expect(limitHeaders(await publicRoute(b, ip).expect(404))).toMatchObject({ limit: 5, remaining: 3 });
    expect(limitHeaders(await publicRoute(a, ip).expect(404))).toMatchObject({ limit: 5, remaining: 2 });

    // Concurrently, through both instances at once: exactly the limit is admitted.
    const burstIp = freshIp();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => publicRoute(i % 2 ? a : b, burstIp)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 404)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    for (const limited of answers.filter((r) => r.status === 429)) expect(limited.body.details.bucket).toBe('ip');
  });

  it('keeps owner and canvas chat traffic flowing and refuses public traffic with 503 while Redis is down, without waiting on it', async () => {
    await redis.stop();
    const before = a.app.get(RateLimitMetrics).snapshot();

    for (const t of [a, b]) {
      const started = Date.now();
      const own = await ownerRoute(t).expect(200);
      expect(own.body.user.id).toBe(owner.userId);
      expect(limitHeaders(own)).toEqual({});
      const pub = await publicRoute(t).expect(503);
      expect(pub.body).toEqual(unavailable);
      expect(pub.headers['retry-after']).toBe('5');
      expect(Date.now() - started).toBeLessThan(1500);
    }
    // Canvas chat (chat session JWT) is authenticated traffic too.
    await request(b.app.getHttpServer())
      .post('/api/chatkit')
      .set('X-Forwarded-For', freshIp())
      .set('Authorization', `Bearer ${chatToken}`)
      .send({ type: 'threads.list', params: {} })
      .expect(200);
    // Anonymous credential routes are public traffic too; probes are not limited at all.
    const login = await request(a.app.getHttpServer()).post('/api/auth/login').send({ email: 'x@example.com', password: 'whatever it is' }).expect(503);
    expect(login.body.code).toBe('rate_limit_unavailable');
    await request(a.app.getHttpServer()).get('/healthz').expect(200);

    const after = a.app.get(RateLimitMetrics).snapshot();
    expect(after.storeFailOpen).toBe(before.storeFailOpen + 1);
    expect(after.storeFailClosed).toBe(before.storeFailClosed + 2);
  });

  it('recovers by itself when Redis is back, and limits again', async () => {
    await redis.start();
    await untilRecovered(a);
    await untilRecovered(b);
    const ip = freshIp();
    for (let i = 0; i < 5; i++) await publicRoute(i % 2 ? a : b, ip).expect(404);
    expect((await publicRoute(a, ip).expect(429)).body.details.bucket).toBe('ip');
    expect(limitHeaders(await ownerRoute(b).expect(200)).limit).toBeDefined();
  });

  it('does not hang on a Redis that accepts connections but answers nothing (command timeout)', async () => {
    redis.freeze();
    try {
      const started = Date.now();
      await ownerRoute(a).expect(200);
      expect((await publicRoute(b).expect(503)).body.code).toBe('rate_limit_unavailable');
      // Two requests, each bounded by RATE_LIMIT_REDIS_TIMEOUT_MS (300 ms) plus overhead.
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      redis.thaw();
    }
    await untilRecovered(a);
    await untilRecovered(b);
  });

  describe('Redis unreachable from boot', () => {
    let deadUrl: string;
    beforeAll(async () => {
      deadUrl = `redis://127.0.0.1:${await freePort()}`;
    });

    it('closed: refuses owners too', async () => {
      const t = await createTestApp({ env: { ...baseEnv, REDIS_URL: deadUrl, RATE_LIMIT_REDIS_FAILURE: 'closed' }, keepData: true });
      try {
        expect((await ownerRoute(t).expect(503)).body).toEqual(unavailable);
        await publicRoute(t).expect(503);
      } finally {
        await t.close();
      }
    });

    it('boots while Redis is down and starts counting once it answers, without a restart', async () => {
      const late = await RedisProcess.create(binary!);
      const t = await createTestApp({ env: { ...baseEnv, REDIS_URL: late.url }, keepData: true });
      try {
        await publicRoute(t).expect(503);
        await ownerRoute(t).expect(200);
        await late.start();
        await untilRecovered(t);
      } finally {
        await t.close();
        await late.dispose();
      }
    });

    it('open: lets public traffic through too', async () => {
      const t = await createTestApp({ env: { ...baseEnv, REDIS_URL: deadUrl, RATE_LIMIT_REDIS_FAILURE: 'open' }, keepData: true });
      try {
        const res = await publicRoute(t).expect(404);
        expect(limitHeaders(res)).toEqual({});
        await ownerRoute(t).expect(200);
        expect(t.app.get(RateLimitMetrics).snapshot()).toMatchObject({ storeFailOpen: 2, storeFailClosed: 0 });
      } finally {
        await t.close();
      }
    });
  });
});
