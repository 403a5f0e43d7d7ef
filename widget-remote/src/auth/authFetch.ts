import { type ApiErrorInfo, isAbortError, networkErrorInfo, readApiError, WidgetApiError } from '../api/errors';
import type { HostClientSecret, SessionToken, WidgetAuth } from '../contract';

/** Header names of the public-access contract (docs/embedding.md, sections 1–3). */
export const PARLEY_HEADERS = {
  publishToken: 'X-Parley-Publish-Token',
  visitor: 'X-Parley-Visitor',
  workflow: 'X-Parley-Workflow',
} as const;

/** `localStorage` key of the anonymous visitor token for one workflow. */
export const visitorStorageKey = (workflowId: string) => `parley.visitor.${workflowId}`;

type KeyValueStore = Pick<Storage, 'getItem' | 'setItem'>;

export interface AuthFetchOptions {
  auth: WidgetAuth;
  workflowId: string;
  /** The underlying fetch; default `globalThis.fetch`, looked up at call time. */
  fetch?: typeof fetch;
  /** Where visitor tokens persist; default `localStorage`, or memory when the browser refuses storage. */
  storage?: KeyValueStore | null;
  now?: () => number;
  /** Refresh a session token this long before it expires (at most half its lifetime). Default 60 s. */
  refreshMarginMs?: number;
  /** Every request that finally failed (after the one retry), except those the caller aborted. */
  onFailure?: (info: ApiErrorInfo) => void;
  /** The `type` of each ChatKit request sent (`threads.create`, …), read from its JSON body. */
  onChatKitRequest?: (type: string) => void;
}

/** A `fetch` with Parley's auth headers; `dispose()` stops the refresh timer and forgets the session token. */
export type AuthFetch = typeof fetch & { dispose: () => void };

export const DEFAULT_REFRESH_MARGIN_MS = 60_000;

/**
 * The one `fetch` both renderers use for `/api/chatkit` (ChatKit's `api.fetch` and the lite client):
 * - `session`: `Authorization: Bearer <chat JWT>`. The token is fetched on first use and reused until shortly before
 *   it expires. A timer refreshes it ahead of expiry while the chat is in use (an idle chat just drops it, so an open
 *   tab does not mint sessions forever), and a 401 triggers one refresh and one retry of the same request.
 * - `hostSession`: the same, with the host's `getClientSecret(current)` as the token source (end-user sessions).
 * - `publishToken`: `X-Parley-Publish-Token`, plus the `X-Parley-Visitor` token the server hands out in the response
 *   header of the same name, kept in storage per workflow so the visitor sees their own history after a reload.
 * Both modes send `X-Parley-Workflow`, so a credential for another workflow fails loudly (`workflow_mismatch`).
 */
export function createAuthFetch(options: AuthFetchOptions): AuthFetch {
  const { auth, workflowId, onFailure, onChatKitRequest } = options;
  const now = options.now ?? Date.now;
  const baseFetch: typeof fetch = (input, init) => (options.fetch ?? globalThis.fetch)(input, init);
  const getToken = auth.kind === 'session' ? auth.getToken : auth.kind === 'hostSession' ? hostSessionTokens(auth.getClientSecret) : null;
  const session = getToken ? createSessionTokens(getToken, now, options.refreshMarginMs) : null;
  const visitor = auth.kind === 'publishToken' ? createVisitorStore(workflowId, options.storage) : null;

  async function send(input: RequestInfo | URL, init: RequestInit | undefined, bearer: string | undefined) {
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set(PARLEY_HEADERS.workflow, workflowId);
    if (bearer !== undefined) headers.set('Authorization', `Bearer ${bearer}`);
    if (auth.kind === 'publishToken') {
      headers.set(PARLEY_HEADERS.publishToken, auth.token);
      const stored = visitor?.get();
      if (stored) headers.set(PARLEY_HEADERS.visitor, stored);
    }
    const response = await baseFetch(input, { ...init, headers });
    const issued = response.headers.get(PARLEY_HEADERS.visitor);
    if (visitor && issued) visitor.set(issued);
    return response;
  }

  const authFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const type = chatKitRequestType(init?.body);
    if (type) onChatKitRequest?.(type);
    // A Request's body can be read once: keep a copy for the retry.
    const spare = input instanceof Request && session ? input.clone() : undefined;
    try {
      let token = session ? await session.get() : undefined;
      let response = await send(input, init, token);
      if (session && token !== undefined && response.status === 401 && isReplayable(init)) {
        token = await session.renew(token);
        response = await send(spare ?? input, init, token);
      }
      if (!response.ok) onFailure?.(await readApiError(response, now()));
      return response;
    } catch (error) {
      if (error instanceof WidgetApiError) onFailure?.(error.info);
      else if (!isAbortError(error)) onFailure?.(networkErrorInfo(error));
      throw error;
    }
  };

  return Object.assign(authFetch as typeof fetch, { dispose: () => session?.dispose() });
}

/**
 * Adapts a host's `getClientSecret(current)` to session tokens: the answer may be the bare secret (its JWT `exp`
 * says when it expires) or `{client_secret, expires_at}` (Unix seconds).
 */
export function hostSessionTokens(getClientSecret: (current: string | null) => Promise<string | HostClientSecret>): () => Promise<SessionToken> {
  let current: string | null = null;
  return async () => {
    const answer = await getClientSecret(current);
    const secret = typeof answer === 'string' ? answer : answer?.client_secret;
    if (typeof secret !== 'string' || secret === '') throw new Error('getClientSecret() returned no client secret');
    current = secret;
    const expiresAtSeconds = typeof answer === 'object' && typeof answer.expires_at === 'number' ? answer.expires_at : jwtExpiry(secret);
    return { token: secret, expiresAt: expiresAtSeconds === undefined ? '' : new Date(expiresAtSeconds * 1000).toISOString() };
  };
}

/** The `exp` claim of a JWT, unverified (only to schedule the refresh). */
function jwtExpiry(token: string): number | undefined {
  try {
    const payload = (token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/');
    const exp = (JSON.parse(atob(payload.padEnd(payload.length + ((4 - (payload.length % 4)) % 4), '='))) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}

interface HeldToken {
  token: string;
  expiresAtMs: number;
  fetchedAtMs: number;
}

function createSessionTokens(
  getToken: () => Promise<SessionToken>,
  now: () => number,
  marginMs = DEFAULT_REFRESH_MARGIN_MS,
) {
  let held: HeldToken | null = null;
  let inFlight: Promise<HeldToken> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastUseMs = Number.NEGATIVE_INFINITY;
  // Bumped by dispose(): a token that arrives for an older generation is handed out but not kept. Not a one-way
  // switch, because React StrictMode disposes and then keeps using the same instance.
  let generation = 0;

  const refreshAt = (t: HeldToken) =>
    t.expiresAtMs - Math.min(marginMs, Math.max(0, (t.expiresAtMs - t.fetchedAtMs) / 2));

  function schedule(t: HeldToken) {
    clearTimeout(timer);
    timer = setTimeout(
      () => {
        if (held !== t) return;
        // In use since this token arrived: refresh now, so the next request does not wait. Idle: just forget it.
        if (lastUseMs >= t.fetchedAtMs) void fetchFresh().catch(() => {});
        else held = null;
      },
      Math.max(0, refreshAt(t) - now()),
    );
  }

  function fetchFresh(): Promise<HeldToken> {
    const started = generation;
    inFlight ??= (async () => {
      try {
        const fetchedAtMs = now();
        let issued: SessionToken;
        try {
          issued = await getToken();
        } catch (error) {
          throw tokenError(error);
        }
        if (!issued || typeof issued.token !== 'string' || issued.token === '') {
          throw tokenError(new Error('getToken() returned no token'));
        }
        const parsed = Date.parse(issued.expiresAt);
        // An unreadable expiry: assume one minute, so the token is still refreshed well before a 5-minute expiry.
        const expiresAtMs = Number.isNaN(parsed) ? fetchedAtMs + 60_000 : parsed;
        const next = { token: issued.token, expiresAtMs, fetchedAtMs };
        if (started === generation) {
          held = next;
          schedule(next);
        }
        return next;
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  }

  return {
    async get(): Promise<string> {
      lastUseMs = now();
      if (held && now() < refreshAt(held)) return held.token;
      return (await fetchFresh()).token;
    },
    /** After a 401 with `rejected`: one fresh token, shared by every request that saw the same rejection. */
    async renew(rejected: string): Promise<string> {
      if (held && held.token !== rejected && now() < refreshAt(held)) return held.token;
      if (held?.token === rejected) held = null;
      return (await fetchFresh()).token;
    },
    dispose() {
      generation += 1;
      held = null;
      clearTimeout(timer);
    },
  };
}

/** A host's `getToken` failure, e.g. the owner's own sign-in expired (`POST …/chatkit/session` answered 401). */
function tokenError(error: unknown): WidgetApiError {
  const source = (error ?? {}) as { code?: unknown; status?: unknown; message?: unknown };
  return new WidgetApiError({
    status: typeof source.status === 'number' ? source.status : 0,
    code: typeof source.code === 'string' ? source.code : 'session_unavailable',
    message: typeof source.message === 'string' ? source.message : 'Could not start a chat session',
  });
}

function createVisitorStore(workflowId: string, storage: KeyValueStore | null | undefined) {
  const key = visitorStorageKey(workflowId);
  let memory: string | null = null;
  const store = (): KeyValueStore | null => {
    if (storage !== undefined) return storage;
    try {
      return globalThis.localStorage ?? null;
    } catch {
      return null; // Opaque origins and some privacy modes throw on access.
    }
  };
  return {
    get(): string | null {
      try {
        return store()?.getItem(key) ?? memory;
      } catch {
        return memory;
      }
    },
    set(value: string) {
      memory = value;
      try {
        store()?.setItem(key, value);
      } catch {
        // Quota or privacy mode: memory still carries the visitor through this page's life.
      }
    },
  };
}

function isReplayable(init: RequestInit | undefined): boolean {
  return !(typeof ReadableStream !== 'undefined' && init?.body instanceof ReadableStream);
}

function chatKitRequestType(body: BodyInit | null | undefined): string | undefined {
  if (typeof body !== 'string') return undefined;
  const match = /^\s*\{\s*"type"\s*:\s*"([a-z_.]+)"/.exec(body);
  if (match) return match[1];
  try {
    const parsed = JSON.parse(body) as { type?: unknown };
    return typeof parsed?.type === 'string' ? parsed.type : undefined;
  } catch {
    return undefined;
  }
}
