import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { ThrottlerStorage } from '@nestjs/throttler';
import type { Request } from 'express';
import { authConfig } from '../auth/auth.config';
import { normaliseEmail } from '../auth/email';
import { LOGIN_ATTEMPTS } from '../common/http/login-attempts.decorator';
import { LayeredThrottlerGuard } from './layered-throttler.guard';
import { ipKeyOf } from './ratelimit.buckets';
import { rateLimitConfig } from './ratelimit.config';
import { RateLimitMetrics } from './ratelimit.metrics';
import { RATE_LIMIT_STORAGE } from './ratelimit.storage';
import { httpRequestOf } from '../common/http/http-context';

function emailOf(req: Request): string | null {
  const email = (req.body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' && email.trim() !== '' ? normaliseEmail(email).slice(0, 320) : null;
}

/**
 * Rate limit for credential endpoints (login, register, OIDC sign-in: the routes marked
 * `@LoginAttempts()`), on top of the global limiter and in the same store, and after it (AppModule
 * registers it as the last APP_GUARD): one bucket per client IP (`auth_ip`, proxy-aware through `trust proxy`) and one per
 * email address (`auth_email`), each per route. The email bucket slows password guessing against
 * one account from many IPs; the IP bucket slows one client trying many accounts. Over either
 * limit: 429 `rate_limited` with `Retry-After`.
 */
@Injectable()
export class AuthRateLimitGuard extends LayeredThrottlerGuard {
  // Indexes 0 and 1 carry @Inject on purpose: ThrottlerGuard declares its own tokens there, and
  // Nest reads constructor tokens through the prototype chain.
  constructor(
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
    @Inject(RATE_LIMIT_STORAGE) storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(rateLimitConfig.KEY) limits: ConfigType<typeof rateLimitConfig>,
    metrics: RateLimitMetrics,
  ) {
    const ttl = config.rateLimit.windowSeconds * 1000;
    super(
      [
        { name: 'auth_ip', ttl, limit: config.rateLimit.perIp, perRoute: true, getTracker: (req) => ipKeyOf(req as Request) },
        {
          name: 'auth_email',
          ttl,
          limit: config.rateLimit.perEmail,
          perRoute: true,
          // Without an email the request fails validation anyway; the IP bucket still counts it.
          skipIf: (context) => emailOf(httpRequestOf<Request>(context)) === null,
          getTracker: (req) => `email:${emailOf(req as Request)}`,
        },
      ],
      storage,
      reflector,
      limits.redisFailure,
      metrics,
    );
  }

  /** Only `@LoginAttempts()` routes are counted here (read once per route). */
  protected override appliesTo(handler: object): boolean {
    return this.reflector.get<boolean | undefined>(LOGIN_ATTEMPTS, handler as () => unknown) === true;
  }

  protected messageFor(retryAfterSeconds: number): string {
    return `Too many attempts; try again in ${retryAfterSeconds} seconds.`;
  }
}
