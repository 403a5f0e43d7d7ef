import type { IncomingMessage, ServerResponse } from 'node:http';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * The security headers of an API response (JSON, SSE, files) that no browser renders as a page
 * (docs/security.md, "Security headers"). Precomputed once; set in this order on every such response.
 *
 * - `X-Content-Type-Options: nosniff` — a browser never guesses a script or a page out of an API body;
 * - `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'` — were a body ever rendered as a
 *   document anyway, it could load, run and embed nothing;
 * - `Cross-Origin-Resource-Policy: same-origin` — no other site reads an API response through `<img>`/
 *   `<script>` (no-cors) loads; CORS requests (the widget's) are not affected by it, and routes that serve
 *   files to other origins set their own (attachment previews: `cross-origin`);
 * - `Strict-Transport-Security` — HTTPS-only, whichever response a browser sees first.
 *
 * The rest of helmet's set (`Cross-Origin-Opener-Policy`, `Origin-Agent-Cluster`, `Referrer-Policy`,
 * `X-Frame-Options`, `X-DNS-Prefetch-Control`, `X-Download-Options`, `X-Permitted-Cross-Domain-Policies`,
 * `X-XSS-Protection`) governs documents — what a page may load, embed, open or leak — and says nothing about
 * a JSON body or an event stream. Each header costs bytes on every response and memory for as long as a
 * stream is open (the header map and the header block stay on the response).
 */
export const API_SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
];

/**
 * Helmet's full set (`documentHeaders`) for pages and anything that may become one; the lean API set for
 * `/api/*` requests that do not ask for HTML. A browser navigation (address bar, link, form, iframe) always
 * accepts `text/html`, and every HTML page served under `/api/` (Swagger UI at `/api/docs`, the browser
 * error page, the OpenID Connect callback's pages) answers only such requests, so they keep the document
 * policy; `fetch`/XHR calls and event streams get the lean set.
 */
export function securityHeaders(documentHeaders: Middleware): Middleware {
  return function securityHeadersMiddleware(req, res, next) {
    const url = req.url ?? '';
    if (!url.startsWith('/api/') || acceptsHtml(req)) {
      documentHeaders(req, res, next);
      return;
    }
    for (let i = 0; i < API_SECURITY_HEADERS.length; i++) res.setHeader(API_SECURITY_HEADERS[i][0], API_SECURITY_HEADERS[i][1]);
    next();
  };
}

/**
 * Whether the request might be a document load: any mention of `text/html` or `text/*` (a superset of what
 * `wantsErrorPage` answers with a page; a bare wildcard, as `fetch` sends, is not one).
 */
function acceptsHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return accept !== undefined && (accept.includes('text/html') || accept.includes('text/*'));
}
