import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerOptions, ThrottlerRequest, ThrottlerStorage } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Principal } from '../auth/principal';
import { requestLog } from '../common/logging/request-log';
import { BucketOutcome, passesWhileStoreDown, RateLimitBucket, tightestOf } from './ratelimit.buckets';
import type { RedisFailureMode } from './ratelimit.config';
import { RATE_LIMIT_OVERRIDE_KEY, SKIP_RATE_LIMIT_KEY } from './ratelimit.decorators';
import { RateLimitedError, RateLimitUnavailableError } from './ratelimit.errors';
import { RateLimitMetrics } from './ratelimit.metrics';

/** One named limit of a layered guard. */
export interface BucketOptions extends ThrottlerOptions {
  name: RateLimitBucket;
  /** Count per route (login and register apart) instead of one counter across every route. */
  perRoute?: boolean;
}

/** What the guards of one request learned so far; several guards (global, then route) add to it. */
interface RequestState {
  outcomes: BucketOutcome[];
  /** The store failed for this request and the request was let through: count nothing more. */
  passedWithoutStore: boolean;
}

const STATE = Symbol('parley:rate-limit');

/** How many hashed store keys a guard remembers (a SHA-256 per bucket per request otherwise). */
const HASHED_KEYS_KEPT = 10_000;

function stateOf(req: Request): RequestState {
  const holder = req as Request & { [STATE]?: RequestState };
  return (holder[STATE] ??= { outcomes: [], passedWithoutStore: false });
}

/**
 * `ThrottlerGuard` with Parley's contract, shared by the global limiter and the credential limiter:
 * every bucket's state is collected and the tightest one is reported in `RateLimit-Limit`,
 * `RateLimit-Remaining` and `RateLimit-Reset`; an exhausted bucket answers 429 `rate_limited`
 * (`Retry-After`, `details.retryAfterSeconds`, `details.bucket`); an unreachable store answers per
 * `RATE_LIMIT_REDIS_FAILURE`. Routes opt out with `@SkipRateLimit()`.
 */
export abstract class LayeredThrottlerGuard extends ThrottlerGuard {
  private readonly perRoute: ReadonlySet<string>;
  /** Hashed store keys by their clear text, oldest first (bounded: `HASHED_KEYS_KEPT`). */
  private readonly keys = new Map<string, string>();

  protected constructor(
    buckets: BucketOptions[],
    storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly failureMode: RedisFailureMode,
    private readonly metrics: RateLimitMetrics,
  ) {
    // Headers are written here from every bucket at once, not per bucket by the base class.
    super({ throttlers: buckets, setHeaders: false }, storage, reflector);
    this.perRoute = new Set(buckets.filter((b) => b.perRoute).map((b) => b.name));
  }

  /** The 429 message; credential guards say "attempts". */
  protected abstract messageFor(retryAfterSeconds: number): string;

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    // The global auth guard refuses every other transport; nothing to count here.
    if (context.getType() !== 'http') return true;
    await super.canActivate(context);
    const { req, res } = this.http(context);
    const tightest = tightestOf(stateOf(req).outcomes);
    if (tightest) writeHeaders(res, tightest.limit, tightest.remaining, tightest.resetSeconds);
    return true;
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return this.reflector.getAllAndOverride<boolean>(SKIP_RATE_LIMIT_KEY, [context.getHandler(), context.getClass()]) === true;
  }

  /** Counts the request in one bucket (the base class calls this per bucket, in order, stopping at the first 429). */
  protected override async handleRequest({ context, limit, ttl, throttler, blockDuration, getTracker, generateKey }: ThrottlerRequest): Promise<boolean> {
    const { req, res } = this.http(context);
    const state = stateOf(req);
    if (state.passedWithoutStore) return true;
    const bucket = throttler.name as RateLimitBucket;
    const key = generateKey(context, await getTracker(req, context), bucket);

    let record: Awaited<ReturnType<ThrottlerStorage['increment']>>;
    try {
      record = await this.storageService.increment(key, ttl, limit, blockDuration, bucket);
    } catch (err) {
      const principal = (req as Request & { principal?: Principal }).principal;
      const passes = passesWhileStoreDown(this.failureMode, principal);
      this.metrics.storeFailed(passes, err, requestLog(req));
      if (!passes) throw new RateLimitUnavailableError();
      state.passedWithoutStore = true;
      return true;
    }
    this.metrics.storeAnswered(requestLog(req));

    if (record.isBlocked) {
      const retryAfterSeconds = Math.max(1, record.timeToBlockExpire);
      this.metrics.rejected(bucket);
      writeHeaders(res, limit, 0, retryAfterSeconds);
      throw new RateLimitedError(bucket, retryAfterSeconds, this.messageFor(retryAfterSeconds));
    }
    state.outcomes.push({
      bucket,
      limit,
      remaining: Math.max(0, limit - record.totalHits),
      resetSeconds: Math.max(1, record.timeToExpire),
    });
    return true;
  }

  /**
   * Store keys: one counter per tracker across every route, unless the bucket counts per route or
   * this route sets its own limit for it (`@RateLimit`) — a different limit must not share a counter.
   * Hashed, so no address, email or subject is stored in clear.
   */
  protected override generateKey(context: ExecutionContext, tracker: string, name: string): string {
    const overrides = this.reflector.getAllAndOverride<string[] | undefined>(RATE_LIMIT_OVERRIDE_KEY, [context.getHandler(), context.getClass()]);
    const scope = this.perRoute.has(name) || overrides?.includes(name) ? `${context.getClass().name}.${context.getHandler().name}` : '*';
    const plain = `${name}|${scope}|${tracker}`;
    // The same few clients come back request after request: remember their hashed keys.
    let key = this.keys.get(plain);
    if (key === undefined) {
      key = `parley:rl:${createHash('sha256').update(plain).digest('base64url')}`;
      if (this.keys.size >= HASHED_KEYS_KEPT) this.keys.delete(this.keys.keys().next().value as string);
      this.keys.set(plain, key);
    }
    return key;
  }

  private http(context: ExecutionContext): { req: Request; res: Response } {
    const http = context.switchToHttp();
    return { req: http.getRequest<Request>(), res: http.getResponse<Response>() };
  }
}

function writeHeaders(res: Response, limit: number, remaining: number, resetSeconds: number): void {
  if (res.headersSent) return;
  res.setHeader('RateLimit-Limit', String(limit));
  res.setHeader('RateLimit-Remaining', String(remaining));
  res.setHeader('RateLimit-Reset', String(resetSeconds));
}
