#!/usr/bin/env node
// A tiny host application that embeds Parley's chat widget for ITS OWN signed-in users
// (docs/embedding.md, section 7). No dependencies. Its backend holds a workflow server key and mints a 5-minute
// end-user session for whoever is signed in; the browser only ever sees that client secret.
//
//   PARLEY_URL=http://localhost:3000 PARLEY_WORKFLOW_ID=<id> PARLEY_SERVER_KEY=wsk_… PORT=8080 \
//     node ops/examples/host-app/server.mjs
//
// Demo users: alice / alice-password, bob / bob-password. Add the app's origin
// (http://localhost:8080) to the workflow's allowed origins so the widget may call Parley from it.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const USERS = {
  alice: { password: 'alice-password', id: 'user-alice', email: 'alice@example.com', name: 'Alice' },
  bob: { password: 'bob-password', id: 'user-bob', email: 'bob@example.com', name: 'Bob' },
};

/** Starts the host app; resolves with its origin and `close()`. */
export async function startHostApp({ parleyUrl, workflowId, serverKey, port = 0, host = '127.0.0.1' }) {
  if (!parleyUrl || !workflowId || !serverKey) throw new Error('Set PARLEY_URL, PARLEY_WORKFLOW_ID and PARLEY_SERVER_KEY.');
  const cookieKey = randomBytes(32);
  const sign = (value) => `${value}.${createHmac('sha256', cookieKey).update(value).digest('base64url')}`;
  const signedInUser = (req) => {
    const raw = /(?:^|;\s*)host_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (!raw) return null;
    const value = raw.slice(0, raw.lastIndexOf('.'));
    const expected = Buffer.from(sign(value));
    const given = Buffer.from(raw);
    return expected.length === given.length && timingSafeEqual(expected, given) ? USERS[value] ?? null : null;
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://host');
    const user = signedInUser(req);
    try {
      if (req.method === 'POST' && url.pathname === '/login') {
        const form = new URLSearchParams(await body(req));
        const name = form.get('username') ?? '';
        if (USERS[name]?.password !== form.get('password')) return html(res, 401, loginPage('Wrong username or password.'));
        res.setHeader('Set-Cookie', `host_session=${sign(name)}; HttpOnly; SameSite=Lax; Path=/`);
        return redirect(res, '/');
      }
      if (req.method === 'POST' && url.pathname === '/logout') {
        res.setHeader('Set-Cookie', 'host_session=; Max-Age=0; Path=/');
        return redirect(res, '/');
      }
      // The one call the page makes: "give me a chat session for the signed-in user".
      if (req.method === 'POST' && url.pathname === '/api/chat-session') {
        if (!user) return json(res, 401, { error: 'sign in first' });
        const { deviceId } = JSON.parse((await body(req)) || '{}');
        const minted = await fetch(`${parleyUrl}/api/workflows/${workflowId}/end-user-sessions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${serverKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ user: { id: user.id, email: user.email, name: user.name }, ...(deviceId ? { deviceId } : {}) }),
        });
        const answer = await minted.json();
        if (!minted.ok) return json(res, 502, { error: answer.code ?? 'parley_error' });
        return json(res, 200, { client_secret: answer.client_secret, expires_at: answer.expires_at });
      }
      if (req.method === 'GET' && url.pathname === '/') return html(res, 200, user ? chatPage(user, parleyUrl, workflowId) : loginPage());
      json(res, 404, { error: 'not found' });
    } catch (error) {
      json(res, 500, { error: 'internal error' });
      console.error(error);
    }
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  return {
    origin: `http://${host}:${server.address().port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

function loginPage(error = '') {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Acme — sign in</title></head><body>
<h1>Acme</h1>${error ? `<p role="alert">${error}</p>` : ''}
<form method="post" action="/login" data-testid="host-login">
  <label>Username <input name="username" autocomplete="username"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"></label>
  <button type="submit">Sign in</button>
</form></body></html>`;
}

function chatPage(user, parleyUrl, workflowId) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Acme — help</title></head><body>
<header><strong data-testid="host-user">${user.name}</strong>
<form method="post" action="/logout" style="display:inline"><button type="submit">Sign out</button></form></header>
<div id="chat" style="height:540px;max-width:480px"></div>
<script type="module">
  // One device id per browser: sessions are per user and device, history is per user.
  const deviceId = localStorage.getItem('acme.device') ?? crypto.randomUUID();
  localStorage.setItem('acme.device', deviceId);
  const container = await import(${JSON.stringify(`${parleyUrl}/widget/remoteEntry.js`)});
  await container.init({});
  const { mount } = (await container.get('./mount'))();
  mount(document.getElementById('chat'), {
    apiBaseUrl: ${JSON.stringify(parleyUrl)},
    workflowId: ${JSON.stringify(workflowId)},
    renderer: 'lite',
    title: 'Acme help',
    auth: {
      kind: 'hostSession',
      // Called on first use, shortly before the secret expires, and after a 401.
      async getClientSecret() {
        const res = await fetch('/api/chat-session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ deviceId }) });
        if (!res.ok) throw new Error('could not start a chat session');
        return res.json();
      },
    },
  });
</script></body></html>`;
}

function body(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c) => {
      data += c;
      if (data.length > 64 * 1024) req.destroy();
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
const html = (res, status, text) => res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(text);
const json = (res, status, value) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
const redirect = (res, to) => res.writeHead(303, { location: to }).end();

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const app = await startHostApp({
    parleyUrl: process.env.PARLEY_URL ?? 'http://localhost:3000',
    workflowId: process.env.PARLEY_WORKFLOW_ID,
    serverKey: process.env.PARLEY_SERVER_KEY,
    port: Number(process.env.PORT ?? 8080),
  });
  console.log(`Host app on ${app.origin} (users alice/alice-password, bob/bob-password)`);
}
