import { DomainError } from '../common/errors/domain-error';
import type { RateLimitBucket } from './ratelimit.buckets';

/** 429: one bucket is exhausted. Carries `Retry-After` and says which bucket. */
export class RateLimitedError extends DomainError {
  constructor(bucket: RateLimitBucket, retryAfterSeconds: number, message: string) {
    super('rate_limited', message, { retryAfterSeconds, bucket }, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/** Seconds a refused client is told to wait while the counter store is down; reconnecting takes about a second. */
export const STORE_DOWN_RETRY_AFTER_SECONDS = 5;

/** 503: the shared counter store is unreachable and this traffic fails closed. */
export class RateLimitUnavailableError extends DomainError {
  constructor() {
    super(
      'rate_limit_unavailable',
      'Rate limiting is temporarily unavailable; try again shortly.',
      { retryAfterSeconds: STORE_DOWN_RETRY_AFTER_SECONDS },
      { 'Retry-After': String(STORE_DOWN_RETRY_AFTER_SECONDS) },
    );
  }
}
