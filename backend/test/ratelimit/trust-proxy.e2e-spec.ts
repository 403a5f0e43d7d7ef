import request from 'supertest';
import { createTestApp, TestApp } from '../setup/test-app';
import { freshIp, limitHeaders } from './helpers';

/**
 * Which address is the client is decided by `TRUST_PROXY` (Express `trust proxy`), never by the raw
 * `X-Forwarded-For`: a client that forges the header must not get a fresh per-IP bucket. The test
 * client connects from 127.0.0.1, which plays either the client itself or the reverse proxy.
 */
describe.each([
  { trustProxy: undefined, peerTrusted: false, case: 'unset (no proxy)' },
  { trustProxy: '10.0.0.0/8, 192.168.0.1', peerTrusted: false, case: 'a proxy list without the peer' },
  { trustProxy: '1', peerTrusted: true, case: 'one hop' },
  { trustProxy: '127.0.0.0/8', peerTrusted: true, case: 'a CIDR list with the peer' },
])('TRUST_PROXY $case', ({ trustProxy, peerTrusted }) => {
  let t: TestApp;
  const config = (xff?: string) => {
    const req = request(t.app.getHttpServer()).get('/api/config');
    return xff === undefined ? req : req.set('X-Forwarded-For', xff);
  };

  beforeAll(async () => {
    t = await createTestApp({ env: { TRUST_PROXY: trustProxy, RATE_LIMIT_PER_IP: '3', RATE_LIMIT_WINDOW: '60' } });
  });
  afterAll(() => t.close());

  if (!peerTrusted) {
    it('ignores X-Forwarded-For from an untrusted peer: a forged address does not get a fresh bucket', async () => {
      for (let i = 0; i < 3; i++) await config(freshIp()).expect(200);
      const spoofed = await config(freshIp()).expect(429);
      expect(spoofed.body).toMatchObject({ code: 'rate_limited', details: { bucket: 'ip' } });
      // Nor does a forged chain.
      expect((await config(`${freshIp()}, ${freshIp()}`).expect(429)).body.details.bucket).toBe('ip');
      await config().expect(429);
    });
  } else {
    it('honours X-Forwarded-For from a trusted proxy: each client address has its own bucket', async () => {
      const client = freshIp();
      for (let i = 0; i < 3; i++) await config(client).expect(200);
      expect((await config(client).expect(429)).body.details.bucket).toBe('ip');
      expect(limitHeaders(await config(freshIp()).expect(200))).toMatchObject({ limit: 3, remaining: 2 });
    });

    it('uses the hop the trusted proxy added, not addresses the client put in front of it', async () => {
      const client = freshIp();
      // The proxy appends the address it saw; whatever the client sent itself stays to the left.
      for (let i = 0; i < 3; i++) await config(`${freshIp()}, ${client}`).expect(200);
      expect((await config(`${freshIp()}, ${client}`).expect(429)).body.details.bucket).toBe('ip');
    });
  }
});
