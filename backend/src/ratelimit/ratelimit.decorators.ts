import { applyDecorators, SetMetadata } from '@nestjs/common';
import { SkipThrottle, Throttle } from '@nestjs/throttler';
import type { RateLimitBucket } from './ratelimit.buckets';

export const SKIP_RATE_LIMIT_KEY = 'parley:rate-limit:skip';
export const RATE_LIMIT_OVERRIDE_KEY = 'parley:rate-limit:override';

/**
 * Takes a route (or controller) out of rate limiting: with no argument out of every bucket
 * (health probes, metrics scrapes), with bucket names out of those only.
 */
export function SkipRateLimit(...buckets: RateLimitBucket[]): MethodDecorator & ClassDecorator {
  if (!buckets.length) return SetMetadata(SKIP_RATE_LIMIT_KEY, true);
  return SkipThrottle(Object.fromEntries(buckets.map((b) => [b, true])));
}

/** A route's own limit for a bucket; `windowSeconds` defaults to the bucket's configured window. */
export interface RouteLimit {
  limit: number;
  windowSeconds?: number;
}

/**
 * Gives a route (or controller) its own limits for some buckets, e.g.
 * `@RateLimit({ principal: { limit: 10 } })` on an expensive export. Such a route counts those
 * buckets on its own counters, apart from the shared per-IP / per-principal ones.
 */
export function RateLimit(limits: Partial<Record<RateLimitBucket, RouteLimit>>): MethodDecorator & ClassDecorator {
  const entries = Object.entries(limits) as [RateLimitBucket, RouteLimit][];
  return applyDecorators(
    SetMetadata(RATE_LIMIT_OVERRIDE_KEY, entries.map(([bucket]) => bucket)),
    Throttle(
      Object.fromEntries(
        entries.map(([bucket, { limit, windowSeconds }]) => [bucket, windowSeconds ? { limit, ttl: windowSeconds * 1000 } : { limit }]),
      ),
    ),
  );
}
