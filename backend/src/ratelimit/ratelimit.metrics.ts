import { Injectable, Optional } from '@nestjs/common';
import { ContextLogger, RequestLog } from '../common/logging/request-log';
import { ParleyMetrics } from '../metrics/parley-metrics';
import type { RateLimitBucket } from './ratelimit.buckets';

/** Monotonic counters, for the metrics endpoint to export (e.g. as Prometheus counters). */
export interface RateLimitCounters {
  /** Requests answered 429, per bucket. */
  rejected: Record<RateLimitBucket, number>;
  /** Requests whose counting failed because the store was unreachable, then let through. */
  storeFailOpen: number;
  /** Requests whose counting failed because the store was unreachable, then refused (503). */
  storeFailClosed: number;
}

/**
 * Counts what the limiter decided and tracks outages of the counter store, logging once when
 * one starts and once when it ends (not once per request).
 */
@Injectable()
export class RateLimitMetrics {
  private readonly logger = new ContextLogger('RateLimit');
  private readonly counters: RateLimitCounters = {
    rejected: { ip: 0, principal: 0, link: 0, auth_ip: 0, auth_email: 0, attachments: 0 },
    storeFailOpen: 0,
    storeFailClosed: 0,
  };
  private outageSince: number | null = null;

  constructor(@Optional() metrics?: ParleyMetrics) {
    // Prometheus reads the counters at scrape time (parley_rate_limit_* in GET /metrics).
    metrics?.exportRateLimits(() => this.snapshot());
  }

  rejected(bucket: RateLimitBucket): void {
    this.counters.rejected[bucket] += 1;
  }

  /** A request could not be counted; `passed` says whether it was let through. */
  storeFailed(passed: boolean, err: unknown, log: RequestLog | undefined): void {
    if (passed) this.counters.storeFailOpen += 1;
    else this.counters.storeFailClosed += 1;
    if (this.outageSince === null) {
      this.outageSince = Date.now();
      const reason = err instanceof Error ? err.message : String(err);
      this.logger.in(log).error(`Rate-limit store unreachable (${reason}); applying RATE_LIMIT_REDIS_FAILURE until it answers again.`);
    }
  }

  /** A request was counted: ends an outage if one was going on. */
  storeAnswered(log: RequestLog | undefined): void {
    if (this.outageSince === null) return;
    const seconds = Math.round((Date.now() - this.outageSince) / 1000);
    this.outageSince = null;
    this.logger.in(log).log(
      `Rate-limit store reachable again after ${seconds} s (${this.counters.storeFailOpen} requests let through, ` +
        `${this.counters.storeFailClosed} refused so far).`,
    );
  }

  /** Whether the last attempt to count a request failed. */
  get storeDown(): boolean {
    return this.outageSince !== null;
  }

  snapshot(): RateLimitCounters {
    return { ...this.counters, rejected: { ...this.counters.rejected } };
  }
}
