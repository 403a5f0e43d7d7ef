#!/usr/bin/env node
/**
 * `npm run test:scale`: two Parley processes on one PostgreSQL and one Redis.
 *
 * Starts TWO `backend/dist/main.js` (different ports, same DATABASE_URL and REDIS_URL, tiny rate
 * limits) and checks what must hold across instances:
 *   - two instances starting together on a fresh database both come up (migrations are locked);
 *   - a rate limit is shared: the requests admitted by both together never exceed the limit;
 *   - a revoke on one instance (chat session, share link) is enforced by the other at once;
 *   - a thread started through one instance continues through the other (canvas and visitor);
 *   - revoking a workflow on one instance ends its live public streams on the other within a
 *     second (PostgreSQL LISTEN/NOTIFY), while canvas streams go on.
 *
 * Needs DATABASE_URL (a fresh PostgreSQL database; TEST_DATABASE_URL is accepted too) and
 * REDIS_URL (a throwaway Redis; it is not flushed, keys are per run). Without them, it starts
 * throwaway servers with ops/postgres/throwaway.sh and ops/redis/throwaway.sh when it can.
 * Builds the backend first when dist is missing or older than the sources.
 *
 * Prints `PASS …` / `FAIL …` per check and ends with exactly one `N passed, M failed` line; exits
 * non-zero when anything failed. Its children (servers, throwaways) are stopped on every exit path.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { buildBackendIfStale, freePort, MAIN, parseExports, ROOT } from '../lib/common.mjs';
import { startFakeOpenAI } from '../lib/fake-openai.mjs';

const LIMIT = 10;
const READY_TIMEOUT_MS = Number(process.env.SCALE_READY_TIMEOUT_MS ?? 90_000);

const children = [];
const cleanups = [];
let passed = 0;
let failed = 0;
let finished = false;

function log(line) {
  process.stdout.write(`${line}\n`);
}

function stopChildren() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGTERM');
      } catch {
        /* already gone */
      }
    }
  }
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      cleanup();
    } catch {
      /* best effort */
    }
  }
}

function finish(code) {
  if (finished) return;
  finished = true;
  stopChildren();
  log(`${passed} passed, ${failed} failed`);
  process.exit(code ?? (failed ? 1 : 0));
}

process.on('SIGINT', () => {
  failed++;
  log('FAIL interrupted');
  finish(130);
});
process.on('SIGTERM', () => {
  failed++;
  log('FAIL terminated');
  finish(143);
});
process.on('exit', stopChildren);

// ---------------------------------------------------------------------------------------------
// infrastructure


function throwaway(script, env) {
  const out = execFileSync(join(ROOT, script), ['start'], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return parseExports(out);
}

function infrastructure() {
  let databaseUrl = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL;
  let redisUrl = process.env.REDIS_URL;
  if (!databaseUrl) {
    log('# DATABASE_URL unset: starting a throwaway PostgreSQL');
    const pg = throwaway('ops/postgres/throwaway.sh', { PGPORT: 'auto', PGDB: 'parley_scale' });
    cleanups.push(() => execFileSync(join(ROOT, 'ops/postgres/throwaway.sh'), ['stop', pg.PGTMP], { stdio: 'ignore', env: { ...process.env, PGPORT: pg.PGPORT } }));
    databaseUrl = pg.DATABASE_URL;
  }
  if (!redisUrl) {
    log('# REDIS_URL unset: starting a throwaway Redis');
    const redis = throwaway('ops/redis/throwaway.sh', { REDIS_PORT: 'auto' });
    cleanups.push(() => execFileSync(join(ROOT, 'ops/redis/throwaway.sh'), ['stop', redis.REDISTMP], { stdio: 'ignore' }));
    redisUrl = redis.REDIS_URL;
  }
  return { databaseUrl, redisUrl };
}


async function startInstance(name, env) {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  child.stderr.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return { name, baseUrl, child, output: () => output };
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} was not ready within ${READY_TIMEOUT_MS} ms:\n${output}`);
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

async function call(instance, method, path, { auth, body, headers = {} } = {}) {
  const res = await fetch(`${instance.baseUrl}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(auth ? { authorization: auth } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  if ((res.headers.get('content-type') ?? '').includes('application/json') && text) json = JSON.parse(text);
  const events = (res.headers.get('content-type') ?? '').startsWith('text/event-stream')
    ? text
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => JSON.parse(l.slice(6)))
    : undefined;
  return { status: res.status, headers: res.headers, json, events, text };
}

/** Opens a ChatKit stream and reads its frames as they arrive. */
async function liveStream(instance, headers, body) {
  const res = await fetch(`${instance.baseUrl}/api/chatkit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const events = [];
  let buffer = '';
  let firstDelta;
  const gotDelta = new Promise((resolveDelta) => (firstDelta = resolveDelta));
  const ended = (async () => {
    const decoder = new TextDecoder();
    for await (const part of res.body) {
      buffer += decoder.decode(part, { stream: true });
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = frame.split('\n').find((l) => l.startsWith('data: '));
        if (!data) continue;
        const event = JSON.parse(data.slice(6));
        events.push(event);
        if (event.type === 'thread.item.updated') firstDelta();
      }
    }
    return Date.now();
  })();
  return { status: res.status, events, gotDelta, ended };
}

const withTimeout = (promise, ms, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms))]);

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function owner(instance) {
  const email = `scale-${randomUUID().slice(0, 8)}@example.com`;
  const password = 'correct horse battery staple';
  const reg = await call(instance, 'POST', '/api/auth/register', { body: { email, password } });
  expect(reg.status === 201, `register answered ${reg.status}: ${reg.text}`);
  const login = await call(instance, 'POST', '/api/auth/login', { body: { email, password } });
  expect(login.status === 200, `login answered ${login.status}: ${login.text}`);
  return `Bearer ${login.json.accessToken}`;
}

async function workflow(instance, auth) {
  const res = await call(instance, 'POST', '/api/workflows', { auth, body: { name: 'Scale', runner: { kind: 'echo' } } });
  expect(res.status === 201, `create workflow answered ${res.status}: ${res.text}`);
  return res.json.id;
}

async function chatSession(instance, auth, workflowId, deviceId = 'default') {
  const res = await call(instance, 'POST', `/api/workflows/${workflowId}/chatkit/session`, { auth, body: { deviceId } });
  expect(res.status === 200, `chat session answered ${res.status}: ${res.text}`);
  return res.json;
}

const chat = (instance, token, body, headers) => call(instance, 'POST', '/api/chatkit', { auth: token ? `Bearer ${token}` : undefined, body, headers });
const LIST = { type: 'threads.list', params: {} };
const createBody = (text) => ({ type: 'threads.create', params: { input: { content: [{ type: 'input_text', text }], attachments: [], inference_options: {} } } });
const addBody = (threadId, text) => ({
  type: 'threads.add_user_message',
  params: { thread_id: threadId, input: { content: [{ type: 'input_text', text }], attachments: [], inference_options: {} } },
});

// ---------------------------------------------------------------------------------------------
// checks

async function check(name, fn) {
  try {
    await fn();
    passed++;
    log(`PASS ${name}`);
  } catch (err) {
    failed++;
    log(`FAIL ${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function main() {
  buildBackendIfStale(log);
  const { databaseUrl, redisUrl } = infrastructure();
  const env = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    DATABASE_MIGRATIONS_RUN: 'true',
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: redisUrl,
    PARLEY_SECRET_KEY: randomBytes(32).toString('base64url'),
    PUBLIC_BASE_URL: 'http://localhost:3000',
    RATE_LIMIT_PER_PRINCIPAL: String(LIMIT),
    RATE_LIMIT_PER_IP: '100000',
    RATE_LIMIT_PER_LINK: '100000',
    RATE_LIMIT_WINDOW: '60',
    AUTH_RATE_LIMIT_PER_IP: '100000',
    AUTH_RATE_LIMIT_PER_EMAIL: '100000',
  };
  // Together, on a fresh database: both run migrations at start-up, serialized by the advisory
  // lock (backend/src/database/migration-lock.ts). Without it one of them fails on objects the
  // other just created.
  const [a, b] = await Promise.all([startInstance('instance A', env), startInstance('instance B', env)]);
  log(`# instance A on ${a.baseUrl}, instance B on ${b.baseUrl}, one database and one Redis`);

  await check(`a rate limit is shared: ${LIMIT}/min per principal across both instances`, async () => {
    const auth = await owner(a);
    const wf = await workflow(a, auth);
    const { token } = await chatSession(b, auth, wf);
    const answers = await Promise.all(Array.from({ length: 3 * LIMIT }, (_, i) => chat(i % 2 ? b : a, token, LIST)));
    const admitted = answers.filter((r) => r.status === 200);
    const limited = answers.filter((r) => r.status === 429);
    expect(admitted.length + limited.length === answers.length, `unexpected statuses: ${[...new Set(answers.map((r) => r.status))].join(', ')}`);
    expect(admitted.length <= LIMIT, `${admitted.length} requests admitted in total, limit ${LIMIT}`);
    expect(admitted.length === LIMIT, `only ${admitted.length} of ${LIMIT} admitted`);
    const perInstance = [0, 1].map((k) => answers.filter((r, i) => i % 2 === k && r.status === 200).length);
    expect(perInstance.every((n) => n > 0) || admitted.length === LIMIT, 'one instance admitted nothing');
    expect(limited.every((r) => r.json?.code === 'rate_limited' && r.headers.get('retry-after')), '429 without rate_limited / Retry-After');
  });

  await check('a chat session revoked on instance A is refused by instance B at once (401 chat_session_revoked)', async () => {
    const auth = await owner(a);
    const wf = await workflow(a, auth);
    const { token, sessionId } = await chatSession(a, auth, wf);
    const before = await chat(b, token, LIST);
    expect(before.status === 200, `before revoke: ${before.status} ${before.text}`);
    const revoke = await call(a, 'DELETE', `/api/chatkit/sessions/${sessionId}`, { auth });
    expect(revoke.status === 204, `revoke answered ${revoke.status}`);
    const after = await chat(b, token, LIST);
    expect(after.status === 401 && after.json?.code === 'chat_session_revoked', `after revoke on A, B answered ${after.status} ${after.text}`);
  });

  await check('a share link revoked on instance B is refused by instance A at once (403 workflow_not_published)', async () => {
    const auth = await owner(b);
    const wf = await workflow(b, auth);
    const pub = await call(b, 'POST', `/api/workflows/${wf}/publish`, { auth, body: {} });
    expect(pub.status === 201, `publish answered ${pub.status}`);
    const headers = { 'x-parley-publish-token': pub.json.publishToken };
    const before = await chat(a, null, LIST, headers);
    expect(before.status === 200, `before revoke: ${before.status} ${before.text}`);
    const revoke = await call(b, 'POST', `/api/workflows/${wf}/publish/revoke`, { auth, body: {} });
    expect(revoke.status === 200, `revoke answered ${revoke.status}`);
    const after = await chat(a, null, LIST, headers);
    expect(after.status === 403 && after.json?.code === 'workflow_not_published', `after revoke on B, A answered ${after.status} ${after.text}`);
  });

  await check('a canvas thread started through instance A continues through instance B', async () => {
    const auth = await owner(a);
    const wf = await workflow(a, auth);
    const { token } = await chatSession(a, auth, wf);
    const created = await chat(a, token, createBody('first via A'));
    expect(created.status === 200 && created.events?.[0]?.type === 'thread.created', `create on A: ${created.status} ${created.text.slice(0, 300)}`);
    const threadId = created.events[0].thread.id;
    const { token: tokenB } = await chatSession(b, auth, wf);
    const more = await chat(b, tokenB, addBody(threadId, 'second via B'));
    expect(more.status === 200, `continue on B: ${more.status} ${more.text.slice(0, 300)}`);
    const items = await chat(a, token, { type: 'items.list', params: { thread_id: threadId, limit: 50, order: 'asc' } });
    expect(items.status === 200, `items.list on A: ${items.status} ${items.text.slice(0, 300)}`);
    const texts = JSON.stringify(items.json.data);
    expect(texts.includes('first via A') && texts.includes('second via B') && texts.includes('Echo: second via B'), `thread items: ${texts.slice(0, 500)}`);
  });

  await check('a visitor thread started through instance B continues through instance A (visitor token valid on both)', async () => {
    const auth = await owner(a);
    const wf = await workflow(a, auth);
    const pub = await call(a, 'POST', `/api/workflows/${wf}/publish`, { auth, body: {} });
    const headers = { 'x-parley-publish-token': pub.json.publishToken };
    const created = await chat(b, null, createBody('visitor via B'), headers);
    expect(created.status === 200, `create on B: ${created.status} ${created.text.slice(0, 300)}`);
    const visitor = created.headers.get('x-parley-visitor');
    expect(visitor, 'no X-Parley-Visitor header');
    const threadId = created.events[0].thread.id;
    const more = await chat(a, null, addBody(threadId, 'visitor via A'), { ...headers, 'x-parley-visitor': visitor });
    expect(more.status === 200, `continue on A: ${more.status} ${more.text.slice(0, 300)}`);
    expect(more.headers.get('x-parley-visitor') === visitor, 'instance A did not recognise the visitor');
    const stranger = await chat(a, null, { type: 'threads.get_by_id', params: { thread_id: threadId } }, headers);
    expect(stranger.status === 404, `another visitor read the thread: ${stranger.status}`);
  });

  await check('revoking on instance A ends live public streams on instance B within 1 s; canvas streams go on', async () => {
    const fake = await startFakeOpenAI();
    try {
      const auth = await owner(a);
      const runner = { kind: 'openai', provider: 'compatible', model: 'fake', baseUrl: fake.baseUrl };
      const res = await call(a, 'POST', '/api/workflows', { auth, body: { name: 'Live', runner } });
      expect(res.status === 201, `create workflow answered ${res.status}: ${res.text}`);
      const wf = res.json.id;
      const pub = await call(a, 'POST', `/api/workflows/${wf}/publish`, { auth, body: {} });
      expect(pub.status === 201, `publish answered ${pub.status}`);
      const { token } = await chatSession(b, auth, wf);
      // 100 words 100 ms apart: ~10 s of streaming, on instance B.
      const publicStream = await liveStream(b, { 'x-parley-publish-token': pub.json.publishToken }, createBody('/slow 100 100'));
      const canvasStream = await liveStream(b, { authorization: `Bearer ${token}` }, createBody('/slow 50 30'));
      expect(publicStream.status === 200 && canvasStream.status === 200, `streams answered ${publicStream.status}/${canvasStream.status}`);
      await withTimeout(Promise.all([publicStream.gotDelta, canvasStream.gotDelta]), 10_000, 'first words');
      const revokedAt = Date.now();
      const revoke = await call(a, 'POST', `/api/workflows/${wf}/publish/revoke`, { auth, body: {} });
      expect(revoke.status === 200, `revoke answered ${revoke.status}`);
      const endedAt = await withTimeout(publicStream.ended, 5_000, 'public stream end');
      const last = publicStream.events.at(-1);
      expect(endedAt - revokedAt < 1000, `the public stream on B ended ${endedAt - revokedAt} ms after the revoke on A`);
      expect(last?.type === 'error' && last.allow_retry === false, `last public event: ${JSON.stringify(last)}`);
      await withTimeout(canvasStream.ended, 10_000, 'canvas stream end');
      const deltas = canvasStream.events.filter((e) => e.type === 'thread.item.updated').length;
      expect(!canvasStream.events.some((e) => e.type === 'error') && deltas === 30, `canvas stream: ${deltas} words, events ${canvasStream.events.map((e) => e.type).join(',')}`);
      log(`# public stream on B ended ${endedAt - revokedAt} ms after the revoke on A`);
    } finally {
      await fake.close();
    }
  });

  for (const instance of [a, b]) {
    if (instance.child.exitCode !== null) {
      failed++;
      log(`FAIL ${instance.name} died during the run:\n${instance.output()}`);
    }
  }
}

main().then(
  () => finish(),
  (err) => {
    failed++;
    log(`FAIL setup: ${err instanceof Error ? err.message : String(err)}`);
    finish(1);
  },
);
