import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { authConfig } from '../auth/auth.config';
import { AuthRateLimitGuard } from './auth-rate-limit.guard';
import { rateLimitConfig } from './ratelimit.config';
import { RateLimitCounter } from './ratelimit.counter';
import { RateLimitGuard } from './ratelimit.guard';
import { RateLimitMetrics } from './ratelimit.metrics';
import { RATE_LIMIT_STORAGE, rateLimitStorageProvider } from './ratelimit.storage';

/**
 * Layered rate limits (docs/rate-limits.md). Exports the global guard and the credential limiter
 * of `@LoginAttempts()` routes — AppModule registers them as APP_GUARDs after the auth guard, in
 * that order — and the shared counter store, so every limiter counts in the same place (Redis
 * across instances).
 */
@Module({
  imports: [ConfigModule.forFeature(rateLimitConfig), ConfigModule.forFeature(authConfig)],
  providers: [RateLimitMetrics, rateLimitStorageProvider, RateLimitGuard, AuthRateLimitGuard, RateLimitCounter],
  exports: [RateLimitMetrics, RATE_LIMIT_STORAGE, RateLimitGuard, AuthRateLimitGuard, RateLimitCounter],
})
export class RateLimitModule {}
