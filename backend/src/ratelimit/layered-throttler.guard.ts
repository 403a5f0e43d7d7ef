import { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerOptions, ThrottlerStorage } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Principal } from '../auth/principal';
import { requestLog } from '../common/logging/request-log';
import { BucketOutcome, passesWhileStoreDown, RateLimitBucket } from './ratelimit.buckets';
import type { RedisFailureMode } from './ratelimit.config';
import { RATE_LIMIT_OVERRIDE_KEY, SKIP_RATE_LIMIT_KEY } from './ratelimit.decorators';
import { RateLimitedError, RateLimitUnavailableError } from './ratelimit.errors';
import { RateLimitMetrics } from './ratelimit.metrics';
import { httpRequestOf, httpResponseOf } from '../common/http/http-context';

/** One named limit of a layered guard. */
export interface BucketOptions extends ThrottlerOptions {
  name: RateLimitBucket;
  /** Count per route (login and register apart) instead of one counter across every route. */
  perRoute?: boolean;
}

/** What a guard learns about one request; several guards (global, then credential) add to it. */
interface RequestState {
  /** The bucket the `RateLimit-*` headers describe so far (`tightestOf` the outcomes, folded). */
  tightest: Omit<BucketOutcome, 'bucket'> | undefined;
}

/** A store that can count without a promise (the in-memory one); Redis answers asynchronously. */
interface SyncThrottlerStorage extends ThrottlerStorage {
  incrementNow(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): ThrottlerStorageAnswer;
}
type ThrottlerStorageAnswer = Awaited<ReturnType<ThrottlerStorage['increment']>>;

type Resolvable<T> = T | ((context: ExecutionContext) => T | Promise<T>);
type Tracker = (req: Record<string, unknown>, context: ExecutionContext) => string | Promise<string>;
type KeyGenerator = (context: ExecutionContext, tracker: string, name: string) => string;

/** One bucket as it applies to one route: everything the decorators say, read once per route. */
interface RouteBucket {
  name: RateLimitBucket;
  /** `@SkipRateLimit(bucket)` on the route or its controller. */
  skipped: boolean;
  skipIf: ((context: ExecutionContext) => boolean) | undefined;
  limit: Resolvable<number>;
  ttl: Resolvable<number>;
  blockDuration: Resolvable<number> | undefined;
  getTracker: Tracker;
  /** A key generator of the route's own (`@nestjs/throttler` metadata); otherwise Parley's hashed keys below. */
  generateKey: KeyGenerator | undefined;
  /** Parley's keys of this bucket and scope, by tracker (shared by every route with the same scope). */
  keys: Map<string, string>;
  /** `${name}|${scope}|`: a key is `parley:rl:` + SHA-256 of this + the tracker. */
  keyPrefix: string;
}

/** A route's whole plan: out of rate limiting altogether, or its buckets in order. */
interface RoutePlan {
  skipAll: boolean;
  buckets: RouteBucket[];
}

// `@nestjs/throttler`'s metadata keys (throttler.constants, not exported by the package), written by its `@Throttle()`
// and `@SkipThrottle()`, which `@RateLimit()` and `@SkipRateLimit(bucket)` use; suffixed with the throttler's name.
const THROTTLER_LIMIT = 'THROTTLER:LIMIT';
const THROTTLER_TTL = 'THROTTLER:TTL';
const THROTTLER_TRACKER = 'THROTTLER:TRACKER';
const THROTTLER_BLOCK_DURATION = 'THROTTLER:BLOCK_DURATION';
const THROTTLER_KEY_GENERATOR = 'THROTTLER:KEY_GENERATOR';
const THROTTLER_SKIP = 'THROTTLER:SKIP';

/** Set on a request only when the store failed and the request was let through (the later guards count nothing). */
const PASSED_WITHOUT_STORE = Symbol('parley:rate-limit:passed-without-store');

/** How many hashed store keys a guard remembers in all (a SHA-256 per bucket per request otherwise). */
const HASHED_KEYS_KEPT = 10_000;

/** A guard before this one let the request through while the store failed: count nothing more. */
function passedWithoutStore(req: Request): boolean {
  return (req as Request & { [PASSED_WITHOUT_STORE]?: true })[PASSED_WITHOUT_STORE] === true;
}

/**
 * What the guards before this one found for the request: the tightest bucket so far is what their `RateLimit-*`
 * headers say (nothing is stored on the request for it: a property added to every request costs memory per request).
 */
function stateOf(res: Response): RequestState {
  const limit = res.getHeader('RateLimit-Limit');
  if (limit === undefined) return { tightest: undefined };
  return { tightest: { limit: Number(limit), remaining: Number(res.getHeader('RateLimit-Remaining')), resetSeconds: Number(res.getHeader('RateLimit-Reset')) } };
}

/** `tightestOf` (ratelimit.buckets.ts), one outcome at a time: the fewest left, on a tie the later reset. */
function tighter<T extends Omit<BucketOutcome, 'bucket'>>(best: T | undefined, o: T): T {
  return !best || o.remaining < best.remaining || (o.remaining === best.remaining && o.resetSeconds > best.resetSeconds) ? o : best;
}

function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function toNumber(value: unknown, option: string, bucket: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || Number.isNaN(number)) {
    throw new Error(`Invalid "${option}" for the "${bucket}" throttler: expected a number, got ${JSON.stringify(value)}.`);
  }
  return number;
}

/**
 * Parley's layered limiter, shared by the global limiter and the credential limiter: every bucket's state is
 * collected and the tightest one is reported in `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; an
 * exhausted bucket answers 429 `rate_limited` (`Retry-After`, `details.retryAfterSeconds`, `details.bucket`); an
 * unreachable store answers per `RATE_LIMIT_REDIS_FAILURE`. Routes opt out with `@SkipRateLimit()`, or out of some
 * buckets with `@SkipRateLimit(...buckets)`, and set their own limits with `@RateLimit()` (`@nestjs/throttler`'s
 * decorators underneath, whose metadata is honoured as its `ThrottlerGuard` does: limit, ttl, block duration, tracker,
 * key generator, skip, per bucket name).
 *
 * Its own guard rather than a `ThrottlerGuard` subclass, for the cost per request (docs/performance.md, "lean-pipe"):
 * what the decorators say is read once per route (the base class asks the `Reflector` five times per bucket and
 * request and awaits three values), and the in-memory store counts without a promise, so a request on one instance
 * passes the limiter synchronously. With Redis every count is awaited, as before.
 */
export abstract class LayeredThrottlerGuard implements CanActivate {
  private readonly perRoute: ReadonlySet<string>;
  /** Buckets in the order `ThrottlerGuard` checked them (by ttl, stable). */
  private readonly buckets: BucketOptions[];
  private readonly plans = new WeakMap<object, WeakMap<object, RoutePlan>>();
  /** Hashed store keys by bucket and scope, then by tracker; `keyCount` bounds them all together. */
  private readonly keyMaps = new Map<string, Map<string, string>>();
  private keyCount = 0;
  private readonly syncStore: SyncThrottlerStorage | undefined;

  protected constructor(
    buckets: BucketOptions[],
    protected readonly storageService: ThrottlerStorage,
    protected readonly reflector: Reflector,
    private readonly failureMode: RedisFailureMode,
    private readonly metrics: RateLimitMetrics,
  ) {
    this.buckets = [...buckets].sort((a, b) => (typeof a.ttl === 'function' ? 1 : typeof b.ttl === 'function' ? 0 : a.ttl - b.ttl));
    this.perRoute = new Set(buckets.filter((b) => b.perRoute).map((b) => b.name));
    const maybeSync = storageService as Partial<SyncThrottlerStorage>;
    this.syncStore = typeof maybeSync.incrementNow === 'function' ? (maybeSync as SyncThrottlerStorage) : undefined;
  }

  /** The 429 message; credential guards say "attempts". */
  protected abstract messageFor(retryAfterSeconds: number): string;

  /** Whether this guard counts requests of the route at all (read once per route). */
  protected appliesTo(_handler: object, _controller: object): boolean {
    return true;
  }

  /** The tracker of a bucket without its own: the client address (the buckets here all bring their own). */
  protected getTracker(req: Record<string, unknown>): string {
    return String(req.ip);
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    // The global auth guard refuses every other transport; nothing to count here.
    if (context.getType() !== 'http') return true;
    const plan = this.planFor(context.getHandler(), context.getClass());
    if (plan.skipAll) return true;
    const req = httpRequestOf<Request>(context);
    if (passedWithoutStore(req)) return true;
    const res = httpResponseOf<Response>(context);
    const state = stateOf(res);
    const { buckets } = plan;
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i];
      if (b.skipped || b.skipIf?.(context)) continue;
      // The synchronous path: numbers known, tracker at hand, the store in memory.
      const tracker = this.syncStore && typeof b.limit === 'number' && typeof b.ttl === 'number' && typeof b.blockDuration !== 'function' ? b.getTracker(req as unknown as Record<string, unknown>, context) : undefined;
      if (tracker === undefined || isThenable(tracker)) return this.countFrom(i, plan, context, req, res, state, tracker);
      const limit = b.limit as number;
      const ttl = b.ttl as number;
      const key = this.keyOf(b, context, tracker);
      let answer: ThrottlerStorageAnswer;
      try {
        answer = this.syncStore!.incrementNow(key, ttl, limit, (b.blockDuration as number | undefined) ?? ttl, b.name);
      } catch (err) {
        this.storeFailed(req, err);
        break;
      }
      this.counted(b.name, limit, answer, state, res);
    }
    writeTightest(res, state);
    return true;
  }

  /** The asynchronous path, from bucket `from` on: Redis, or a value the route resolves per request. */
  private async countFrom(
    from: number,
    plan: RoutePlan,
    context: ExecutionContext,
    req: Request,
    res: Response,
    state: RequestState,
    pendingTracker: string | Promise<string> | undefined,
  ): Promise<boolean> {
    const { buckets } = plan;
    for (let i = from; i < buckets.length; i++) {
      const b = buckets[i];
      // Bucket `from` was checked for skipping by the caller.
      if (i !== from && (b.skipped || b.skipIf?.(context))) continue;
      const limit = toNumber(await (typeof b.limit === 'function' ? b.limit(context) : b.limit), 'limit', b.name);
      const ttl = toNumber(await (typeof b.ttl === 'function' ? b.ttl(context) : b.ttl), 'ttl', b.name);
      const blockDuration = toNumber((await (typeof b.blockDuration === 'function' ? b.blockDuration(context) : b.blockDuration)) ?? ttl, 'blockDuration', b.name);
      const tracker = await (i === from && pendingTracker !== undefined ? pendingTracker : b.getTracker(req as unknown as Record<string, unknown>, context));
      const key = this.keyOf(b, context, tracker);
      let answer: ThrottlerStorageAnswer;
      try {
        answer = await this.storageService.increment(key, ttl, limit, blockDuration, b.name);
      } catch (err) {
        this.storeFailed(req, err);
        break;
      }
      this.counted(b.name, limit, answer, state, res);
    }
    writeTightest(res, state);
    return true;
  }

  /** A store answer: a 429 when the bucket is exhausted, otherwise one more outcome for the headers. */
  private counted(bucket: RateLimitBucket, limit: number, answer: ThrottlerStorageAnswer, state: RequestState, res: Response): void {
    this.metrics.storeAnswered(requestLog(res.req));
    if (answer.isBlocked) {
      const retryAfterSeconds = Math.max(1, answer.timeToBlockExpire);
      this.metrics.rejected(bucket);
      writeHeaders(res, limit, 0, retryAfterSeconds);
      throw new RateLimitedError(bucket, retryAfterSeconds, this.messageFor(retryAfterSeconds));
    }
    state.tightest = tighter(state.tightest, {
      limit,
      remaining: Math.max(0, limit - answer.totalHits),
      resetSeconds: Math.max(1, answer.timeToExpire),
    });
  }

  /** The store failed: refused (503) or let through per `RATE_LIMIT_REDIS_FAILURE`, counting nothing more. */
  private storeFailed(req: Request, err: unknown): void {
    const principal = (req as Request & { principal?: Principal }).principal;
    const passes = passesWhileStoreDown(this.failureMode, principal);
    this.metrics.storeFailed(passes, err, requestLog(req));
    if (!passes) throw new RateLimitUnavailableError();
    (req as Request & { [PASSED_WITHOUT_STORE]?: true })[PASSED_WITHOUT_STORE] = true;
  }

  /**
   * Store keys: one counter per tracker across every route, unless the bucket counts per route or
   * this route sets its own limit for it (`@RateLimit`) — a different limit must not share a counter.
   * Hashed, so no address, email or subject is stored in clear; the same few clients come back
   * request after request, so their hashed keys are remembered (bounded).
   */
  private keyOf(b: RouteBucket, context: ExecutionContext, tracker: string): string {
    if (b.generateKey) return b.generateKey(context, tracker, b.name);
    let key = b.keys.get(tracker);
    if (key === undefined) {
      key = `parley:rl:${createHash('sha256').update(b.keyPrefix).update(tracker).digest('base64url')}`;
      if (this.keyCount >= HASHED_KEYS_KEPT) {
        // Rare (10,000 distinct clients): start over rather than keep an order across maps.
        for (const map of this.keyMaps.values()) map.clear();
        this.keyCount = 0;
      }
      b.keys.set(tracker, key);
      this.keyCount++;
    }
    return key;
  }

  private planFor(handler: object, controller: object): RoutePlan {
    let byController = this.plans.get(handler);
    if (!byController) this.plans.set(handler, (byController = new WeakMap()));
    let plan = byController.get(controller);
    if (!plan) byController.set(controller, (plan = this.buildPlan(handler as () => unknown, controller as new () => unknown)));
    return plan;
  }

  private buildPlan(handler: () => unknown, controller: new () => unknown): RoutePlan {
    const targets = [handler, controller];
    const meta = <T>(key: string): T | undefined => this.reflector.getAllAndOverride<T | undefined>(key, targets);
    const skipAll = !this.appliesTo(handler, controller) || meta<boolean>(SKIP_RATE_LIMIT_KEY) === true;
    const overrides = meta<string[]>(RATE_LIMIT_OVERRIDE_KEY);
    const buckets = this.buckets.map((b): RouteBucket => {
      const scope = this.perRoute.has(b.name) || overrides?.includes(b.name) ? `${controller.name}.${handler.name}` : '*';
      const prefix = `${b.name}|${scope}|`;
      let keys = this.keyMaps.get(prefix);
      if (!keys) this.keyMaps.set(prefix, (keys = new Map()));
      return {
        name: b.name,
        skipped: meta<boolean>(THROTTLER_SKIP + b.name) === true,
        skipIf: b.skipIf,
        limit: meta<Resolvable<number>>(THROTTLER_LIMIT + b.name) ?? b.limit,
        ttl: meta<Resolvable<number>>(THROTTLER_TTL + b.name) ?? b.ttl,
        blockDuration: meta<Resolvable<number>>(THROTTLER_BLOCK_DURATION + b.name) ?? b.blockDuration,
        getTracker: meta<Tracker>(THROTTLER_TRACKER + b.name) ?? (b.getTracker as Tracker | undefined) ?? ((req) => this.getTracker(req)),
        generateKey: meta<KeyGenerator>(THROTTLER_KEY_GENERATOR + b.name) ?? (b.generateKey as KeyGenerator | undefined),
        keys,
        keyPrefix: prefix,
      };
    });
    return { skipAll, buckets };
  }
}

/** The headers of the tightest bucket counted so far, if any. */
function writeTightest(res: Response, state: RequestState): void {
  if (state.tightest) writeHeaders(res, state.tightest.limit, state.tightest.remaining, state.tightest.resetSeconds);
}

function writeHeaders(res: Response, limit: number, remaining: number, resetSeconds: number): void {
  if (res.headersSent) return;
  res.setHeader('RateLimit-Limit', String(limit));
  res.setHeader('RateLimit-Remaining', String(remaining));
  res.setHeader('RateLimit-Reset', String(resetSeconds));
}
