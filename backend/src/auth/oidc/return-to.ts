/** The longest `returnTo` accepted; URLs beyond this are not pages anyone links to. */
export const RETURN_TO_MAX_LENGTH = 2048;

/**
 * Resolves a sign-in `returnTo` to an absolute URL the browser may be sent to afterwards, or
 * null when it would be an open redirect. Accepted: a path on this site (`/chat/abc?x=1`), or
 * an absolute http(s) URL whose origin is this site's or on the allowlist. Refused: anything
 * a browser could read as another host — protocol-relative `//evil`, backslashes (`/\evil`),
 * control characters or whitespace, userinfo (`https://ok@evil`), other schemes, and the sign-in
 * routes themselves.
 */
export function resolveReturnTo(value: string | undefined, publicBaseUrl: string, allowedOrigins: readonly string[]): string | null {
  const base = new URL(publicBaseUrl);
  if (value === undefined || value === '') return new URL('/', base).href;
  if (value.length > RETURN_TO_MAX_LENGTH) return null;
  // Browsers strip tabs/newlines and treat `\` as `/`, so `/\evil.com` and `/\t/evil.com` mean `//evil.com`.
  if ([...value].some((c) => c <= ' ' || c === '\u007f' || c === '\\')) return null;
  let url: URL;
  if (value.startsWith('/')) {
    if (value.startsWith('//')) return null;
    url = new URL(value, base);
  } else {
    try {
      url = new URL(value);
    } catch {
      return null;
    }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username || url.password) return null;
  if (url.origin !== base.origin && !allowedOrigins.includes(url.origin)) return null;
  // Back into the sign-in routes would only loop.
  if (url.origin === base.origin && url.pathname.startsWith('/api/auth/oidc/')) return null;
  return url.href;
}
