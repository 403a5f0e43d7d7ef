import type { ApiErrorBody } from './types';

/** A failed API call: Parley's error body, or `network_error` (status 0) when the server was not reached. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly requestId?: string;
  readonly details?: Record<string, unknown>;

  constructor(body: { statusCode: number; code: string; message: string; requestId?: string; details?: Record<string, unknown> }) {
    super(body.message);
    this.status = body.statusCode;
    this.code = body.code;
    if (body.requestId) this.requestId = body.requestId;
    if (body.details) this.details = body.details;
  }

  /** Per-field messages of a `validation_failed` error (`details.fields`), keyed by field path. */
  get fields(): Record<string, string[]> {
    const fields = this.details?.fields;
    return fields && typeof fields === 'object' ? (fields as Record<string, string[]>) : {};
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | undefined | null>;
  signal?: AbortSignal;
}

/** Routes whose 401 means "wrong credentials", not "access token expired". */
const NO_REFRESH = ['/auth/login', '/auth/register', '/auth/refresh', '/auth/logout'];
/** 401 codes after which a refresh may help: the access cookie expired (or the browser already dropped it). */
const REFRESHABLE = new Set(['token_expired', 'unauthenticated']);

const signedOutListeners = new Set<() => void>();

/** Called when the session cannot be refreshed any more (the owner must sign in again). */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

let refreshing: Promise<boolean> | null = null;

/** One `POST /api/auth/refresh` at a time; the refresh cookie rotates, so concurrent refreshes would trip reuse detection. */
function refreshSession(): Promise<boolean> {
  refreshing ??= fetch('/api/auth/refresh', { method: 'POST', credentials: 'include', headers: { Accept: 'application/json' } })
    .then((response) => response.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export function apiUrl(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return `/api${path}${search ? `?${search}` : ''}`;
}

/**
 * Calls the Parley REST API on this origin with the owner's HttpOnly cookies (`parley_access` / `parley_refresh`).
 * An expired access token is refreshed once and the call retried. Resolves with the JSON body (undefined for 204);
 * rejects with an {@link ApiError}.
 */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const send = async () => {
    try {
      return await fetch(apiUrl(path, options.query), {
        method: options.method ?? 'GET',
        credentials: 'include',
        headers: {
          Accept: 'application/json',
          ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if ((error as Error)?.name === 'AbortError') throw error;
      throw new ApiError({ statusCode: 0, code: 'network_error', message: 'The Parley server could not be reached.' });
    }
  };

  let response = await send();
  if (response.status === 401 && !NO_REFRESH.includes(path)) {
    const error = await readError(response);
    if (!REFRESHABLE.has(error.code)) throw error;
    if (!(await refreshSession())) {
      signedOutListeners.forEach((listener) => listener());
      throw error;
    }
    response = await send();
  }
  if (!response.ok) throw await readError(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

async function readError(response: Response): Promise<ApiError> {
  let body: Partial<ApiErrorBody> = {};
  try {
    body = (await response.json()) as Partial<ApiErrorBody>;
  } catch {
    // A proxy's HTML error page.
  }
  return new ApiError({
    statusCode: response.status,
    code: typeof body.code === 'string' ? body.code : response.status === 404 ? 'not_found' : 'unexpected_response',
    message: typeof body.message === 'string' ? body.message : `The server answered ${response.status}.`,
    ...(typeof body.requestId === 'string' ? { requestId: body.requestId } : {}),
    ...(body.details && typeof body.details === 'object' ? { details: body.details } : {}),
  });
}

/** A message for a person, from any error an API call can reject with. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'network_error') return 'Parley could not be reached. Check your connection and try again.';
    if (error.code === 'rate_limited') return 'Too many requests. Wait a moment and try again.';
    return error.requestId ? `${error.message} (reference ${error.requestId})` : error.message;
  }
  return 'Something went wrong. Try again.';
}
