/**
 * The share-link token (`pub_…`) lives in the URL fragment (`/chat/<id>#token=…`, or `?token=` as a fallback). It
 * is removed from the address bar at once, so it is not left in history, bookmarks, screen shares or Referer headers
 * (ARCHITECTURE.md §3). `public/share-link.js` does that before the app has even loaded and hands the token over in
 * `window.__parleyShareLink`; this module takes it from there (or reads the URL itself when that script did not run,
 * e.g. in tests, or when a new link is pasted into the same tab — a `hashchange`).
 *
 * The token is then kept in this tab's `sessionStorage` (docs/adr/0005-share-token-per-tab.md), so a reload or an
 * OpenID Connect sign-in round trip in the same tab keeps the chat. It never goes into a URL the server sees, a cookie
 * or a log; the server still checks it on every request, so rotating or revoking the link ends the chat at the next
 * request. Closing the tab forgets it.
 */

let held: { workflowId: string; token: string } | null = null;

declare global {
  interface Window {
    /** Set by public/share-link.js; taken (and deleted) by {@link captureShareToken}. */
    __parleyShareLink?: { workflowId: string; token: string };
  }
}

export const shareTokenStorageKey = (workflowId: string) => `parley.shareToken.${workflowId}`;

export interface UrlLike {
  href: string;
}

type TabStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/**
 * Reads the token from the URL (fragment first), strips it from the address bar with `history.replaceState`, and
 * keeps it for this workflow in memory and in this tab's storage. Without one in the URL: the token held in memory,
 * else the one this tab kept. A token in the URL always wins (a new link pasted into the same tab).
 */
export function captureShareToken(
  workflowId: string,
  location: UrlLike = window.location,
  history: Pick<History, 'replaceState' | 'state'> = window.history,
  storage: TabStorage | null = safeSessionStorage(),
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
  if (fromUrl) return keep(workflowId, fromUrl, storage);

  const early = typeof window === 'undefined' ? undefined : window.__parleyShareLink;
  if (early) {
    delete window.__parleyShareLink;
    if (early.workflowId === workflowId) return keep(workflowId, early.token, storage);
  }
  if (held?.workflowId === workflowId) return held.token;

  let kept: string | null = null;
  try {
    kept = storage?.getItem(shareTokenStorageKey(workflowId)) ?? null;
  } catch {
    kept = null;
  }
  if (kept) held = { workflowId, token: kept };
  return kept;
}

function keep(workflowId: string, token: string, storage: TabStorage | null): string {
  held = { workflowId, token };
  try {
    storage?.setItem(shareTokenStorageKey(workflowId), token);
  } catch {
    // Storage refused: the token lives in memory only, and a reload needs the link again.
  }
  return token;
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
