import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerLimitDetail, ThrottlerStorage } from '@nestjs/throttler';
import type { Request } from 'express';
import { DomainError } from '../../common/errors/domain-error';
import { authConfig } from '../auth.config';
import { normaliseEmail } from '../email';

/** Storage of the login/register buckets: in memory today, swappable for a shared store (Redis). */
export const AUTH_RATE_LIMIT_STORAGE = Symbol('AUTH_RATE_LIMIT_STORAGE');

function emailOf(req: Request): string | null {
  const email = (req.body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' && email.trim() !== '' ? normaliseEmail(email).slice(0, 320) : null;
}

/**
 * Rate limit for credential endpoints (login, register): one bucket per client IP (proxy-aware
 * through `trust proxy`) and one per email address, each per route. The email bucket slows
 * password guessing against one account from many IPs; the IP bucket slows one client trying
 * many accounts. Over either limit: 429 `rate_limited` with `Retry-After`.
 */
@Injectable()
export class AuthRateLimitGuard extends ThrottlerGuard {
  constructor(
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
    @Inject(AUTH_RATE_LIMIT_STORAGE) storage: ThrottlerStorage,
    reflector: Reflector,
  ) {
    const ttl = config.rateLimit.windowSeconds * 1000;
    super(
      {
        // RateLimit-* headers belong to the global layered limiter; this guard only answers 429s.
        setHeaders: false,
        throttlers: [
          { name: 'ip', ttl, limit: config.rateLimit.perIp },
          {
            name: 'email',
            ttl,
            limit: config.rateLimit.perEmail,
            // Without an email the request fails validation anyway; the IP bucket still counts it.
            skipIf: (context) => emailOf(context.switchToHttp().getRequest<Request>()) === null,
            getTracker: (req) => `email:${emailOf(req as Request)}`,
          },
        ],
      },
      storage,
      reflector,
    );
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfterSeconds = Math.max(1, detail.timeToBlockExpire);
    throw new DomainError(
      'rate_limited',
      `Too many attempts; try again in ${retryAfterSeconds} seconds.`,
      { retryAfterSeconds },
      { 'Retry-After': String(retryAfterSeconds) },
    );
  }
}
