/**
 * The share-link token (`pub_…`) lives in the URL fragment (`/chat/<id>#token=…`, or `?token=` as a fallback). It
 * is moved into memory and removed from the address bar at once, so it is not left in history, bookmarks, screen
 * shares or Referer headers (ARCHITECTURE.md §3). `public/share-link.js` does that before the app has even loaded
 * and hands the token over in `window.__parleyShareLink`; this module takes it from there (or reads the URL itself
 * when that script did not run, e.g. in tests).
 *
 * The one exception is a sign-in round trip: OIDC leaves the page, so the token is parked in `sessionStorage`
 * (this tab only) right before the redirect and taken back, and deleted, when the page loads again.
 */

let held: { workflowId: string; token: string } | null = null;

declare global {
  interface Window {
    /** Set by public/share-link.js; taken (and deleted) by {@link captureShareToken}. */
    __parleyShareLink?: { workflowId: string; token: string };
  }
}

const stashKey = (workflowId: string) => `parley.shareToken.${workflowId}`;

export interface UrlLike {
  href: string;
}

/**
 * Reads the token from the URL (fragment first), strips it from the address bar with `history.replaceState`, and
 * remembers it for this workflow. Idempotent: later calls return the remembered token.
 */
export function captureShareToken(
  workflowId: string,
  location: UrlLike = window.location,
  history: Pick<History, 'replaceState' | 'state'> = window.history,
  storage: Pick<Storage, 'getItem' | 'removeItem'> | null = safeSessionStorage(),
): string | null {
  const url = new URL(location.href);
  const hash = new URLSearchParams(url.hash.replace(/^#/, ''));
  const fromUrl = hash.get('token') || url.searchParams.get('token');
  if (url.searchParams.has('token') || hash.has('token')) {
    hash.delete('token');
    url.searchParams.delete('token');
    const rest = hash.toString();
    url.hash = rest ? `#${rest}` : '';
    history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
  }
  if (fromUrl) {
    held = { workflowId, token: fromUrl };
    return fromUrl;
  }
  const early = typeof window === 'undefined' ? undefined : window.__parleyShareLink;
  if (early) {
    delete window.__parleyShareLink;
    if (early.workflowId === workflowId) held = { workflowId, token: early.token };
  }
  if (held?.workflowId === workflowId) return held.token;

  const stashed = storage?.getItem(stashKey(workflowId)) ?? null;
  if (stashed) {
    storage?.removeItem(stashKey(workflowId));
    held = { workflowId, token: stashed };
  }
  return stashed;
}

/** Parks the token for the sign-in redirect (see the module comment). */
export function stashShareTokenForLogin(
  workflowId: string,
  token: string,
  storage: Pick<Storage, 'setItem'> | null = safeSessionStorage(),
): void {
  try {
    storage?.setItem(stashKey(workflowId), token);
  } catch {
    // Storage refused: the visitor will need the link again after signing in.
  }
}

/** Test seam. */
export function forgetShareToken(): void {
  held = null;
}

function safeSessionStorage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}
