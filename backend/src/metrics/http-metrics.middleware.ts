import type { NextFunction, Request, Response } from 'express';
import type { AuthRequest } from '../auth/credentials';
import { ChatAuthModeLabel, ChatOutcome, ParleyMetrics, outcomeForStatus } from './parley-metrics';

/** What the ChatKit gateway learns about a request while serving it, read when the response closes. */
export interface ChatObservation {
  /** The body's `type` once parsed (`invalid` when it is not one); `unknown` until then. */
  type: string;
  /** Set by the gateway for answers whose class the status code cannot tell (streams). */
  outcome?: ChatOutcome;
}

const OBSERVATION = Symbol('parley.observation');

interface Observation {
  start: bigint;
  chat?: ChatObservation;
}

type Observed = Response & { [OBSERVATION]?: Observation };

/** When the request arrived (high-resolution), for time-to-first-event. */
export function requestStart(res: Response): bigint | undefined {
  return (res as Observed)[OBSERVATION]?.start;
}

/** The ChatKit facts of this response (created on first use). */
export function chatObservation(res: Response): ChatObservation {
  const obs = (res as Observed)[OBSERVATION];
  if (!obs) return { type: 'unknown' };
  obs.chat ??= { type: 'unknown' };
  return obs.chat;
}

export const CHATKIT_ROUTE = '/api/chatkit';

/**
 * Route label: the matched route template (`/api/workflows/:id`), never the raw path, so ids
 * cannot multiply series. Requests no route matched are `unmatched` (404s) or `static` (front-end
 * files served by the static middleware).
 */
export function routeLabel(req: Request, status: number): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (route && typeof route.path === 'string') return `${req.baseUrl ?? ''}${route.path}`;
  return status === 404 ? 'unmatched' : 'static';
}

export function chatAuthMode(req: AuthRequest): ChatAuthModeLabel {
  switch (req.principal?.kind) {
    case 'chat':
      return 'chat';
    case 'visitor':
      return 'publishToken';
    case 'oauth':
      return req.principal.publishLinkId ? 'publishToken' : 'oauthSession';
    case 'host':
      return 'hostSession';
    default:
      // Refused before authentication succeeded: what the request tried.
      if (req.header('x-parley-publish-token')) return 'publishToken';
      if (req.header('authorization')) return 'chat';
      return 'none';
  }
}

/** Times every request and counts ChatKit requests when the response closes (finished or not). */
export function httpMetricsMiddleware(metrics: ParleyMetrics) {
  // One listener function for every response (`this` is the response): no closure per request, and `on`, not `once`
  // (a response closes once), so no once-wrapper either.
  function observed(this: Response): void {
    observe(this);
  }
  function observe(res: Response): void {
    const obs = (res as Observed)[OBSERVATION]!;
    const req = res.req;
    const seconds = Number(process.hrtime.bigint() - obs.start) / 1e9;
    const status = res.statusCode;
    const route = routeLabel(req, status);
    metrics.httpDuration.observe({ method: req.method, route, status: String(status) }, seconds);
    if (req.method === 'POST' && req.path === CHATKIT_ROUTE) {
      const chat = obs.chat ?? { type: 'unknown' };
      const outcome = chat.outcome ?? (res.writableFinished ? outcomeForStatus(status) : 'cancelled');
      metrics.chatRequests.inc({ type: chat.type, auth_mode: chatAuthMode(req as AuthRequest), outcome });
    }
  }
  return function httpMetrics(_req: Request, res: Response, next: NextFunction): void {
    (res as Observed)[OBSERVATION] = { start: process.hrtime.bigint() };
    res.on('close', observed);
    next();
  };
}
