import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { ThrottlerStorage } from '@nestjs/throttler';
import type { Request } from 'express';
import { LayeredThrottlerGuard } from './layered-throttler.guard';
import { ipKeyOf, linkKeyOf, principalKeyOf } from './ratelimit.buckets';
import { rateLimitConfig } from './ratelimit.config';
import { RateLimitMetrics } from './ratelimit.metrics';
import { RATE_LIMIT_STORAGE } from './ratelimit.storage';
import { httpRequestOf } from '../common/http/http-context';

const requestOf = (context: ExecutionContext) => httpRequestOf<Request>(context);

/**
 * The global layered limiter (registered as APP_GUARD right after the auth guard, see AppModule,
 * so the principal is known). Buckets, checked in this order and each only when it has a key:
 * - `principal`: per owner, canvas chat user, share-link visitor or OIDC subject — one visitor
 *   cannot spend another's budget;
 * - `ip`: per client address (`req.ip`, i.e. through `TRUST_PROXY`), on every route;
 * - `link`: per share link, all its visitors together — a ceiling against floods.
 * A request refused by an earlier bucket is not counted by the later ones, so a client that keeps
 * hammering after its own 429s does not use up the shared IP or link budget.
 */
@Injectable()
export class RateLimitGuard extends LayeredThrottlerGuard {
  // Indexes 0 and 1 carry @Inject on purpose: ThrottlerGuard declares its own tokens there, and
  // Nest reads constructor tokens through the prototype chain.
  constructor(
    @Inject(rateLimitConfig.KEY) config: ConfigType<typeof rateLimitConfig>,
    @Inject(RATE_LIMIT_STORAGE) storage: ThrottlerStorage,
    reflector: Reflector,
    metrics: RateLimitMetrics,
  ) {
    const ttl = config.windowSeconds * 1000;
    super(
      [
        {
          name: 'principal',
          ttl,
          limit: config.perPrincipal,
          skipIf: (context) => principalKeyOf(requestOf(context)) === null,
          getTracker: (req) => principalKeyOf(req as Request)!,
        },
        { name: 'ip', ttl, limit: config.perIp, getTracker: (req) => ipKeyOf(req as Request) },
        {
          name: 'link',
          ttl,
          limit: config.perLink,
          skipIf: (context) => linkKeyOf(requestOf(context)) === null,
          getTracker: (req) => linkKeyOf(req as Request)!,
        },
      ],
      storage,
      reflector,
      config.redisFailure,
      metrics,
    );
  }

  protected messageFor(retryAfterSeconds: number): string {
    return `Too many requests; try again in ${retryAfterSeconds} seconds.`;
  }
}
