import type { Request } from 'express';

/**
 * Browser-facing routes (a top-level navigation, not `fetch`): the OpenID Connect sign-in start and callback. Their
 * errors are shown as a small HTML page with a way back when the browser asks for HTML; API clients asking for JSON
 * keep the JSON error body.
 */
export function wantsErrorPage(req: Request): boolean {
  if (req.method !== 'GET' || !req.path.startsWith('/api/auth/oidc/')) return false;
  return req.accepts(['application/json', 'text/html']) === 'text/html';
}

const TITLES: Record<string, string> = {
  oidc_email_unverified: 'Your email address is not verified',
  oidc_state_mismatch: 'This sign-in has expired',
  oidc_login_failed: 'Sign-in did not work',
  feature_disabled: 'Sign-in is not available',
  invalid_return_to: 'This sign-in link is not valid',
  validation_failed: 'This sign-in link is not valid',
  rate_limited: 'Too many sign-in attempts',
  service_unavailable: 'Sign-in is unavailable right now',
};

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** Where "back" goes: the page the sign-in started from when the error knows it (a web URL or a path here). */
function backTo(details: Record<string, unknown> | undefined): string | null {
  const returnTo = details?.returnTo;
  if (typeof returnTo !== 'string' || returnTo.length > 2048) return null;
  if (returnTo.startsWith('/') && !returnTo.startsWith('//')) return returnTo;
  try {
    const url = new URL(returnTo);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/** The page: what happened (the error's own message), a reference for support, and a link back. */
export function browserErrorPage(error: { code: string; message: string; requestId: string; details?: Record<string, unknown> }): string {
  const title = TITLES[error.code] ?? 'Sign-in did not work';
  const page = backTo(error.details);
  const back = page
    ? `<a class="primary" href="${escape(page)}">Go back</a>`
    : error.code === 'oidc_email_unverified'
      ? '<a class="primary" href="/login">Back to sign-in</a>'
      : '<a class="primary" href="/">Back to Parley</a>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · Parley</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:48px 16px;background:#f8fafc;color:#111827}
main{max-width:480px;margin:0 auto;background:#fff;border:1px solid #e5e7eb;border-radius:12px;padding:24px}
h1{font-size:1.4rem;margin:0 0 8px}.muted{color:#6b7280;font-size:.875rem}
a.primary{display:inline-block;margin-top:16px;padding:10px 16px;min-height:44px;box-sizing:border-box;border-radius:8px;background:#2563eb;color:#fff;text-decoration:none}
</style>
</head>
<body>
<main data-testid="error-page" data-code="${escape(error.code)}">
<h1>${escape(title)}</h1>
<p>${escape(error.message)}</p>
<p class="muted">Reference: ${escape(error.requestId)}</p>
${back}
</main>
</body>
</html>
`;
}
