import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { rateLimitConfig } from './ratelimit.config';
import { RateLimitCounter } from './ratelimit.counter';
import { RateLimitGuard } from './ratelimit.guard';
import { RateLimitMetrics } from './ratelimit.metrics';
import { RATE_LIMIT_STORAGE, rateLimitStorageProvider } from './ratelimit.storage';

/**
 * Layered rate limits (docs/rate-limits.md). Exports the global guard — AppModule registers it as
 * APP_GUARD after the auth guard — and the shared counter store, so route-level limiters such as
 * the credential limiter of the auth module count in the same place (Redis across instances).
 */
@Module({
  imports: [ConfigModule.forFeature(rateLimitConfig)],
  providers: [RateLimitMetrics, rateLimitStorageProvider, RateLimitGuard, RateLimitCounter],
  exports: [RateLimitMetrics, RATE_LIMIT_STORAGE, RateLimitGuard, RateLimitCounter],
})
export class RateLimitModule {}
