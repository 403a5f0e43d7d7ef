import type { WidgetAuth } from '../contract';

/**
 * A failed API request, read from Parley's error body `{statusCode, code, message, requestId, details?}`
 * (docs/errors.md). Network failures use `status: 0` and `code: 'network_error'`.
 */
export interface ApiErrorInfo {
  status: number;
  code: string;
  message: string;
  requestId?: string;
  details?: Record<string, unknown>;
  /** For `rate_limited`: the `Retry-After` header, else `details.retryAfterSeconds`. */
  retryAfterSeconds?: number;
}

/** Thrown by the lite renderer's protocol client; `info` is what the error screens are built from. */
export class WidgetApiError extends Error {
  override readonly name = 'WidgetApiError';

  constructor(readonly info: ApiErrorInfo) {
    super(info.message);
  }
}

/** Reads an error response. Tolerates non-JSON bodies (a proxy's HTML 502) and never throws. */
export async function readApiError(response: Response, now: number = Date.now()): Promise<ApiErrorInfo> {
  let body: Partial<{ code: unknown; message: unknown; requestId: unknown; details: unknown }> = {};
  try {
    const parsed: unknown = await response.clone().json();
    if (parsed && typeof parsed === 'object') body = parsed;
  } catch {
    // Not our error body; fall back on the status below.
  }
  const details =
    body.details && typeof body.details === 'object' ? (body.details as Record<string, unknown>) : undefined;
  const info: ApiErrorInfo = {
    status: response.status,
    code: typeof body.code === 'string' && body.code !== '' ? body.code : fallbackCode(response.status),
    message: typeof body.message === 'string' ? body.message : response.statusText || `HTTP ${response.status}`,
  };
  const requestId = typeof body.requestId === 'string' ? body.requestId : response.headers.get('X-Request-Id');
  if (requestId) info.requestId = requestId;
  if (details) info.details = details;
  if (response.status === 429 || info.code === 'rate_limited') {
    const fromDetails = details?.retryAfterSeconds;
    info.retryAfterSeconds =
      parseRetryAfter(response.headers.get('Retry-After'), now) ??
      (typeof fromDetails === 'number' && fromDetails >= 0 ? Math.ceil(fromDetails) : undefined) ??
      DEFAULT_RETRY_AFTER_SECONDS;
  }
  return info;
}

/** When a 429 says nothing about when to come back. */
export const DEFAULT_RETRY_AFTER_SECONDS = 10;

export function networkErrorInfo(error: unknown): ApiErrorInfo {
  return {
    status: 0,
    code: 'network_error',
    message: error instanceof Error ? error.message : 'The network request failed',
  };
}

/** `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function fallbackCode(status: number): string {
  if (status === 429) return 'rate_limited';
  if (status === 404) return 'not_found';
  if (status >= 500) return 'internal_error';
  return 'unexpected_response';
}

export function isAbortError(error: unknown): boolean {
  return (
    (error instanceof DOMException || error instanceof Error) &&
    (error.name === 'AbortError' || error.name === 'TimeoutError')
  );
}

/** What a person sees for a failure. `fatal` views replace the whole chat; the others are banners above it. */
export type ErrorKind =
  | 'invalid_link'
  | 'link_rotated'
  | 'offline'
  | 'login_required'
  | 'unavailable'
  | 'rate_limited'
  | 'network'
  | 'session_expired'
  | 'generic';

export interface ErrorView {
  kind: ErrorKind;
  fatal: boolean;
  title: string;
  message: string;
  code: string;
  /** Absolute sign-in URL (`login_required`), resolved against the API base URL. */
  loginUrl?: string;
  retryAfterSeconds?: number;
  requestId?: string;
}

/** Session-mode codes that a fresh chat token may cure (the auth fetch already tried once). */
const SESSION_CODES = new Set(['chat_session_revoked', 'token_expired', 'token_invalid', 'unauthenticated']);

/** Maps an API failure to the screen or banner for it. Pure, so every mapping is unit-tested. */
export function describeError(
  info: ApiErrorInfo,
  context: { authKind: WidgetAuth['kind']; apiBaseUrl: string },
): ErrorView {
  const base = { code: info.code, ...(info.requestId ? { requestId: info.requestId } : {}) };
  switch (info.code) {
    case 'publish_token_invalid':
      return {
        ...base,
        kind: 'invalid_link',
        fatal: true,
        title: 'This link is not valid',
        message: 'Check that you copied the whole link, or ask the owner for a new one.',
      };
    case 'publish_token_rotated':
      return {
        ...base,
        kind: 'link_rotated',
        fatal: true,
        title: 'This link was replaced — ask the owner for the new link',
        message: 'The owner created a new link for this chat, and this one no longer works.',
      };
    case 'workflow_not_published':
      return {
        ...base,
        kind: 'offline',
        fatal: true,
        title: 'This chat is offline',
        message: 'The owner has turned this chat off. Try again later or ask the owner.',
      };
    case 'login_required': {
      const raw = info.details?.loginUrl;
      const loginUrl = typeof raw === 'string' ? resolveUrl(raw, context.apiBaseUrl) : undefined;
      return {
        ...base,
        kind: 'login_required',
        fatal: true,
        title: 'Sign in to chat',
        message: 'The owner of this chat asks visitors to sign in first.',
        ...(loginUrl ? { loginUrl } : {}),
      };
    }
    case 'origin_not_allowed':
      return {
        ...base,
        kind: 'unavailable',
        fatal: true,
        title: 'This chat is not available on this site',
        message: 'The owner has not allowed this chat on this website.',
      };
    case 'workflow_mismatch':
    case 'feature_disabled':
      return {
        ...base,
        kind: 'unavailable',
        fatal: true,
        title: 'This chat is not available here',
        message:
          info.code === 'feature_disabled'
            ? 'Chat is turned off on this Parley server.'
            : 'This chat cannot be used on this page. Ask the owner for the right link.',
      };
    case 'rate_limited': {
      const seconds = info.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
      return {
        ...base,
        kind: 'rate_limited',
        fatal: false,
        title: 'Too many messages',
        message: 'Please wait a moment before sending again.',
        retryAfterSeconds: seconds,
      };
    }
    case 'network_error':
      return {
        ...base,
        kind: 'network',
        fatal: false,
        title: 'Cannot reach the chat service',
        message: 'Check your connection and try again.',
      };
    default:
      if ((context.authKind === 'session' || context.authKind === 'hostSession') && info.status === 401 && SESSION_CODES.has(info.code)) {
        return {
          ...base,
          kind: 'session_expired',
          fatal: false,
          title: 'Your chat session expired',
          message: 'Your message was kept. Try again to reconnect.',
        };
      }
      return {
        ...base,
        kind: 'generic',
        fatal: false,
        title: info.status === 404 ? 'That conversation is no longer available' : 'Something went wrong',
        message: info.status >= 500 ? 'The chat service had a problem. Try again.' : 'Try again in a moment.',
      };
  }
}

function resolveUrl(url: string, apiBaseUrl: string): string | undefined {
  try {
    // `apiBaseUrl` may itself be relative (`''` for same-origin hosts).
    const resolved = new URL(url, new URL(`${apiBaseUrl}/`, globalThis.location?.href));
    // Only navigate to web URLs: a `javascript:` login URL would run in the host page.
    return resolved.protocol === 'https:' || resolved.protocol === 'http:' ? resolved.href : undefined;
  } catch {
    return undefined;
  }
}
