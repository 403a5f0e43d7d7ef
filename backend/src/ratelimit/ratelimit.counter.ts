import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ThrottlerStorage } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { Principal } from '../auth/principal';
import type { RequestLog } from '../common/logging/request-log';
import { passesWhileStoreDown, principalKeyOf } from './ratelimit.buckets';
import { rateLimitConfig } from './ratelimit.config';
import { RateLimitedError, RateLimitUnavailableError } from './ratelimit.errors';
import { RateLimitMetrics } from './ratelimit.metrics';
import { RATE_LIMIT_STORAGE } from './ratelimit.storage';

/**
 * Limits for actions a route cannot see from its path: the ChatKit endpoint dispatches on the body,
 * so `attachments.create` is counted here, by the chat service, in the same store as the guards
 * (Redis across instances) and with the same answers: 429 `rate_limited` with `Retry-After`, or
 * the store-failure policy.
 */
@Injectable()
export class RateLimitCounter {
  constructor(
    @Inject(rateLimitConfig.KEY) private readonly config: ConfigType<typeof rateLimitConfig>,
    @Inject(RATE_LIMIT_STORAGE) private readonly storage: ThrottlerStorage,
    private readonly metrics: RateLimitMetrics,
  ) {}

  /** Counts one attachment creation for `principal`; throws when its `attachments` bucket is exhausted. */
  async attachmentCreated(principal: Principal, log: RequestLog | undefined): Promise<void> {
    // The principal bucket's key, so one person is one budget however many sessions or devices they use.
    const tracker = principalKeyOf({ principal } as unknown as Request);
    if (!tracker) return;
    const key = `parley:rl:${createHash('sha256').update(`attachments|*|${tracker}`).digest('base64url')}`;
    const ttl = this.config.windowSeconds * 1000;
    const limit = this.config.attachmentsPerPrincipal;
    let record: Awaited<ReturnType<ThrottlerStorage['increment']>>;
    try {
      record = await this.storage.increment(key, ttl, limit, ttl, 'attachments');
    } catch (err) {
      const passes = passesWhileStoreDown(this.config.redisFailure, principal);
      this.metrics.storeFailed(passes, err, log);
      if (!passes) throw new RateLimitUnavailableError();
      return;
    }
    this.metrics.storeAnswered(log);
    if (record.isBlocked) {
      const retryAfterSeconds = Math.max(1, record.timeToBlockExpire);
      this.metrics.rejected('attachments');
      throw new RateLimitedError('attachments', retryAfterSeconds, `Too many attachments; try again in ${retryAfterSeconds} seconds.`);
    }
  }
}
