import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** How a ChatKit request authenticated; `none` when it carried no credential the route accepts. */
export type ChatAuthModeLabel = 'chat' | 'publishToken' | 'oauthSession' | 'hostSession' | 'none';

/**
 * How a ChatKit request ended. Bounded on purpose: classes, never ids or free text.
 * - `ok`: JSON answered or stream completed; `stream_error`: the stream carried an `error` event;
 * - `cancelled`: the client went away mid-stream; `ended_by_server`: shutdown or revocation ended it;
 * - refused before anything streamed: `unauthorized` (401), `forbidden` (403), `not_found` (404),
 *   `invalid` (other 4xx), `rate_limited` (429), `unavailable` (503), `failed` (other 5xx).
 */
export type ChatOutcome =
  | 'ok'
  | 'stream_error'
  | 'cancelled'
  | 'ended_by_server'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'invalid'
  | 'rate_limited'
  | 'unavailable'
  | 'failed';

/** Why the server ended a stream it had open. */
export type StreamEndReason = 'shutdown' | 'workflow_revoked' | 'session_revoked';

export type PublishAction = 'publish' | 'rotate' | 'revoke';

/** Counters the rate limiter keeps itself (see RateLimitMetrics), read at scrape time. */
export interface RateLimitCounterSource {
  rejected: Record<string, number>;
  storeFailOpen: number;
  storeFailClosed: number;
}

export function outcomeForStatus(status: number): ChatOutcome {
  if (status < 400) return 'ok';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'unavailable';
  return status >= 500 ? 'failed' : 'invalid';
}

const SECONDS_FAST = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10];
const SECONDS_SLOW = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * Every Prometheus metric Parley exports, on a registry of its own (one per app, so tests that
 * boot several apps in one process do not share or collide). Labels are bounded: route
 * templates, status codes, request types, auth modes, outcome classes, buckets, runner kinds —
 * never a workflow, thread, user or token. Per-workflow questions are answered by the logs,
 * which carry `workflowId` (docs/operations.md).
 */
@Injectable()
export class ParleyMetrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'parley_http_request_duration_seconds',
    help: 'HTTP request duration until the response ended (streams: until the stream closed), by route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: SECONDS_FAST,
    registers: [this.registry],
  });

  readonly chatRequests = new Counter({
    name: 'parley_chatkit_requests_total',
    help: 'ChatKit requests (POST /api/chatkit) by request type, auth mode and outcome.',
    labelNames: ['type', 'auth_mode', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly openStreams = new Gauge({
    name: 'parley_chatkit_open_streams',
    help: 'ChatKit SSE streams open on this instance, by auth mode.',
    labelNames: ['auth_mode'] as const,
    registers: [this.registry],
  });

  readonly timeToFirstEvent = new Histogram({
    name: 'parley_chatkit_time_to_first_event_seconds',
    help: 'Time from the request arriving to the first SSE event written, by request type.',
    labelNames: ['type'] as const,
    buckets: SECONDS_FAST,
    registers: [this.registry],
  });

  readonly streamsEnded = new Counter({
    name: 'parley_chatkit_streams_ended_by_server_total',
    help: 'Open streams the server ended itself: shutdown grace period over, workflow revoked.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly publishEvents = new Counter({
    name: 'parley_publish_events_total',
    help: 'Publish state changes that committed: publish, rotate (new share link), revoke.',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });

  readonly runnerFirstEvent = new Histogram({
    name: 'parley_runner_first_event_seconds',
    help: 'Runner latency: time from asking the runner to its first event, by runner type.',
    labelNames: ['runner'] as const,
    buckets: SECONDS_SLOW,
    registers: [this.registry],
  });

  readonly runnerDuration = new Histogram({
    name: 'parley_runner_duration_seconds',
    help: 'Runner duration until its last event, by runner type and outcome (ok, error, cancelled).',
    labelNames: ['runner', 'outcome'] as const,
    buckets: SECONDS_SLOW,
    registers: [this.registry],
  });

  readonly runnerErrors = new Counter({
    name: 'parley_runner_errors_total',
    help: 'Runner failures (provider errors, timeouts, exceptions), by runner type.',
    labelNames: ['runner'] as const,
    registers: [this.registry],
  });

  private rateLimitSource: (() => RateLimitCounterSource) | null = null;

  constructor() {
    // Standard names (process_*, nodejs_*), so stock Node.js dashboards work unchanged.
    collectDefaultMetrics({ register: this.registry });
    const source = (): RateLimitCounterSource | null => this.rateLimitSource?.() ?? null;
    new Counter({
      name: 'parley_rate_limit_rejections_total',
      help: 'Requests answered 429, by bucket (ip, principal, link, auth_ip, auth_email).',
      labelNames: ['bucket'] as const,
      registers: [this.registry],
      collect() {
        const counters = source();
        if (!counters) return;
        this.reset();
        for (const [bucket, n] of Object.entries(counters.rejected)) this.inc({ bucket }, n);
      },
    });
    new Counter({
      name: 'parley_rate_limit_store_failures_total',
      help: 'Requests that could not be counted because the shared store (Redis) was unreachable, by what happened to them.',
      labelNames: ['result'] as const,
      registers: [this.registry],
      collect() {
        const counters = source();
        if (!counters) return;
        this.reset();
        this.inc({ result: 'passed' }, counters.storeFailOpen);
        this.inc({ result: 'refused' }, counters.storeFailClosed);
      },
    });
  }

  /** The rate limiter registers where its counters are read from (read at scrape time). */
  exportRateLimits(source: () => RateLimitCounterSource): void {
    this.rateLimitSource = source;
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
