#!/usr/bin/env node
/* global window, document -- page.evaluate callbacks run in the browser */
// `npm run test:browser`: the browser suite of issue 7. Builds what is missing, starts real Parley servers
// (`ops/scripts/start.mjs`, embedded PGlite or DATABASE_URL, the dev OIDC provider), drives Debian's Chromium with
// playwright-core and prints `PASS name` / `FAIL name` per scenario, then `N passed, M failed`.
// Screenshots and server logs go to test-results/. Options: `--only <substring>` runs matching scenarios (and
// the ones they depend on are reported as skipped failures), `--headed` is not supported (no display here).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeOpenAI } from '../lib/fake-openai.mjs';
import { startOrderTool } from './agent-fakes.mjs';
import { api, buildAll, newBrowser, resultsDir, startServer, startStaticServer } from './lib.mjs';
import { startHostApp } from '../examples/host-app/server.mjs';

const only = (() => {
  const i = process.argv.indexOf('--only');
  return i > 0 ? process.argv[i + 1] : undefined;
})();

const T = { long: 30_000, normal: 20_000 };
const cleanups = [];
const results = [];
let shot = 0;

async function screenshot(page, name) {
  shot += 1;
  const file = join(resultsDir, `${String(shot).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
  try {
    await page.screenshot({ path: file, fullPage: true });
  } catch {
    /* page gone */
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

async function scenario(name, fn) {
  if (only && !name.includes(only)) return;
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`PASS ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    console.log(`  ${String(err?.stack || err).split('\n').slice(0, 6).join('\n  ')}`);
  }
}

/** Waits for a streamed echo of `text` to be fully rendered as an assistant message in `scope`. */
async function expectEcho(scope, text) {
  const answer = scope.locator('[data-testid="parley-message"][data-role="assistant"]', { hasText: text });
  await answer.first().waitFor({ state: 'visible', timeout: T.long });
  await scope.locator('[data-testid="parley-message"][data-pending]').first().waitFor({ state: 'detached', timeout: T.long }).catch(() => {});
  return answer.first();
}

/** Types into the widget's composer and sends. */
async function send(scope, text) {
  const composer = scope.locator('[data-testid="parley-composer"]');
  await composer.waitFor({ state: 'visible', timeout: T.long });
  await composer.fill(text);
  await scope.locator('[data-testid="parley-send"]').click();
  await scope.locator('[data-testid="parley-message"][data-role="user"]', { hasText: text }).first().waitFor({ timeout: T.long });
}

/** The widget is up (lite renderer, or a full-chat screen) — the state after the loading skeleton. */
async function widgetReady(scope) {
  await scope.locator('[data-testid="parley-widget"]').first().waitFor({ timeout: T.long });
  await scope
    .locator('[data-testid="parley-composer"], [data-testid="parley-screen"]')
    .first()
    .waitFor({ timeout: T.long });
}

function requestLog(page) {
  const urls = [];
  page.on('request', (r) => urls.push(r.url()));
  return urls;
}

async function main() {
  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  const log = (line) => console.log(`# ${line}`);
  buildAll(log);

  // Every scenario's browser talks to this server from 127.0.0.1: the default per-IP budget (120 a minute) is for one
  // client, not for the whole suite, whose later scenarios would otherwise meet 429s (the rate-limit scenario has a
  // server of its own).
  const server = await startServer({ name: 'server', log, env: { RATE_LIMIT_PER_IP: '100000', AUTH_RATE_LIMIT_PER_IP: '1000' } });
  cleanups.push(server.stop);
  const { base } = server;
  const client = api(base);
  const stat = await startStaticServer({});
  cleanups.push(stat.stop);

  const owner = await newBrowser('owner');
  cleanups.push(owner.close);
  const op = owner.page;
  const ownerRequests = requestLog(op);
  const email = `owner-${Date.now()}@example.com`;
  const password = 'correct-horse-battery-staple';
  let workflowId;
  let shareUrl;
  let oldShareUrl;

  await scenario('owner signs up and creates an echo workflow', async () => {
    await op.goto(`${base}/register`);
    const form = op.getByTestId('register-form');
    await form.waitFor();
    await screenshot(op, 'register');
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Password').fill(password);
    await form.getByRole('button', { name: 'Create account' }).click();
    await op.getByTestId('signed-in-user').waitFor({ timeout: T.long });
    await op.getByTestId('new-workflow').click();
    const wf = op.getByTestId('workflow-form');
    await wf.waitFor();
    await wf.getByLabel('Name', { exact: true }).fill('Browser echo');
    await wf.getByLabel('Echo').check();
    await screenshot(op, 'new-workflow');
    await wf.locator('button[type="submit"]').click();
    await op.waitForURL(/\/workflows\/[0-9a-f-]{36}/, { timeout: T.long });
    workflowId = /\/workflows\/([0-9a-f-]{36})/.exec(op.url())[1];
    await op.getByTestId('publish-panel').waitFor();
    await screenshot(op, 'workflow-page');
  });

  await scenario('bubble lazy-loads the remote at runtime (manifest and entry fetched)', async () => {
    assert(workflowId, 'no workflow');
    const before = ownerRequests.filter((u) => u.includes('/widget/'));
    assert(before.length === 0, `the remote was fetched before the bubble was opened: ${before.join(', ')}`);
    const bubble = op.getByTestId('chat-bubble');
    await bubble.waitFor();
    await screenshot(op, 'bubble-closed');
    const manifest = op.waitForRequest((r) => r.url().endsWith('/widget/mf-manifest.json'), { timeout: T.long });
    const entry = op.waitForRequest((r) => r.url().endsWith('/widget/remoteEntry.js'), { timeout: T.long });
    await bubble.click();
    await Promise.all([manifest, entry]);
    const dialog = op.getByTestId('chat-dialog');
    await dialog.waitFor();
    await widgetReady(dialog);
    assert((await bubble.getAttribute('aria-expanded')) === 'true', 'bubble not aria-expanded');
    await screenshot(op, 'bubble-open');
  });

  await scenario('canvas chat shows the streamed echo', async () => {
    const dialog = op.getByTestId('chat-dialog');
    await send(dialog, 'Hello from the canvas');
    const answer = await expectEcho(dialog, 'Hello from the canvas');
    assert(await answer.isVisible(), 'no echo');
    await screenshot(op, 'canvas-chat-echo');
  });

  await scenario("the remote runs on the host's React (no React chunk from /widget/)", async () => {
    const remote = ownerRequests.filter((u) => u.includes('/widget/'));
    assert(remote.length > 0, 'the remote was never loaded');
    const react = remote.filter((u) => /\/react(-dom)?-[\w-]+\.js$|prebuild__react/.test(u));
    assert(react.length === 0, `React was loaded from the remote: ${react.join(', ')}`);
    // And there is exactly one React on the page: the widget's hooks would throw with two.
    const widgets = await op.getByTestId('parley-widget').count();
    assert(widgets === 1, `expected one widget, saw ${widgets}`);
  });

  await scenario('publish: share link opened anonymously, chat, history survives reopening', async () => {
    assert(workflowId, 'no workflow');
    await op.getByTestId('chat-dialog-close').click().catch(() => {});
    await op.getByTestId('publish').click();
    await op.getByTestId('issued-link').waitFor({ timeout: T.long });
    shareUrl = await op.getByTestId('share-url').inputValue();
    assert(/\/chat\/[0-9a-f-]{36}#token=pub_/.test(shareUrl), `unexpected share URL ${shareUrl}`);
    await screenshot(op, 'published-link');
    await op.getByTestId('issued-link-done').click().catch(() => {});

    const visitor = await newBrowser('visitor-a');
    cleanups.push(visitor.close);
    const vp = visitor.page;
    await vp.goto(shareUrl);
    await widgetReady(vp);
    assert(!vp.url().includes('token='), `the token stayed in the address bar: ${vp.url()}`);
    await screenshot(vp, 'public-page');
    await send(vp, 'Anonymous hello');
    await expectEcho(vp, 'Anonymous hello');
    await screenshot(vp, 'public-chat-echo');
    // Reopen the link (a new page load, like a new tab): the visitor token kept in
    // localStorage brings back this browser's own conversation.
    await vp.goto('about:blank');
    await vp.goto(shareUrl);
    await widgetReady(vp);
    const history = vp.getByTestId('parley-history-toggle');
    const restored = vp.locator('[data-testid="parley-message"]', { hasText: 'Anonymous hello' });
    const threadItem = vp.getByTestId('parley-thread-item');
    // Either the last thread is shown at once, or it is listed under Conversations.
    if (!(await restored.first().isVisible().catch(() => false))) {
      if (!(await threadItem.first().isVisible().catch(() => false))) await history.click();
      await threadItem.first().waitFor({ timeout: T.long });
      await threadItem.first().click();
    }
    await restored.first().waitFor({ timeout: T.long });
    await screenshot(vp, 'public-chat-after-reopen');
    await visitor.close();
  });

  await scenario('a second anonymous visitor sees none of it', async () => {
    assert(shareUrl, 'no share link');
    const other = await newBrowser('visitor-b');
    cleanups.push(other.close);
    await other.page.goto(shareUrl);
    await widgetReady(other.page);
    await other.page.getByTestId('parley-composer').waitFor();
    const toggle = other.page.getByTestId('parley-history-toggle');
    if (await toggle.isVisible().catch(() => false)) {
      if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
      await other.page.getByTestId('parley-thread-list').waitFor({ timeout: T.normal });
      // Let the list request settle: wait until the log is not busy.
      await other.page.waitForLoadState('networkidle').catch(() => {});
    }
    const items = await other.page.getByTestId('parley-thread-item').count();
    const messages = await other.page.getByTestId('parley-message').count();
    await screenshot(other.page, 'second-visitor');
    assert(items === 0 && messages === 0, `second visitor sees ${items} threads and ${messages} messages`);
    await other.close();
  });

  await scenario('rotate: the old link shows "link replaced"', async () => {
    assert(shareUrl, 'no share link');
    await op.getByTestId('rotate-link').click();
    await op.getByTestId('rotate-link-confirm').click();
    await op.getByTestId('issued-link').waitFor({ timeout: T.long });
    oldShareUrl = shareUrl;
    shareUrl = await op.getByTestId('share-url').inputValue();
    assert(shareUrl !== oldShareUrl, 'rotation did not change the link');
    await screenshot(op, 'rotated-link');
    await op.getByTestId('issued-link-done').click().catch(() => {});
    const v = await newBrowser('visitor-rotated');
    cleanups.push(v.close);
    await v.page.goto(oldShareUrl);
    const screen = v.page.locator('[data-testid="parley-screen"][data-kind="link_rotated"]');
    await screen.waitFor({ timeout: T.long });
    const text = await screen.innerText();
    assert(/replaced/i.test(text), `unexpected text: ${text}`);
    await screenshot(v.page, 'link-replaced');
    // The new link works.
    await v.page.goto('about:blank');
    await v.page.goto(shareUrl);
    await v.page.getByTestId('parley-composer').waitFor({ timeout: T.long });
    await v.close();
  });

  await scenario('revoke: the link shows "chat offline"', async () => {
    assert(shareUrl, 'no share link');
    await op.getByTestId('revoke-link').click();
    await op.getByTestId('revoke-link-confirm').click();
    await op.locator('[data-testid="publish-status"]', { hasText: /private|not published|offline/i }).waitFor({ timeout: T.long });
    await screenshot(op, 'revoked');
    const v = await newBrowser('visitor-revoked');
    cleanups.push(v.close);
    await v.page.goto(shareUrl);
    const offline = v.page.locator(
      '[data-testid="parley-screen"][data-kind="offline"], [data-testid="public-disabled"]',
    );
    await offline.first().waitFor({ timeout: T.long });
    const text = await offline.first().innerText();
    assert(/offline/i.test(text), `unexpected text: ${text}`);
    await screenshot(v.page, 'chat-offline');
    await v.close();
  });

  await scenario('remote unavailable: the bubble shows a fallback, then recovers', async () => {
    // A fresh signed-in browser, so the remote is not cached in the page.
    const b = await newBrowser('owner-fallback');
    cleanups.push(b.close);
    const p = b.page;
    await p.goto(`${base}/login`);
    const form = p.getByTestId('sign-in-form');
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Password').fill(password);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await p.getByTestId('signed-in-user').waitFor({ timeout: T.long });
    await b.context.route('**/widget/mf-manifest.json', (route) => route.abort('connectionrefused'));
    await p.goto(`${base}/workflows/${workflowId}`);
    await p.getByTestId('chat-bubble').click();
    const fallback = p.getByTestId('remote-fallback');
    await fallback.waitFor({ timeout: T.long });
    await screenshot(p, 'remote-fallback');
    await b.context.unroute('**/widget/mf-manifest.json');
    await fallback.getByRole('button', { name: 'Try again' }).click();
    await widgetReady(p.getByTestId('chat-dialog'));
    await screenshot(p, 'remote-recovered');
    await b.close();
  });

  await scenario('login-required workflow: sign in at the dev OIDC provider, then chat', async () => {
    assert(server.idpIssuer, 'the dev OIDC provider did not start (see test-results/server.log)');
    const token = await client.owner(`oidc-owner-${Date.now()}@example.com`);
    const wf = await client.echoWorkflow(token, 'Members only');
    const pub = await client.publish(token, wf.id, true);
    const v = await newBrowser('visitor-oidc');
    cleanups.push(v.close);
    const p = v.page;
    const consoleLines = [];
    p.on('console', (m) => consoleLines.push(m.text()));
    p.on('requestfailed', (r) => consoleLines.push(`failed ${r.url()} ${r.failure()?.errorText}`));
    await p.goto(pub.shareUrl);
    const signIn = p.locator('[data-testid="public-sign-in"], [data-testid="parley-sign-in"]').first();
    await signIn.waitFor({ timeout: T.long });
    await screenshot(p, 'login-required');
    await signIn.click();
    await p.waitForURL((u) => u.href.startsWith(server.idpIssuer), { timeout: T.long });
    await p.locator('#email').fill('alice@example.com');
    await p.locator('#password').fill('alice-password');
    await screenshot(p, 'dev-idp-login');
    await p.locator('button[type="submit"]', { hasText: 'Sign in' }).click();
    await p.waitForURL((u) => u.href.startsWith(`${base}/chat/${wf.id}`), { timeout: T.long }).catch(async (err) => {
      await screenshot(p, 'oidc-stuck');
      const csp = consoleLines.find((l) => /violates the following Content Security Policy directive: "form-action/.test(l));
      if (csp) {
        throw new Error(
          "the dev IdP's own CSP (`form-action 'self'`, ops/dev-idp/dev-idp.mjs) makes Chromium block the redirect " +
            `from its login form back to Parley's callback on another origin: ${csp.slice(0, 200)}`,
          { cause: err },
        );
      }
      throw new Error(`stuck at ${p.url()} [${consoleLines.join(' | ').slice(0, 800)}]: ${(await p.locator('body').innerText().catch(() => '')).slice(0, 300)}`, { cause: err });
    });
    await p.getByTestId('parley-composer').waitFor({ timeout: T.long });
    await send(p, 'Signed-in hello');
    await expectEcho(p, 'Signed-in hello');
    await screenshot(p, 'login-required-chat');
    // Issue 16 bug 1: a reload after the sign-in round trip keeps the chat.
    await p.reload();
    await p.getByTestId('parley-composer').waitFor({ timeout: T.long });
    assert((await p.getByTestId('public-invalid').count()) === 0, 'after the sign-in round trip a reload lost the link');
    await v.close();
  });

  await scenario('plain HTML page on another origin: embed.js bubble', async () => {
    const token = await client.owner(`embed-owner-${Date.now()}@example.com`);
    const wf = await client.echoWorkflow(token, 'Embedded echo', { allowedOrigins: [stat.origin] });
    const pub = await client.publish(token, wf.id, false);
    stat.setPage(
      '/embed.html',
      `<!doctype html><html><head><meta charset="utf-8"><title>Acme support</title></head>
<body><h1>Acme</h1><p>A page that knows nothing about React or Module Federation.</p>
<script src="${base}/widget/embed.js" data-workflow="${wf.id}" data-token="${pub.publishToken}" data-renderer="lite" data-title="Acme help" async></script>
</body></html>`,
    );
    const v = await newBrowser('embed');
    cleanups.push(v.close);
    const p = v.page;
    const urls = requestLog(p);
    await p.goto(`${stat.origin}/embed.html`);
    const bubble = p.getByTestId('parley-embed-bubble');
    await bubble.waitFor({ timeout: T.long });
    await screenshot(p, 'embed-closed');
    assert(!urls.some((u) => u.endsWith('/widget/remoteEntry.js')), 'the remote loaded before the bubble was opened');
    await bubble.click();
    const panel = p.getByTestId('parley-embed-panel');
    await panel.getByTestId('parley-composer').waitFor({ timeout: T.long });
    assert(urls.some((u) => u.endsWith('/widget/remoteEntry.js')), 'remoteEntry.js was not fetched');
    await send(panel, 'Hello from another origin');
    await expectEcho(panel, 'Hello from another origin');
    await screenshot(p, 'embed-chat-echo');
    await v.close();
  });

  await scenario('host app (ops/examples/host-app): two signed-in users each see only their own history, across devices', async () => {
    const token = await client.owner(`host-owner-${Date.now()}@example.com`);
    const wf = await client.echoWorkflow(token, 'Host app echo');
    const key = await client.call('POST', `/api/workflows/${wf.id}/server-keys`, { token, body: { name: 'host app' } });
    const app = await startHostApp({ parleyUrl: base, workflowId: wf.id, serverKey: key.key });
    cleanups.push(app.close);
    await client.call('PATCH', `/api/workflows/${wf.id}`, { token, body: { allowedOrigins: [app.origin] } });

    const signIn = async (name) => {
      const b = await newBrowser(`host-${name}`);
      cleanups.push(b.close);
      const errors = [];
      b.page.on('pageerror', (e) => errors.push(String(e)));
      await b.page.goto(app.origin);
      const form = b.page.getByTestId('host-login');
      await form.getByLabel('Username').fill(name);
      await form.getByLabel('Password').fill(`${name}-password`);
      await form.getByRole('button', { name: 'Sign in' }).click();
      await b.page.getByTestId('host-user').waitFor({ timeout: T.long });
      await b.page.getByTestId('parley-composer').waitFor({ timeout: T.long });
      return { ...b, errors };
    };
    const openHistory = async (p) => {
      const toggle = p.getByTestId('parley-history-toggle');
      if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
      await p.getByTestId('parley-thread-list').waitFor({ timeout: T.normal });
      await p.waitForLoadState('networkidle').catch(() => {});
    };

    const alice = await signIn('alice');
    await send(alice.page, 'Alice asks about invoices');
    await expectEcho(alice.page, 'Alice asks about invoices');
    await screenshot(alice.page, 'host-app-alice');

    const bob = await signIn('bob');
    await send(bob.page, 'Bob asks about shipping');
    await expectEcho(bob.page, 'Bob asks about shipping');
    await openHistory(bob.page);
    const bobThreads = await bob.page.getByTestId('parley-thread-item').allInnerTexts();
    await screenshot(bob.page, 'host-app-bob-history');
    assert(bobThreads.length === 1 && !bobThreads.join(' ').includes('Alice'), `bob sees threads ${JSON.stringify(bobThreads)}`);

    // Alice on a second device: her conversation is there, Bob's is not.
    const laptop = await signIn('alice');
    await openHistory(laptop.page);
    const aliceThreads = await laptop.page.getByTestId('parley-thread-item').allInnerTexts();
    await screenshot(laptop.page, 'host-app-alice-second-device');
    assert(aliceThreads.length === 1 && aliceThreads[0].includes('Alice asks'), `alice's second device sees ${JSON.stringify(aliceThreads)}`);
    await laptop.page.getByTestId('parley-thread-item').first().click();
    await laptop.page.locator('[data-testid="parley-message"]', { hasText: 'Alice asks about invoices' }).first().waitFor({ timeout: T.long });

    // The owner sees both as host users.
    const transcripts = await client.call('GET', `/api/workflows/${wf.id}/transcripts?principalKind=host`, { token });
    const labels = transcripts.data.map((t) => t.principalLabel).sort();
    assert(JSON.stringify(labels) === JSON.stringify(['Alice <alice@example.com> (user-alice)', 'Bob <bob@example.com> (user-bob)']), `labels ${JSON.stringify(labels)}`);
    for (const b of [alice, bob, laptop]) assert(b.errors.length === 0, `page errors: ${b.errors.join('; ')}`);
    await Promise.all([alice.close(), bob.close(), laptop.close(), app.close()]);
  });

  await scenario('plain HTML page on another origin: mount() from the remote container', async () => {
    const token = await client.owner(`mount-owner-${Date.now()}@example.com`);
    const wf = await client.echoWorkflow(token, 'Mounted echo', { allowedOrigins: [stat.origin] });
    const pub = await client.publish(token, wf.id, false);
    stat.setPage(
      '/mount.html',
      `<!doctype html><html><head><meta charset="utf-8"><title>mount()</title></head>
<body><h1>mount()</h1><div id="chat" style="height:520px;max-width:480px"></div>
<script type="module">
  const container = await import(${JSON.stringify(`${base}/widget/remoteEntry.js`)});
  await container.init({});
  const { mount } = (await container.get('./mount'))();
  window.unmountChat = mount(document.getElementById('chat'), {
    apiBaseUrl: ${JSON.stringify(base)},
    workflowId: ${JSON.stringify(wf.id)},
    auth: { kind: 'publishToken', token: ${JSON.stringify(pub.publishToken)} },
    renderer: 'lite',
    title: 'Mounted',
  });
</script></body></html>`,
    );
    const v = await newBrowser('mount');
    cleanups.push(v.close);
    const p = v.page;
    const errors = [];
    p.on('pageerror', (e) => errors.push(String(e)));
    await p.goto(`${stat.origin}/mount.html`);
    await p.getByTestId('parley-composer').waitFor({ timeout: T.long });
    await send(p, 'Hello through mount');
    await expectEcho(p, 'Hello through mount');
    await screenshot(p, 'mount-chat-echo');
    await p.evaluate(() => window.unmountChat());
    await p.getByTestId('parley-widget').waitFor({ state: 'detached' });
    assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
    await v.close();
  });

  await scenario('agent: a visitor approves a tool call on the public page and sees the answer', async () => {
    const model = await startFakeOpenAI();
    cleanups.push(model.close);
    const tool = await startOrderTool();
    cleanups.push(tool.close);
    const token = await client.owner(`agent-owner-${Date.now()}@example.com`);
    const wf = await client.call('POST', '/api/workflows', {
      token,
      body: {
        name: 'Refund desk',
        runner: {
          kind: 'agent',
          provider: 'compatible',
          model: 'fake-model',
          baseUrl: model.baseUrl,
          tools: [
            {
              type: 'http',
              name: 'refund_order',
              description: 'Refund an order',
              approval: 'always',
              method: 'POST',
              url: `${tool.origin}/orders/{orderId}/refund`,
              parameters: { type: 'object', properties: { orderId: { type: 'string' } }, required: ['orderId'] },
            },
          ],
        },
      },
    });
    const pub = await client.publish(token, wf.id, false);
    const v = await newBrowser('visitor-agent');
    cleanups.push(v.close);
    const p = v.page;
    await p.goto(pub.shareUrl);
    await widgetReady(p);
    await send(p, '/tool refund_order {"orderId":"A-17"}');

    // The model asked for an approval-gated tool: a card with the arguments and Approve / Deny; nothing ran yet.
    const approve = p.getByRole('button', { name: 'Approve' });
    await approve.waitFor({ timeout: T.long });
    const card = p.locator('[data-testid="parley-message"][data-role="widget"]').last();
    const cardText = await card.innerText();
    assert(cardText.includes('refund_order') && cardText.includes('"orderId": "A-17"'), `unexpected approval card: ${cardText}`);
    assert(await p.getByRole('button', { name: 'Deny' }).isVisible(), 'no Deny button');
    assert(tool.requests.length === 0, 'the tool ran before anyone approved it');
    await screenshot(p, 'agent-approval-card');

    await approve.click();
    const answer = await expectEcho(p, 'returned:');
    const text = await answer.innerText();
    assert(text.includes('A-17') && text.includes('42.00 EUR'), `unexpected answer: ${text}`);
    await p.locator('[data-testid="parley-message"][data-role="widget"]', { hasText: /Approved/ }).first().waitFor({ timeout: T.long });
    assert((await p.getByRole('button', { name: 'Approve' }).count()) === 0, 'the approval card still offers Approve');
    assert(tool.requests.length === 1, `the tool ran ${tool.requests.length} times`);
    const identity = tool.requests[0].headers['x-parley-identity'];
    assert(typeof identity === 'string' && identity.split('.').length === 3, 'the tool call carried no X-Parley-Identity JWT');
    await screenshot(p, 'agent-approved-answer');
    await v.close();
  });

  await scenario('agent: a page that mount()s the widget runs a client tool through onClientTool', async () => {
    const model = await startFakeOpenAI();
    cleanups.push(model.close);
    const token = await client.owner(`client-tool-owner-${Date.now()}@example.com`);
    const wf = await client.call('POST', '/api/workflows', {
      token,
      body: {
        name: 'Page helper',
        allowedOrigins: [stat.origin],
        runner: {
          kind: 'agent',
          provider: 'compatible',
          model: 'fake-model',
          baseUrl: model.baseUrl,
          tools: [{ type: 'client', name: 'cart_size', parameters: { type: 'object', properties: { unit: { type: 'string' } } } }],
        },
      },
    });
    const pub = await client.publish(token, wf.id, false);
    stat.setPage(
      '/client-tool.html',
      `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>Shop</h1><ul id="cart"><li>a</li><li>b</li><li>c</li></ul><div id="chat" style="height:520px;max-width:480px"></div>
<script type="module">
  const container = await import(${JSON.stringify(`${base}/widget/remoteEntry.js`)});
  await container.init({});
  const { mount } = (await container.get('./mount'))();
  window.toolCalls = [];
  mount(document.getElementById('chat'), {
    apiBaseUrl: ${JSON.stringify(base)},
    workflowId: ${JSON.stringify(wf.id)},
    auth: { kind: 'publishToken', token: ${JSON.stringify(pub.publishToken)} },
    renderer: 'lite',
    onClientTool: async (call) => {
      window.toolCalls.push(call);
      return { items: document.querySelectorAll('#cart li').length, unit: call.arguments.unit };
    },
  });
</script></body></html>`,
    );
    const v = await newBrowser('client-tool');
    cleanups.push(v.close);
    const p = v.page;
    const errors = [];
    p.on('pageerror', (e) => errors.push(String(e)));
    await p.goto(`${stat.origin}/client-tool.html`);
    await p.getByTestId('parley-composer').waitFor({ timeout: T.long });
    await send(p, '/tool cart_size {"unit":"items"}');
    const answer = await expectEcho(p, 'returned:');
    const text = await answer.innerText();
    assert(text.includes('"items":3') && text.includes('"unit":"items"'), `unexpected answer: ${text}`);
    const calls = await p.evaluate(() => window.toolCalls);
    assert(JSON.stringify(calls) === JSON.stringify([{ name: 'cart_size', arguments: { unit: 'items' } }]), `onClientTool got ${JSON.stringify(calls)}`);
    await p.locator('[data-testid="parley-message"][data-role="client_tool_call"]', { hasText: 'Ran “cart_size”.' }).waitFor({ timeout: T.long });
    assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
    await screenshot(p, 'client-tool-answer');
    await v.close();
  });

  await scenario('versions: visitors chat with the published version, the owner’s bubble with the draft; publish draft, roll back', async () => {
    const model = await startFakeOpenAI();
    cleanups.push(model.close);
    const ownerEmail = `versions-owner-${Date.now()}@example.com`;
    const token = await client.owner(ownerEmail, password);
    const wf = await client.echoWorkflow(token, 'Versioned desk');
    const pub = await client.publish(token, wf.id, false);
    // A new draft: a model instead of echo. Visitors keep version 1 (echo) until it is published.
    await client.call('PATCH', `/api/workflows/${wf.id}`, {
      token,
      body: { runner: { kind: 'openai', provider: 'compatible', model: 'fake-model', baseUrl: model.baseUrl } },
    });

    const b = await newBrowser('owner-versions');
    cleanups.push(b.close);
    const p = b.page;
    await p.goto(`${base}/login`);
    const form = p.getByTestId('sign-in-form');
    await form.getByLabel('Email').fill(ownerEmail);
    await form.getByLabel('Password').fill(password);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await p.getByTestId('signed-in-user').waitFor({ timeout: T.long });
    await p.goto(`${base}/workflows/${wf.id}`);
    const panel = p.getByTestId('versions-panel');
    await panel.getByTestId('draft-differs').waitFor({ timeout: T.long });
    assert((await panel.getByTestId('versions-status').innerText()).includes('version 1'), 'the panel does not name version 1');
    await screenshot(p, 'versions-draft-differs');

    // The owner's bubble runs the draft (the model); a visitor gets version 1 (echo).
    await p.getByTestId('chat-bubble').click();
    const dialog = p.getByTestId('chat-dialog');
    await widgetReady(dialog);
    await send(dialog, 'draft hello');
    await expectEcho(dialog, 'Fake: draft hello');
    await p.getByTestId('chat-dialog-close').click();
    const v = await newBrowser('visitor-versions');
    cleanups.push(v.close);
    await v.page.goto(pub.shareUrl);
    await widgetReady(v.page);
    await send(v.page, 'public hello');
    await expectEcho(v.page, 'Echo: public hello');

    // Publish the draft from the panel: the visitor's next message gets version 2.
    await panel.getByTestId('publish-draft').click();
    await panel.getByTestId('publish-draft-confirm').click();
    await panel.getByText('Published the draft as version 2.').waitFor({ timeout: T.long });
    assert((await panel.getByTestId('draft-differs').count()) === 0, 'the draft still differs after publishing it');
    await send(v.page, 'after publish');
    await expectEcho(v.page, 'Fake: after publish');
    await screenshot(p, 'versions-published');

    // Roll back to version 1: echo again for the visitor, the draft is kept.
    await panel.getByTestId('rollback-1').click();
    await panel.getByTestId('rollback-1-confirm').click();
    await panel.getByText('Rolled back: visitors chat with version 1.').waitFor({ timeout: T.long });
    await panel.getByTestId('draft-differs').waitFor({ timeout: T.long });
    await send(v.page, 'after rollback');
    await expectEcho(v.page, 'Echo: after rollback');
    await screenshot(p, 'versions-rolled-back');
    await v.close();
    await b.close();
  });

  // Rate limits: a second server whose per-principal budget is tiny, so a visitor hits it within a few messages.
  await scenario('activity tab: charts and their table alternative for a seeded workflow', async () => {
    // Seeded through the real API: a visitor on the share-link page chats twice and rates an answer down.
    const analystEmail = `analyst-${Date.now()}@example.com`;
    const token = await client.owner(analystEmail, password);
    const wf = await client.echoWorkflow(token, 'Activity echo');
    const { publishToken } = await client.publish(token, wf.id);
    const chat = async (body, visitorToken) => {
      const r = await fetch(`${base}/api/chatkit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: base, 'x-parley-publish-token': publishToken, ...(visitorToken ? { 'x-parley-visitor': visitorToken } : {}) },
        body: JSON.stringify(body),
      });
      const text = await r.text();
      assert(r.ok, `chatkit ${body.type} → ${r.status} ${text.slice(0, 200)}`);
      const events = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
      return { events, visitor: r.headers.get('x-parley-visitor') ?? visitorToken };
    };
    const input = (text) => ({ content: [{ type: 'input_text', text }], attachments: [], inference_options: {} });
    const first = await chat({ type: 'threads.create', params: { input: input('Where is my parcel?') } });
    const threadId = first.events[0].thread.id;
    const answer = first.events.find((e) => e.type === 'thread.item.done' && e.item.type === 'assistant_message').item.id;
    await chat({ type: 'threads.add_user_message', params: { thread_id: threadId, input: input('Still waiting') } }, first.visitor);
    await chat({ type: 'items.feedback', params: { thread_id: threadId, item_ids: [answer], kind: 'negative' } }, first.visitor);

    const analyst = await newBrowser('analyst');
    cleanups.push(analyst.close);
    const ap = analyst.page;
    const requests = requestLog(ap);
    await ap.goto(`${base}/login`);
    const form = ap.getByTestId('sign-in-form');
    await form.getByLabel('Email').fill(analystEmail);
    await form.getByLabel('Password').fill(password);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await ap.getByTestId('signed-in-user').waitFor({ timeout: T.long });
    await ap.goto(`${base}/workflows/${wf.id}/activity`);
    const totals = ap.getByTestId('activity-totals');
    await totals.waitFor({ timeout: T.long });
    const text = await totals.innerText();
    assert(/Conversations\s*1/.test(text) && /Messages\s*2/.test(text) && /People\s*1/.test(text), `unexpected totals: ${text}`);
    // Every chart is drawn (uPlot renders a canvas), uPlot arrived as its own lazy chunk.
    for (const id of ['conversations', 'messages', 'feedback', 'errors', 'ttft']) {
      await ap.getByTestId(`plot-${id}`).locator('canvas').first().waitFor({ timeout: T.long });
    }
    assert(requests.some((u) => /uPlot|uplot/i.test(u)), 'uPlot was not loaded as a separate chunk');
    await screenshot(ap, 'activity-charts');
    // The table alternative of the messages chart holds the two messages from the share-link page.
    const toggle = ap.getByTestId('toggle-messages');
    await toggle.click();
    assert((await toggle.getAttribute('aria-pressed')) === 'true', 'toggle not pressed');
    const table = ap.getByTestId('table-messages');
    await table.waitFor();
    const header = await table.locator('thead').innerText();
    assert(header.includes('Share-link page'), `table header: ${header}`);
    const cells = await table.locator('tbody td').allInnerTexts();
    assert(cells.map(Number).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0) === 2, `table cells: ${cells.join(',')}`);
    await screenshot(ap, 'activity-table');
    // The thumbs-down answer links to its transcript.
    const link = ap.getByTestId('thumbs-down').getByRole('link').first();
    assert((await link.getAttribute('href')) === `/workflows/${wf.id}/transcripts/${threadId}`, 'thumbs-down link');
    await analyst.close();
  });

  await scenario('rate limit: the visitor sees a countdown', async () => {
    const limited = await startServer({
      name: 'server-ratelimited',
      log,
      env: { RATE_LIMIT_PER_PRINCIPAL: '4', RATE_LIMIT_WINDOW: '60' },
    });
    cleanups.push(limited.stop);
    const c = api(limited.base);
    const token = await c.owner(`rl-owner-${Date.now()}@example.com`);
    const wf = await c.echoWorkflow(token, 'Busy echo');
    const pub = await c.publish(token, wf.id, false);
    const v = await newBrowser('visitor-ratelimit');
    cleanups.push(v.close);
    const p = v.page;
    await p.goto(pub.shareUrl);
    const banner = p.getByTestId('parley-rate-limit');
    for (let i = 1; i <= 8 && !(await banner.isVisible().catch(() => false)); i++) {
      const composer = p.getByTestId('parley-composer');
      await composer.waitFor({ timeout: T.long });
      await composer.fill(`message ${i}`);
      const sendButton = p.getByTestId('parley-send');
      if (await sendButton.isDisabled()) break;
      await sendButton.click();
      await Promise.race([
        banner.waitFor({ timeout: T.long }),
        p.locator('[data-testid="parley-message"][data-role="assistant"]', { hasText: `message ${i}` }).first().waitFor({ timeout: T.long }),
      ]).catch(() => {});
    }
    await banner.waitFor({ timeout: T.long });
    const seconds = Number((await p.getByTestId('parley-countdown').innerText()).replace(/\D+/g, ''));
    assert(seconds > 0 && seconds <= 60, `countdown shows ${seconds}`);
    await screenshot(p, 'rate-limited');
    // It counts down.
    await p.waitForFunction(
      (s) => Number(document.querySelector('[data-testid="parley-countdown"]')?.textContent?.replace(/\D+/g, '')) < s,
      seconds,
      { timeout: 5000 },
    );
    await v.close();
    await limited.stop();
  });

  // Issue 16: what a newcomer hit. Each scenario is self-contained (its own workflow), on a server of its own whose
  // per-IP budgets leave room for the many owners and pages these scenarios create (the main server's would answer
  // 429 by now); started on first use, so `--only` runs without them do not pay for it.
  let issue16 = null;
  const i16 = async () => {
    if (!issue16) {
      const srv = await startServer({ name: 'server-issue16', log, env: { RATE_LIMIT_PER_IP: '100000', AUTH_RATE_LIMIT_PER_IP: '1000' } });
      cleanups.push(srv.stop);
      const c = api(srv.base);
      issue16 = { base: srv.base, client: c, owner: await c.owner(`issue16-owner-${Date.now()}@example.com`) };
    }
    return issue16;
  };
  const FAKE_CHATKIT = `customElements.define('openai-chatkit', class extends HTMLElement {
    setOptions() { this.setAttribute('data-fake-chatkit', 'ready'); this.textContent = 'Fake ChatKit'; }
  });`;
  const CHATKIT_CDN = 'https://cdn.platform.openai.com/deployments/chatkit/chatkit.js';

  await scenario('issue16 bug 1: reloading the public page keeps the chat; the token never reaches the server', async () => {
    const { client, owner: token } = await i16();
    const wf = await client.echoWorkflow(token, 'Reload echo');
    const pub = await client.publish(token, wf.id, false);
    const v = await newBrowser('visitor-reload');
    cleanups.push(v.close);
    const p = v.page;
    const urls = requestLog(p);
    await p.goto(pub.shareUrl);
    await widgetReady(p);
    await send(p, 'Before the reload');
    await expectEcho(p, 'Before the reload');
    await p.reload();
    await p.getByTestId('parley-widget').waitFor({ timeout: T.long });
    const invalid = await p.getByTestId('public-invalid').isVisible().catch(() => false);
    assert(!invalid, 'after a reload the page says the link is not valid');
    await p.getByTestId('parley-composer').waitFor({ timeout: T.long });
    await send(p, 'After the reload');
    await expectEcho(p, 'After the reload');
    assert(!p.url().includes('token='), `the token is in the address bar: ${p.url()}`);
    const leaked = urls.filter((u) => u.includes(pub.publishToken));
    assert(leaked.length === 0, `the token was sent in a URL: ${leaked.join(', ')}`);
    await screenshot(p, 'public-after-reload');
    // Rotation still ends it, also for the tab that kept the old token.
    await client.call('POST', `/api/workflows/${wf.id}/publish/rotate`, { token, body: { requireLogin: false } });
    await p.reload();
    await p.locator('[data-testid="parley-screen"][data-kind="link_rotated"]').waitFor({ timeout: T.long });
    await v.close();
  });

  await scenario('issue16 bug 2: a new link pasted into the same tab is taken, stripped and used', async () => {
    const { client, owner: token } = await i16();
    const wf = await client.echoWorkflow(token, 'Paste echo');
    const first = await client.publish(token, wf.id, false);
    const v = await newBrowser('visitor-paste');
    cleanups.push(v.close);
    const p = v.page;
    await p.goto(first.shareUrl);
    await widgetReady(p);
    const rotated = await client.call('POST', `/api/workflows/${wf.id}/publish/rotate`, { token, body: { requireLogin: false } });
    const newUrl = rotated.shareUrl;
    assert(newUrl && newUrl !== first.shareUrl, 'rotation returned no new link');
    await p.getByTestId('parley-composer').fill('With the old link');
    await p.getByTestId('parley-send').click();
    await p.locator('[data-testid="parley-screen"][data-kind="link_rotated"]').waitFor({ timeout: T.long });
    // The visitor pastes the new link into the address bar of the same tab: only the fragment changes.
    await p.goto(newUrl);
    await p.getByTestId('parley-composer').waitFor({ timeout: T.long });
    assert(!p.url().includes('token='), `the new token stayed in the address bar: ${p.url()}`);
    const stale = await p.locator('[data-testid="parley-screen"][data-kind="link_rotated"]').count();
    assert(stale === 0, 'still shows "This link was replaced"');
    await send(p, 'With the new link');
    await expectEcho(p, 'With the new link');
    await screenshot(p, 'public-new-link-pasted');
    await v.close();
  });

  await scenario('issue16 bug 3: an embed on an unlisted origin says "not available on this site"; /api/config is readable', async () => {
    const { base, client, owner: token } = await i16();
    const wf = await client.echoWorkflow(token, 'Listed elsewhere', { allowedOrigins: ['https://shop.example.com'] });
    const pub = await client.publish(token, wf.id, false);
    stat.setPage(
      '/unlisted.html',
      `<!doctype html><html><head><meta charset="utf-8"><title>Unlisted</title></head><body><h1>Unlisted site</h1>
<script src="${base}/widget/embed.js" data-workflow="${wf.id}" data-token="${pub.publishToken}" async></script>
</body></html>`,
    );
    const v = await newBrowser('embed-unlisted');
    cleanups.push(v.close);
    const p = v.page;
    await v.context.route(CHATKIT_CDN, (route) => route.abort('connectionrefused'));
    const consoleLines = [];
    p.on('console', (m) => consoleLines.push(m.text()));
    await p.goto(`${stat.origin}/unlisted.html`);
    await p.getByTestId('parley-embed-bubble').click();
    const panel = p.getByTestId('parley-embed-panel');
    const screen = panel.locator('[data-testid="parley-screen"][data-kind="unavailable"]');
    await screen.waitFor({ timeout: T.long });
    const text = await screen.innerText();
    assert(/not available on this site/i.test(text), `unexpected text: ${text}`);
    const readable = await p.evaluate(async (url) => (await (await fetch(url)).json()).widgetManifestUrl, `${base}/api/config`);
    assert(typeof readable === 'string', '/api/config is not readable cross-origin');
    const cors = consoleLines.filter((l) => /CORS|Access-Control-Allow-Origin/i.test(l));
    assert(cors.length === 0, `CORS errors: ${cors.join(' | ').slice(0, 500)}`);
    await screenshot(p, 'embed-unlisted-origin');
    await v.close();
  });

  await scenario("issue16 bug 4: listing an embed origin keeps the owner's own share page working", async () => {
    const { client, owner: token } = await i16();
    const wf = await client.echoWorkflow(token, 'Listed embed', { allowedOrigins: [stat.origin] });
    const pub = await client.publish(token, wf.id, false);
    const v = await newBrowser('visitor-listed');
    cleanups.push(v.close);
    const p = v.page;
    await p.goto(pub.shareUrl);
    await widgetReady(p);
    const unavailable = await p.locator('[data-testid="parley-screen"][data-kind="unavailable"]').count();
    assert(unavailable === 0, 'the share page says the chat is not available here');
    await send(p, 'Hello from the share page');
    await expectEcho(p, 'Hello from the share page');
    await v.close();
  });

  await scenario('issue16 bug 5: the CSP lets the configured ChatKit script load; the notice only on a real failure', async () => {
    const { client, owner: token } = await i16();
    const wf = await client.echoWorkflow(token, 'ChatKit echo');
    const pub = await client.publish(token, wf.id, false);
    const v = await newBrowser('visitor-chatkit');
    cleanups.push(v.close);
    const p = v.page;
    const violations = [];
    p.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await v.context.route(CHATKIT_CDN, (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: FAKE_CHATKIT }));
    await p.goto(pub.shareUrl);
    await p.locator('[data-testid="parley-widget"][data-active-renderer="chatkit"]').waitFor({ timeout: T.long }).catch(async (err) => {
      await screenshot(p, 'chatkit-blocked');
      throw new Error(`ChatKit did not start (${violations.join(' | ').slice(0, 400)})`, { cause: err });
    });
    await p.locator('openai-chatkit[data-fake-chatkit="ready"]').waitFor({ timeout: T.long });
    assert((await p.getByTestId('parley-fallback-notice').count()) === 0, 'the fallback notice is shown although ChatKit loaded');
    assert(violations.length === 0, `CSP violations: ${violations.join(' | ').slice(0, 400)}`);
    await screenshot(p, 'chatkit-loaded');
    // A real failure: the notice appears and the lite chat works.
    const w = await newBrowser('visitor-chatkit-down');
    cleanups.push(w.close);
    await w.context.route(CHATKIT_CDN, (route) => route.abort('connectionrefused'));
    await w.page.goto(pub.shareUrl);
    await w.page.getByTestId('parley-fallback-notice').waitFor({ timeout: T.long });
    await w.page.getByTestId('parley-composer').waitFor({ timeout: T.long });
    await w.close();
    await v.close();
  });

  await scenario('issue16 bug 6: the embed reports one open per open', async () => {
    const { base, client, owner: token } = await i16();
    const wf = await client.echoWorkflow(token, 'Telemetry echo', { allowedOrigins: [stat.origin] });
    const pub = await client.publish(token, wf.id, false);
    stat.setPage(
      '/telemetry.html',
      `<!doctype html><html><head><meta charset="utf-8"><title>Telemetry</title>
<script>window.parleyEvents = []; addEventListener('parley:embed', (e) => window.parleyEvents.push(e.detail.type));</script>
</head><body><h1>Telemetry</h1>
<script src="${base}/widget/embed.js" data-workflow="${wf.id}" data-token="${pub.publishToken}" data-renderer="lite" async></script>
</body></html>`,
    );
    const v = await newBrowser('embed-telemetry');
    cleanups.push(v.close);
    const p = v.page;
    await p.goto(`${stat.origin}/telemetry.html`);
    const bubble = p.getByTestId('parley-embed-bubble');
    await bubble.click();
    await p.getByTestId('parley-embed-panel').getByTestId('parley-composer').waitFor({ timeout: T.long });
    await p.getByTestId('parley-embed-close').click();
    await bubble.click();
    await p.getByTestId('parley-embed-panel').getByTestId('parley-composer').waitFor({ timeout: T.long });
    const events = await p.evaluate(() => window.parleyEvents);
    const opens = events.filter((e) => e === 'open').length;
    const closes = events.filter((e) => e === 'close').length;
    assert(opens === 2 && closes === 1, `two opens and one close expected, saw: ${events.join(', ')}`);
    await v.close();
  });

  await scenario('issue16 touch: chat controls are at least 44 px on a touch screen', async () => {
    const { client, owner: token } = await i16();
    const wf = await client.echoWorkflow(token, 'Touch echo');
    const pub = await client.publish(token, wf.id, false);
    const v = await newBrowser('visitor-touch', { hasTouch: true, isMobile: true, viewport: { width: 390, height: 844 } });
    cleanups.push(v.close);
    const p = v.page;
    await v.context.route(CHATKIT_CDN, (route) => route.abort('connectionrefused'));
    await p.goto(pub.shareUrl);
    await widgetReady(p);
    await send(p, 'Tap tap');
    await expectEcho(p, 'Tap tap');
    assert(await p.evaluate(() => window.matchMedia('(pointer: coarse)').matches), 'the emulated screen is not a touch screen');
    const small = await p.evaluate(() =>
      Array.from(document.querySelectorAll('[data-testid="parley-widget"] button'))
        .map((b) => ({ b, r: b.getBoundingClientRect() }))
        .filter(({ r }) => r.width > 0 && r.height > 0)
        .filter(({ r }) => r.width < 44 || r.height < 44)
        .map(({ b, r }) => `${b.getAttribute('aria-label') || b.textContent?.trim() || b.dataset.testid} ${Math.round(r.width)}x${Math.round(r.height)}`),
    );
    assert(small.length === 0, `controls under 44 px: ${small.join(', ')}`);
    await screenshot(p, 'touch-targets');
    await v.close();
  });
}

let fatal = null;
try {
  await main();
} catch (err) {
  fatal = err;
  console.log(`FAIL suite setup`);
  console.log(`  ${String(err?.stack || err).split('\n').slice(0, 12).join('\n  ')}`);
  results.push({ name: 'suite setup', ok: false });
} finally {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch {
      /* keep cleaning */
    }
  }
}
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || fatal ? 1 : 0);
