import { FactoryProvider, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import Redis from 'ioredis';
import { MemoryRateLimitStorage } from './memory-storage';
import { rateLimitConfig } from './ratelimit.config';

/** The counter store every rate-limit guard shares: in memory, or Redis when `REDIS_URL` is set. */
export const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');

/** Where Redis is, without credentials, for log lines. */
function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'redis';
  }
}

/**
 * Counters in Redis, shared by every instance: one Lua script per hit (`@nest-lab/throttler-storage-redis`),
 * so concurrent instances never admit more than the limit between them.
 *
 * Tuned so that a dead or stuck Redis never holds a request: no offline queue (a command while
 * disconnected fails at once), short connect and command timeouts, no retries per command. The
 * client reconnects in the background forever, so the limiter recovers without a restart.
 */
export class RedisRateLimitStorage implements ThrottlerStorage, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  readonly client: Redis;
  private readonly store: ThrottlerStorageRedisService;
  private readonly where: string;
  private connectionLost = false;

  constructor(url: string, private readonly timeoutMs: number) {
    this.where = describe(url);
    this.client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      disconnectTimeout: timeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Reconnect quickly and keep trying: the outage ends when Redis answers, not when someone restarts us.
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    });
    // Without a listener ioredis prints every failed reconnect to stderr; one line per outage is enough.
    this.client.on('error', (err: Error) => {
      if (this.connectionLost) return;
      this.connectionLost = true;
      this.logger.warn(`Redis at ${this.where} unreachable: ${err.message}; reconnecting in the background.`);
    });
    this.client.on('ready', () => {
      if (this.connectionLost) this.logger.log(`Redis at ${this.where} connected again.`);
      this.connectionLost = false;
    });
    this.store = new ThrottlerStorageRedisService(this.client);
  }

  /** Connects before the app serves; a Redis that is down at boot does not stop the boot (the failure policy applies). */
  async onModuleInit(): Promise<void> {
    try {
      await this.client.connect();
      this.logger.log(`Rate-limit counters in Redis at ${this.where}.`);
    } catch (err) {
      // The 'error' listener has usually said so already.
      if (!this.connectionLost) this.logger.warn(`Redis at ${this.where} unreachable at start-up: ${(err as Error).message}.`);
      this.connectionLost = true;
      this.logger.warn(`Starting anyway: RATE_LIMIT_REDIS_FAILURE applies until Redis answers (timeout ${this.timeoutMs} ms).`);
    }
  }

  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    return this.store.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  onApplicationShutdown(): void {
    this.client.disconnect();
  }
}

/** In memory for one instance; Redis when `REDIS_URL` is set. Both count in fixed windows, the same way. */
export const rateLimitStorageProvider: FactoryProvider<ThrottlerStorage> = {
  provide: RATE_LIMIT_STORAGE,
  inject: [rateLimitConfig.KEY],
  useFactory: (config: ConfigType<typeof rateLimitConfig>) =>
    config.redisUrl ? new RedisRateLimitStorage(config.redisUrl, config.redisTimeoutMs) : new MemoryRateLimitStorage(),
};
