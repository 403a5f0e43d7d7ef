import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface';
import type { Request, Response } from 'express';
import { REQUEST_ID_HEADER } from '../../common/http/request-id';

/** Request headers a ChatKit client may send (any origin may ask: the preflight carries no credential). */
export const CHATKIT_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'X-Parley-Publish-Token', 'X-Parley-Visitor', 'X-Parley-Workflow'];

/** Response headers every CORS answer lets the page read. */
export const EXPOSED_HEADERS = [REQUEST_ID_HEADER, 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'];
/** …plus, on the ChatKit routes, the visitor token. */
export const CHATKIT_EXPOSED_HEADERS = [...EXPOSED_HEADERS, 'X-Parley-Visitor'];

const MAX_AGE_SECONDS = 600;

/** The routes a widget on another site calls: the protocol endpoint and attachment uploads. */
export function isChatKitCorsRoute(req: { path: string }): boolean {
  const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
  return path === '/api/chatkit' || path.startsWith('/api/chatkit/uploads/');
}

/** `GET /api/config`: public runtime configuration, readable from any origin. */
export function isPublicConfigRoute(req: { path: string }): boolean {
  const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
  return path === '/api/config';
}

/**
 * CORS for every route (ARCHITECTURE §9). `/api/config`: any origin, no credentials. Elsewhere: the global allowlist (`CORS_ORIGINS`).
 * On the ChatKit routes: a preflight is answered for any origin; a real request gets
 * `Access-Control-Allow-Origin` from the global allowlist here, and the public-access verifier
 * then overrides it with the workflow's `allowedOrigins` once the share link names the workflow.
 */
export function corsOptionsFor(req: Request, globalOrigins: ReadonlySet<string>): CorsOptions {
  const origin = req.headers.origin;
  const globallyAllowed = origin !== undefined && globalOrigins.has(origin);
  if (isPublicConfigRoute(req)) {
    // Public, credential-free runtime configuration that embeds on any site read.
    return { origin: '*', credentials: false, methods: ['GET', 'HEAD'], exposedHeaders: EXPOSED_HEADERS, maxAge: MAX_AGE_SECONDS };
  }
  if (!isChatKitCorsRoute(req)) {
    return { origin: globallyAllowed, credentials: true, exposedHeaders: EXPOSED_HEADERS, maxAge: MAX_AGE_SECONDS };
  }
  const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
  if (preflight) {
    return { origin: true, methods: ['POST', 'PUT'], allowedHeaders: CHATKIT_ALLOWED_HEADERS, credentials: true, maxAge: MAX_AGE_SECONDS };
  }
  return { origin: globallyAllowed, credentials: true, exposedHeaders: CHATKIT_EXPOSED_HEADERS };
}

/**
 * The workflow's own allowlist decides a ChatKit response's CORS headers: with credentials for a
 * listed origin; for any other origin, only enough to read the `origin_not_allowed` refusal that
 * follows (no credentials). Callers throw that refusal right after for an unlisted origin.
 */
export function applyWorkflowCors(req: Request, res: Response, allowedOrigins: readonly string[]): void {
  if (!allowedOrigins.length) return;
  const origin = req.headers.origin;
  if (typeof origin === 'string' && allowedOrigins.includes(origin)) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Expose-Headers', CHATKIT_EXPOSED_HEADERS.join(','));
    res.vary('Origin');
  } else if (typeof origin === 'string') {
    // The refusal (`origin_not_allowed`) must be readable by the page, so the widget can say "not available on this
    // site" instead of "cannot reach the chat service"; without credentials, and nothing but the error is answered.
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.removeHeader('Access-Control-Allow-Credentials');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS.join(','));
    res.vary('Origin');
  } else {
    res.removeHeader('Access-Control-Allow-Origin');
    res.removeHeader('Access-Control-Allow-Credentials');
    res.removeHeader('Access-Control-Expose-Headers');
  }
}
