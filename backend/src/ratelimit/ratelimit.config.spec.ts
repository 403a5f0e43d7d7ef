import { loadRateLimitConfig } from './ratelimit.config';

describe('rate-limit config', () => {
  it('defaults: 120/min per IP, 60/min per principal, 600/min per link, in memory, mixed failure policy', () => {
    expect(loadRateLimitConfig({})).toMatchObject({
      windowSeconds: 60,
      perIp: 120,
      perPrincipal: 60,
      perLink: 600,
      redisUrl: null,
      redisFailure: 'mixed',
      redisTimeoutMs: 500,
    });
  });

  it('reads every variable', () => {
    const c = loadRateLimitConfig({
      RATE_LIMIT_WINDOW: '10',
      RATE_LIMIT_PER_IP: '5',
      RATE_LIMIT_PER_PRINCIPAL: '4',
      RATE_LIMIT_PER_LINK: '3',
      REDIS_URL: 'rediss://:secret@redis.internal:6380/2',
      RATE_LIMIT_REDIS_FAILURE: 'CLOSED',
      RATE_LIMIT_REDIS_TIMEOUT_MS: '200',
    });
    expect(c).toMatchObject({ windowSeconds: 10, perIp: 5, perPrincipal: 4, perLink: 3, redisFailure: 'closed', redisTimeoutMs: 200 });
    expect(c.redisUrl).toBe('rediss://:secret@redis.internal:6380/2');
  });

  it('refuses bad values, naming them, and never echoes a Redis URL', () => {
    expect(() => loadRateLimitConfig({ RATE_LIMIT_PER_IP: '0' })).toThrow(/rateLimit\.perIp/);
    expect(() => loadRateLimitConfig({ RATE_LIMIT_WINDOW: 'soon' })).toThrow(/RATE_LIMIT_WINDOW must be an integer/);
    expect(() => loadRateLimitConfig({ RATE_LIMIT_REDIS_FAILURE: 'maybe' })).toThrow(/RATE_LIMIT_REDIS_FAILURE must be one of mixed, open, closed/);
    expect(() => loadRateLimitConfig({ RATE_LIMIT_REDIS_TIMEOUT_MS: '0' })).toThrow(/rateLimit\.redisTimeoutMs/);
    let message = '';
    try {
      loadRateLimitConfig({ REDIS_URL: 'http://user:hunter2@example.com' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(message).not.toContain('hunter2');
  });
});
