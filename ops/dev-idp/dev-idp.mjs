// A local OpenID provider for development and tests, built on `oidc-provider`. It binds to
// loopback only, knows a fixed set of test users and clients, requires PKCE (S256) for every
// client, and serves its own tiny login page so tests can drive it at plain HTTP level
// (follow redirects with a cookie jar, submit the form). Never run it in production: any
// user here is whoever knows a password printed on the console.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

/** The test users `startDevIdp()` knows unless told otherwise. Bob's email is deliberately unverified. */
export const DEFAULT_USERS = Object.freeze([
  Object.freeze({ email: 'alice@example.com', password: 'alice-password', name: 'Alice Example', emailVerified: true }),
  Object.freeze({ email: 'bob@example.com', password: 'bob-password', name: 'Bob Unverified', emailVerified: false }),
]);

export const DEFAULT_CLIENT = Object.freeze({
  clientId: 'parley-dev',
  clientSecret: 'parley-dev-secret',
  redirectUris: Object.freeze(['http://localhost:3000/api/auth/oidc/callback']),
});

export const DEFAULT_PORT = 4010;

const escapeHtml = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/** Stable subject per email (what a real IdP's opaque `sub` looks like to a relying party). */
const subjectOf = (email) => createHash('sha256').update(`dev-idp:${email}`).digest('base64url').slice(0, 22);

function page(title, body) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}
label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.4rem;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1rem}.error{color:#b00020}.note{color:#555;font-size:.9rem}</style>
</head><body>${body}</body></html>`;
}

function loginPage(uid, clientId, { email = '', error = null } = {}) {
  return page(
    'Sign in — Parley dev IdP',
    `<h1>Parley dev IdP</h1>
<p class="note">Local test provider. Signing in to <strong>${escapeHtml(clientId)}</strong>.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label for="email">Email</label><input id="email" name="email" type="email" required autofocus value="${escapeHtml(email)}">
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit">Cancel</button></form>`,
  );
}

async function readForm(req, limit = 16 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw Object.assign(new Error('form too large'), { status: 413 });
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, html) {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Frame-Options': 'DENY',
    // No form-action: Chromium applies it to the redirect chain after the login POST, which ends
    // at the relying party's callback on another origin.
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
  });
  res.end(html);
}

/**
 * Starts the provider on `host:port` (port 0 picks a free one) and resolves once it listens.
 *
 * @param {object} [options]
 * @param {number} [options.port] default 4010
 * @param {string} [options.host] default 127.0.0.1; only loopback addresses are accepted
 * @param {{clientId: string, clientSecret?: string, redirectUris: string[]}[]} [options.clients]
 * @param {{email: string, password: string, name?: string, emailVerified?: boolean, sub?: string}[]} [options.users]
 * @param {(line: string) => void} [options.log] where provider errors are reported (default: none)
 * @returns {Promise<{issuer: string, port: number, clients: object[], users: object[], stop(): Promise<void>}>}
 */
export async function startDevIdp({ port = DEFAULT_PORT, host = '127.0.0.1', clients = [DEFAULT_CLIENT], users = DEFAULT_USERS, log = () => {} } = {}) {
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) throw new Error(`The dev IdP binds to loopback only, not ${host}.`);
  // Imported here so that merely loading this file (e.g. from `npm start` in production, where
  // dev dependencies are absent) costs nothing.
  const { default: Provider, errors } = await import('oidc-provider');

  const accounts = new Map(
    users.map((u) => [
      u.email.toLowerCase(),
      { sub: u.sub ?? subjectOf(u.email.toLowerCase()), email: u.email.toLowerCase(), password: u.password, name: u.name ?? null, emailVerified: u.emailVerified !== false },
    ]),
  );
  const bySub = new Map([...accounts.values()].map((a) => [a.sub, a]));

  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = server.address().port;
  const issuer = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({
      client_id: c.clientId,
      ...(c.clientSecret ? { client_secret: c.clientSecret, token_endpoint_auth_method: 'client_secret_basic' } : { token_endpoint_auth_method: 'none' }),
      redirect_uris: [...c.redirectUris],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    })),
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'dev-idp-rs256', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    // Explicit lifetimes (seconds), which also keeps oidc-provider from printing a notice for each.
    ttl: { AuthorizationCode: 60, AccessToken: 3600, IdToken: 3600, Grant: 14 * 86400, Interaction: 3600, Session: 14 * 86400 },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, id) {
      const account = bySub.get(id);
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: account.email, email_verified: account.emailVerified, ...(account.name ? { name: account.name } : {}) };
        },
      };
    },
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Error — Parley dev IdP', `<h1>Error</h1><pre>${escapeHtml(JSON.stringify(out, null, 2))}</pre>`);
    },
  });
  provider.on('server_error', (_ctx, err) => log(`dev IdP server error: ${err.stack ?? err}`));
  const handleProvider = provider.callback();

  /** The login and consent steps of an interaction; everything else is the provider's. */
  async function handleInteraction(req, res, uid, action) {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new errors.SessionNotFound('interaction mismatch');
    const { prompt, params } = details;
    if (req.method === 'GET' && !action) {
      if (prompt.name === 'login') return send(res, 200, loginPage(uid, params.client_id));
      if (prompt.name === 'consent') {
        // First-party test clients: consent is implied, grant exactly what is missing.
        const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
        const missing = prompt.details;
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        if (missing.missingResourceScopes) {
          for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) grant.addResourceScope(indicator, scopes.join(' '));
        }
        const grantId = await grant.save();
        return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      }
      return send(res, 400, page('Error', `<p>Unsupported prompt ${escapeHtml(prompt.name)}.</p>`));
    }
    if (req.method === 'POST' && action === 'login') {
      const form = await readForm(req);
      const email = (form.get('email') ?? '').trim().toLowerCase();
      const account = accounts.get(email);
      if (!account || account.password !== (form.get('password') ?? '')) {
        return send(res, 200, loginPage(uid, params.client_id, { email, error: 'Unknown email or wrong password.' }));
      }
      return provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
    }
    if (req.method === 'POST' && action === 'abort') {
      return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user cancelled the sign-in.' }, { mergeWithLastSubmission: false });
    }
    res.writeHead(405).end();
  }

  server.on('request', (req, res) => {
    const match = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|abort))?\/?(?:\?.*)?$/.exec(req.url ?? '');
    if (!match) return handleProvider(req, res);
    handleInteraction(req, res, match[1], match[2]).catch((err) => {
      if (res.headersSent) return res.destroy();
      const status = err.status ?? err.statusCode ?? 500;
      if (status >= 500) log(`dev IdP interaction error: ${err.stack ?? err}`);
      send(res, status, page('Error — Parley dev IdP', `<h1>Error</h1><p>${escapeHtml(err.error_description ?? err.message)}</p>`));
    });
  });

  let stopped = false;
  return {
    issuer,
    port: actualPort,
    clients: clients.map((c) => ({ ...c })),
    users: [...accounts.values()].map(({ email, password, name, emailVerified, sub }) => ({ email, password, name, emailVerified, sub })),
    stop() {
      if (stopped) return Promise.resolve();
      stopped = true;
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
    },
  };
}
