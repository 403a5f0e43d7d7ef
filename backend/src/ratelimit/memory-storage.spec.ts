import { MemoryRateLimitStorage } from './memory-storage';

describe('MemoryRateLimitStorage (the Redis script\'s algorithm, in memory)', () => {
  let now = 1_000_000;
  const clock = () => now;
  const hit = (s: MemoryRateLimitStorage, key = 'ip:1', limit = 3, ttl = 60_000, block = 60_000) => s.increment(key, ttl, limit, block, 'default');

  beforeEach(() => {
    now = 1_000_000;
  });

  it('counts hits in a fixed window and blocks past the limit until the block ends', async () => {
    const s = new MemoryRateLimitStorage(clock);
    expect(await hit(s)).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    await hit(s);
    expect((await hit(s)).isBlocked).toBe(false);
    now += 10_000;
    expect(await hit(s)).toEqual({ totalHits: 4, timeToExpire: 50, isBlocked: true, timeToBlockExpire: 60 });
    // Still blocked after the window itself ended: the block has its own duration.
    now += 55_000;
    expect(await hit(s)).toMatchObject({ isBlocked: true, timeToBlockExpire: 5 });
    now += 5_000;
    expect(await hit(s)).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    s.onApplicationShutdown();
  });

  it('resets the count when a window ends without a block, and keeps keys and throttlers apart', async () => {
    const s = new MemoryRateLimitStorage(clock);
    await hit(s, 'a');
    await hit(s, 'a');
    expect((await s.increment('a', 60_000, 3, 60_000, 'other')).totalHits).toBe(1);
    expect((await hit(s, 'b')).totalHits).toBe(1);
    now += 60_000;
    expect((await hit(s, 'a')).totalHits).toBe(1);
    s.onApplicationShutdown();
  });

  it('costs the same per request whatever the limit (no per-hit bookkeeping), and sweeps ended windows', async () => {
    const s = new MemoryRateLimitStorage(clock);
    for (let i = 0; i < 50_000; i++) await hit(s, 'busy', 1_000_000);
    expect((await hit(s, 'busy', 1_000_000)).totalHits).toBe(50_001);
    await hit(s, 'other');
    expect(s.size).toBe(2);
    now += 61_000;
    s.sweep();
    expect(s.size).toBe(0);
    s.onApplicationShutdown();
  });
});
