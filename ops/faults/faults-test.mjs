#!/usr/bin/env node
/**
 * `npm run test:faults`: Parley under failure. Four checks, each a `PASS …` / `FAIL …` line, then
 * exactly one `N passed, M failed` line; exits non-zero when anything failed.
 *
 *   1. PostgreSQL stopped mid-stream: the open chat stream ends with a protocol `error` event, no
 *      half-written item is stored, `/readyz` answers 503 while the database is down, and once it
 *      is back the same process is ready again and chats (no restart); the client's retry completes
 *      the interrupted turn.
 *   2. Redis frozen, then killed: with the default `RATE_LIMIT_REDIS_FAILURE=mixed`, owners and
 *      canvas chat pass uncounted while share-link and anonymous traffic get 503
 *      `rate_limit_unavailable`, every answer within RATE_LIMIT_REDIS_TIMEOUT_MS (plus slack); once
 *      Redis is back on its port, limits are counted again (a share link's limit bites → 429)
 *      without restarting Parley.
 *   3. One of two replicas SIGKILLed mid-stream: the client retries on the other replica
 *      (`threads.retry_after_item` with the user message id) and streams to the end; the transcript
 *      holds exactly the user message and one complete answer (no duplicates, orphans or partial
 *      leftovers; when the killed replica left nothing, the cancel cleanup's leftovers are planted
 *      to prove the retry deletes everything newer than the user message).
 *   4. Malformed input fuzz (ops/faults/fuzz.mjs): ≥ 5,000 generated bodies against
 *      `POST /api/chatkit` (chat JWT, publish token, none) and the REST routes: zero 5xx, every 4xx
 *      the documented JSON error body, no in-band `stream.error`, the process alive, `/readyz` 200
 *      and a normal chat afterwards. Seed: FAULTS_SEED (printed; random by default).
 *
 * Servers: checks 1-3 stop and start PostgreSQL and Redis, so this script always runs its OWN
 * throwaway PostgreSQL (ops/postgres/throwaway.sh; stopped with `pg_ctl stop -m immediate` and
 * started again on the same port and data directory) and its OWN redis-server (a child process on a
 * fixed port), whatever the environment says. DATABASE_URL (or TEST_DATABASE_URL) and REDIS_URL,
 * when given (CI gives a fresh database and a throwaway Redis), are used only by the fuzz instance
 * of check 4, which never stops them; without them the fuzz instance uses another database on the
 * script's own PostgreSQL and its own Redis. Instances run with NODE_ENV=production.
 *
 * Builds the backend first when dist is missing or older than the sources. Server logs go to a
 * temp directory, kept (and printed in part) when something fails. Env: FAULTS_SEED,
 * FAULTS_FUZZ_COUNT (default 6000), FAULTS_FUZZ_CONCURRENCY (default 16), FAULTS_KEEP_LOGS=1.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { holdText, startFakeOpenAI } from '../lib/fake-openai.mjs';
import { runFuzz } from './fuzz.mjs';
import {
  LOG_DIR,
  buildIfNeeded,
  call,
  chat,
  chatToken,
  check,
  createBody,
  eventually,
  expect,
  failOutside,
  finish,
  itemsBody,
  log,
  openStream,
  owner,
  publish,
  sleep,
  sql,
  startInstance,
  startPostgres,
  startRedis,
  stopping,
  summarize,
  textOf,
  workflow,
} from './lib.mjs';

/** The share-link limit of the fault instances: check 2 shows it biting again after Redis returns. */
const LINK_LIMIT = 4;
const REDIS_TIMEOUT_MS = 500;
/** What a Redis outage may add to an answer beyond the configured timeout (scheduling on 2 busy cores). */
const REDIS_SLACK_MS = 1500;
const FUZZ_COUNT = Number(process.env.FAULTS_FUZZ_COUNT ?? 6000);
const FUZZ_CONCURRENCY = Number(process.env.FAULTS_FUZZ_CONCURRENCY ?? 16);
const SEED = process.env.FAULTS_SEED ? Number(process.env.FAULTS_SEED) : randomInt(1, 2 ** 31 - 1);

const deltasOf = (events) => events.filter((e) => e.type === 'thread.item.updated' && e.update?.type === 'assistant_message.content_part.text_delta');
const assistantDone = (events) => events.filter((e) => e.type === 'thread.item.done' && e.item?.type === 'assistant_message');
const within = (promise, ms, message) => Promise.race([promise, sleep(ms).then(() => Promise.reject(new Error(message)))]);

/** Env of every Parley instance: production, with everything production requires. */
function baseEnv(databaseUrl, redisUrl) {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    DATABASE_MIGRATIONS_RUN: 'true',
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: redisUrl,
    PARLEY_SECRET_KEY: randomBytes(32).toString('base64url'),
    METRICS_TOKEN: randomBytes(24).toString('base64url'),
    // The fake model provider listens on loopback, which production's outbound policy refuses.
    OUTBOUND_ALLOW_PRIVATE: 'true',
    PUBLIC_BASE_URL: 'http://localhost:3000',
    SERVE_FRONTEND: 'false',
    RATE_LIMIT_WINDOW: '60',
    RATE_LIMIT_PER_IP: '1000000',
    RATE_LIMIT_PER_PRINCIPAL: '1000000',
    RATE_LIMIT_PER_LINK: '1000000',
    RATE_LIMIT_REDIS_FAILURE: 'mixed',
    RATE_LIMIT_REDIS_TIMEOUT_MS: String(REDIS_TIMEOUT_MS),
    AUTH_RATE_LIMIT_PER_IP: '1000000',
    AUTH_RATE_LIMIT_PER_EMAIL: '1000000',
    RUNNER_TIMEOUT_MS: '30000',
    SHUTDOWN_GRACE_SECONDS: '1',
    // Never inherited: OIDC stays off, the model provider is the fake of each workflow.
    OIDC_ISSUER: '',
    OPENAI_API_KEY: '',
  };
}

/**
 * The stored rows of a thread (read straight from `chat_items`, in order), checked for integrity:
 * each row's JSON parses and agrees with its columns (id, type, thread).
 */
async function storedItems(databaseUrl, threadId) {
  const rows = await sql(databaseUrl, 'SELECT id, thread_id, type, hidden, data::text AS data FROM chat_items WHERE thread_id = $1 ORDER BY ordinal', [threadId]);
  return rows.map((row) => {
    let data;
    try {
      data = JSON.parse(row.data);
    } catch {
      throw new Error(`item ${row.id} has unparsable JSON: ${row.data.slice(0, 200)}`);
    }
    expect(data.id === row.id && data.type === row.type && data.thread_id === threadId, `item row ${row.id} disagrees with its JSON: ${row.data.slice(0, 200)}`);
    return { ...row, data };
  });
}

function describeRows(rows) {
  const text = (r) => {
    const t = textOf(r.data);
    return t.length > 24 ? ` "${t.slice(0, 12)}…${t.slice(-8)}" (${t.length} chars)` : ` "${t}"`;
  };
  return rows.map((r) => `${r.type}${r.hidden ? '(hidden)' : ''}${r.type === 'assistant_message' ? text(r) : ''}`).join(', ') || 'nothing';
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const t0 = Date.now();
  buildIfNeeded();
  log(`# logs in ${LOG_DIR}`);
  const pgc = await startPostgres('parley_faults');
  const redis = await startRedis();
  const fake = await startFakeOpenAI();
  log(`# own PostgreSQL ${pgc.url} (data ${pgc.dir}), own Redis ${redis.url}, fake model provider ${fake.baseUrl}`);
  const faultEnv = { ...baseEnv(pgc.url, redis.url), RATE_LIMIT_PER_LINK: String(LINK_LIMIT) };
  // One after the other: the first one migrates the fresh database.
  const a = await startInstance('instance-A', faultEnv);
  const b = await startInstance('instance-B', faultEnv);
  log(`# instance A on ${a.baseUrl} (pid ${a.child.pid}, ready in ${a.bootMs} ms), instance B on ${b.baseUrl} (pid ${b.child.pid}, ready in ${b.bootMs} ms)`);
  const modelRunner = { kind: 'openai', provider: 'compatible', model: 'fake-slow', baseUrl: fake.baseUrl };

  // -------------------------------------------------------------------------------------------
  await check('PostgreSQL stopped mid-stream: error event, nothing half-written, /readyz 503, same process recovers', async () => {
    const o = await owner(a, 'pg');
    const wf = await workflow(a, o.auth, modelRunner, 'PG outage');
    const token = await chatToken(a, o.auth, wf);
    const tag = `pg-${randomUUID().slice(0, 8)}`;
    const [before, after] = [5, 15];
    const stream = await openStream(a, token, createBody(`/hold ${tag} ${before} ${after} 40`));
    const threadId = (await stream.waitFor((e) => e.type === 'thread.created')).thread.id;
    const userId = (await stream.waitFor((e) => e.type === 'thread.item.done' && e.item.type === 'user_message')).item.id;
    await fake.held(tag);
    await eventually(() => deltasOf(stream.events).length >= before, 10_000, 'the first deltas never arrived');

    // The fake holds the answer after `before` chunks until the release below, which comes after
    // the stop: every later delta was streamed while PostgreSQL was down.
    const deltasAtStop = deltasOf(stream.events).length;
    pgc.stop();
    expect(!pgc.isReady(), 'PostgreSQL still answers after pg_ctl stop');
    log(`#   PostgreSQL stopped after ${deltasAtStop} deltas`);
    const notReady = await eventually(async () => {
      const r = await call(a, 'GET', '/readyz');
      return r.status === 503 && r;
    }, 10_000, '/readyz never answered 503 while PostgreSQL was down');
    expect(notReady.json?.database === 'unreachable' && notReady.json?.status === 'unavailable', `/readyz 503 body: ${notReady.text}`);
    expect(notReady.ms < 3000, `/readyz took ${notReady.ms} ms while PostgreSQL was down`);
    const bNotReady = await call(b, 'GET', '/readyz');
    expect(bNotReady.status === 503, `instance B /readyz answered ${bNotReady.status} while PostgreSQL was down`);
    const during = await chat(a, token, { type: 'threads.list', params: {} });
    expect(during.ms < 5000, `a chat request took ${during.ms} ms while PostgreSQL was down`);
    expect(during.status >= 400 && typeof during.json?.code === 'string', `a chat request while PostgreSQL was down answered ${during.status}: ${during.text.slice(0, 200)}`);
    log(`#   while PostgreSQL is down: /readyz 503 in ${notReady.ms} ms; POST /api/chatkit threads.list → ${during.status} ${during.json.code} in ${during.ms} ms`);
    if (during.json.code !== 'service_unavailable') log('#   note: docs/errors.md documents 503 service_unavailable for an unavailable database (not asserted)');

    fake.release(tag);
    const end = await within(stream.done, 30_000, 'the stream did not end within 30 s of the release');
    const events = stream.events;
    expect(end.ended === 'end', `the stream broke instead of ending cleanly: ${end.error?.message} (events: ${summarize(events)})`);
    expect(deltasAtStop === before && deltasOf(events).length > before, `${deltasOf(events).length} deltas in all, ${deltasAtStop} before the stop: the stream was not mid-flight`);
    const last = events[events.length - 1];
    expect(last?.type === 'error', `the stream did not end with an error event: ${summarize(events.slice(-5))}`);
    expect(typeof last.code === 'string' && typeof last.allow_retry === 'boolean', `malformed error event ${JSON.stringify(last)}`);
    expect(events.filter((e) => e.type === 'error').length === 1, `several error events: ${summarize(events)}`);
    const sentDone = assistantDone(events);
    log(`#   stream: ${events.length} events, ended with ${JSON.stringify(last)}`);

    pgc.start();
    const backAt = Date.now();
    await eventually(async () => (await call(a, 'GET', '/readyz')).status === 200, 30_000, 'instance A never became ready again after PostgreSQL restarted');
    log(`#   PostgreSQL back; instance A ready again after ${Date.now() - backAt} ms`);
    await eventually(async () => (await call(b, 'GET', '/readyz')).status === 200, 30_000, 'instance B never became ready again');
    expect(a.alive(), 'instance A exited');

    // Nothing half-written: the user message, and an answer only if complete (and then as sent).
    const full = holdText(before, after);
    const rows = await storedItems(pgc.url, threadId);
    const visible = rows.filter((r) => !r.hidden);
    expect(visible[0]?.id === userId && visible.filter((r) => r.type === 'user_message').length === 1, `stored items: ${describeRows(rows)}`);
    for (const r of visible.slice(1)) {
      expect(r.type === 'assistant_message' && textOf(r.data) === full, `half-written or stray item after the outage: ${describeRows(rows)}`);
    }
    expect(visible.length <= 2, `more than one answer stored: ${describeRows(rows)}`);
    for (const done of sentDone) expect(visible.some((r) => r.id === done.item.id && textOf(r.data) === textOf(done.item)), `the stream announced item ${done.item.id} done but it is not stored as sent`);
    const listed = await chat(a, token, itemsBody(threadId));
    expect(listed.status === 200, `items.list after the outage: ${listed.status} ${listed.text.slice(0, 200)}`);
    expect(JSON.stringify(listed.json.data.map((i) => i.id)) === JSON.stringify(visible.map((r) => r.id)), `items.list disagrees with the table: ${listed.text.slice(0, 300)}`);
    log(`#   stored after the outage: ${describeRows(rows)}`);

    // The same process chats again, and the client's retry completes the interrupted turn.
    const fresh = await chat(a, token, createBody('after the outage'));
    expect(fresh.status === 200 && fresh.events, `a new chat after the outage answered ${fresh.status}: ${fresh.text.slice(0, 200)}`);
    expect(!fresh.events.some((e) => e.type === 'error'), `a new chat after the outage failed: ${summarize(fresh.events)}`);
    expect(textOf(assistantDone(fresh.events)[0]?.item) === 'Fake: after the outage', `a new chat after the outage: ${summarize(fresh.events)}`);
    if (last.allow_retry) {
      const retry = await chat(a, token, { type: 'threads.retry_after_item', params: { thread_id: threadId, item_id: userId } });
      expect(retry.status === 200 && !retry.events?.some((e) => e.type === 'error'), `retry after the outage: ${retry.status} ${retry.events ? summarize(retry.events) : retry.text.slice(0, 200)}`);
      const after = (await storedItems(pgc.url, threadId)).filter((r) => !r.hidden);
      expect(after.length === 2 && after[0].id === userId && after[1].type === 'assistant_message' && textOf(after[1].data) === full, `after the retry: ${describeRows(after)}`);
    }
    expect(a.alive() && b.alive(), 'an instance exited during the outage');
  }, { instances: () => [a, b] });

  // -------------------------------------------------------------------------------------------
  await check(`Redis frozen, then killed: owners and canvas chat pass, public traffic 503 within ${REDIS_TIMEOUT_MS} ms (+slack); limits count again after restart`, async () => {
    const pid = a.child.pid;
    const o = await owner(a, 'redis');
    const wf = await workflow(a, o.auth, { kind: 'echo' }, 'Redis outage');
    const token = await chatToken(a, o.auth, wf);
    const link = await publish(a, o.auth, wf);
    const pub = { 'x-parley-publish-token': link };
    const list = { type: 'threads.list', params: {} };
    const ok = await call(a, 'GET', '/api/workflows', { auth: o.auth });
    expect(ok.status === 200 && ok.headers.get('ratelimit-limit'), `baseline owner request: ${ok.status}, RateLimit-Limit ${ok.headers.get('ratelimit-limit')}`);

    const outage = async (phase) => {
      const answers = { owner: [], canvas: [], public: [], anonymous: [] };
      for (let i = 0; i < 3; i++) {
        answers.owner.push(await call(a, 'GET', '/api/workflows', { auth: o.auth }));
        answers.canvas.push(await chat(a, token, list));
        answers.public.push(await chat(a, null, list, pub));
        answers.anonymous.push(await call(a, 'GET', '/api/config'));
      }
      for (const r of answers.owner) {
        expect(r.status === 200, `${phase}: an owner request answered ${r.status} ${r.text.slice(0, 200)}`);
        expect(!r.headers.get('ratelimit-limit'), `${phase}: an owner request was counted (RateLimit-Limit ${r.headers.get('ratelimit-limit')})`);
      }
      for (const r of answers.canvas) expect(r.status === 200, `${phase}: a canvas chat request answered ${r.status} ${r.text.slice(0, 200)}`);
      for (const r of [...answers.public, ...answers.anonymous]) {
        expect(r.status === 503 && r.json?.code === 'rate_limit_unavailable', `${phase}: public/anonymous traffic answered ${r.status} ${r.text.slice(0, 200)}`);
        expect(r.headers.get('retry-after') === '5' && r.json.statusCode === 503 && r.json.requestId, `${phase}: 503 without Retry-After: 5 or the error envelope: ${r.text}`);
      }
      const all = Object.values(answers).flat();
      const slowest = Math.max(...all.map((r) => r.ms));
      expect(slowest <= REDIS_TIMEOUT_MS + REDIS_SLACK_MS, `${phase}: an answer took ${slowest} ms (RATE_LIMIT_REDIS_TIMEOUT_MS=${REDIS_TIMEOUT_MS})`);
      const ready = await call(a, 'GET', '/readyz');
      expect(ready.status === 200, `${phase}: /readyz answered ${ready.status}`);
      log(`#   ${phase}: owner 200 uncounted, canvas 200, public+anonymous 503 rate_limit_unavailable; slowest answer ${slowest} ms, median ${all.map((r) => r.ms).sort((x, y) => x - y)[all.length >> 1]} ms`);
    };

    redis.freeze();
    await outage('Redis frozen (SIGSTOP)');
    await redis.kill();
    expect(!(await redis.ping()), 'Redis still answers after SIGKILL');
    await outage('Redis killed (SIGKILL)');

    await redis.start();
    const backAt = Date.now();
    await eventually(async () => (await chat(a, null, list, pub)).status === 200, 15_000, 'public traffic still refused 15 s after Redis came back');
    log(`#   Redis back on port ${redis.port}; public traffic admitted after ${Date.now() - backAt} ms`);
    const counted = await call(a, 'GET', '/api/workflows', { auth: o.auth });
    expect(counted.status === 200 && counted.headers.get('ratelimit-limit'), `after Redis returned an owner request was not counted (RateLimit-Limit ${counted.headers.get('ratelimit-limit')})`);
    // A fresh link (published after the restart): exactly LINK_LIMIT admitted, then 429.
    const wf2 = await workflow(a, o.auth, { kind: 'echo' }, 'Redis outage 2');
    const link2 = { 'x-parley-publish-token': await publish(a, o.auth, wf2) };
    const answers = [];
    for (let i = 0; i < LINK_LIMIT + 2; i++) answers.push(await chat(a, null, list, link2));
    const statuses = answers.map((r) => r.status);
    expect(statuses.slice(0, LINK_LIMIT).every((s) => s === 200), `first ${LINK_LIMIT} requests on a fresh link: ${statuses.join(', ')}`);
    const limited = answers.slice(LINK_LIMIT);
    expect(limited.every((r) => r.status === 429 && r.json?.code === 'rate_limited' && r.json?.details?.bucket === 'link' && r.headers.get('retry-after')), `after ${LINK_LIMIT} requests the link limit did not bite: ${statuses.join(', ')} ${limited[0]?.text.slice(0, 200)}`);
    // The other replica counts in the same Redis.
    const viaB = await chat(b, null, list, link2);
    expect(viaB.status === 429, `instance B admitted the exhausted link: ${viaB.status}`);
    expect(a.alive() && a.child.pid === pid, 'instance A was restarted or exited');
    log(`#   fresh link after the restart: ${statuses.join(', ')} (limit ${LINK_LIMIT}); instance B agrees (429)`);
  }, { instances: () => [a, b] });

  // -------------------------------------------------------------------------------------------
  await check('one replica SIGKILLed mid-stream: the retry on the other replica completes, one user message and one complete answer', async () => {
    const o = await owner(b, 'kill');
    const wf = await workflow(b, o.auth, modelRunner, 'Replica loss');
    const token = await chatToken(b, o.auth, wf);
    const tag = `kill-${randomUUID().slice(0, 8)}`;
    const [before, after] = [5, 15];
    const full = holdText(before, after);
    const stream = await openStream(a, token, createBody(`/hold ${tag} ${before} ${after} 30`));
    const threadId = (await stream.waitFor((e) => e.type === 'thread.created')).thread.id;
    const userId = (await stream.waitFor((e) => e.type === 'thread.item.done' && e.item.type === 'user_message')).item.id;
    await fake.held(tag);
    await eventually(() => deltasOf(stream.events).length >= before, 10_000, 'the first deltas never arrived');

    await a.kill();
    const end = await within(stream.done, 10_000, 'the client did not notice the dead replica within 10 s');
    expect(end.ended === 'error', `the stream of the killed replica ended normally: ${summarize(stream.events)}`);
    expect(!assistantDone(stream.events).length && !stream.events.some((e) => e.type === 'error'), `the killed replica finished its answer: ${summarize(stream.events)}`);
    await eventually(() => fake.aborts.some((x) => x.tag === tag), 5000, 'the model provider never saw the dead replica hang up');
    fake.release(tag);
    log(`#   replica A killed after ${deltasOf(stream.events).length} deltas; the client saw: ${end.error?.cause?.code ?? end.error?.message}`);

    const rows = await storedItems(pgc.url, threadId);
    expect(rows[0]?.id === userId, `the user message is not the first stored item: ${describeRows(rows)}`);
    const leftovers = rows.slice(1);
    log(`#   replica A left after the user message: ${describeRows(leftovers)}`);
    let planted = [];
    if (!leftovers.length) {
      // What the cancel cleanup of a replica that lived long enough writes: the partial answer and
      // the hidden cancellation note. The retry must delete both.
      const now = new Date().toISOString();
      planted = [
        { id: `msg_planted${randomUUID().slice(0, 8)}`, type: 'assistant_message', hidden: false, data: { type: 'assistant_message', content: [{ type: 'output_text', text: holdText(before, 0), annotations: [] }] } },
        { id: `shcx_planted${randomUUID().slice(0, 8)}`, type: 'sdk_hidden_context', hidden: true, data: { type: 'sdk_hidden_context', content: 'The user cancelled the stream. Stop responding to the prior request.' } },
      ];
      for (const p of planted) {
        await sql(pgc.url, 'INSERT INTO chat_items (id, thread_id, type, hidden, data, created_at) VALUES ($1, $2, $3, $4, $5::json, $6)', [
          p.id,
          threadId,
          p.type,
          p.hidden,
          JSON.stringify({ id: p.id, thread_id: threadId, created_at: now, ...p.data }),
          now,
        ]);
      }
      log('#   nothing was left: planted a partial answer and a cancellation note for the retry to delete');
    }

    const retry = await chat(b, token, { type: 'threads.retry_after_item', params: { thread_id: threadId, item_id: userId } });
    expect(retry.status === 200 && retry.events, `retry on B answered ${retry.status}: ${retry.text.slice(0, 300)}`);
    expect(retry.events[0]?.type === 'stream_options', `retry stream starts with ${retry.events[0]?.type}`);
    expect(!retry.events.some((e) => e.type === 'error'), `retry on B failed: ${summarize(retry.events)}`);
    const answered = assistantDone(retry.events);
    expect(answered.length === 1 && textOf(answered[0].item) === full, `retry on B did not stream the complete answer: ${summarize(retry.events)}`);
    expect(deltasOf(retry.events).length === before + after, `retry streamed ${deltasOf(retry.events).length} deltas, expected ${before + after}`);

    const stored = await storedItems(pgc.url, threadId);
    expect(stored.length === 2, `stored items after the retry: ${describeRows(stored)}`);
    expect(stored[0].id === userId && stored[0].type === 'user_message', `first stored item: ${describeRows(stored)}`);
    expect(stored[1].type === 'assistant_message' && stored[1].id === answered[0].item.id && textOf(stored[1].data) === full, `second stored item: ${describeRows(stored)}`);
    for (const p of planted) expect(!stored.some((r) => r.id === p.id), `the retry left the planted ${p.type} ${p.id}`);
    const listed = await chat(b, token, itemsBody(threadId));
    expect(listed.status === 200 && listed.json.data.length === 2 && listed.json.data[0].id === userId && textOf(listed.json.data[1]) === full, `items.list on B: ${listed.text.slice(0, 300)}`);
    const threads = await sql(pgc.url, 'SELECT count(*)::int AS n FROM chat_threads WHERE workflow_id = $1', [wf]);
    expect(threads[0].n === 1, `${threads[0].n} threads for one conversation`);
    const orphans = await sql(pgc.url, 'SELECT count(*)::int AS n FROM chat_items i LEFT JOIN chat_threads t ON t.id = i.thread_id WHERE t.id IS NULL');
    expect(orphans[0].n === 0, `${orphans[0].n} items without a thread`);
    expect(b.alive(), 'instance B exited');
    log(`#   after the retry on B: ${describeRows(stored)}`);
  }, { instances: () => [a, b] });

  // -------------------------------------------------------------------------------------------
  const ciDatabase = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL;
  const fuzzRedis = process.env.REDIS_URL || redis.url;
  let f = null;
  await check(`malformed input fuzz: ${FUZZ_COUNT} generated requests (seed ${SEED}), no 5xx, every 4xx the JSON error body, process alive, chat works after`, async () => {
    // A long Redis timeout: a large body can stall the event loop past 500 ms under fuzz load, and
    // the resulting 503 rate_limit_unavailable (check 2's subject) would hide the input handling.
    const fuzzDatabase = ciDatabase || pgc.createDatabase('parley_faults_fuzz');
    f = await startInstance('instance-F', { ...baseEnv(fuzzDatabase, fuzzRedis), RATE_LIMIT_REDIS_TIMEOUT_MS: '5000' });
    log(`#   fuzz instance on ${f.baseUrl} (pid ${f.child.pid}); database ${ciDatabase ? 'from DATABASE_URL' : 'parley_faults_fuzz on the own PostgreSQL'}, Redis ${process.env.REDIS_URL ? 'from REDIS_URL' : 'own'}`);
    const o = await owner(f, 'fuzz');
    const wf = await workflow(f, o.auth, { kind: 'echo' }, 'Fuzz chat');
    const fuzzWorkflowId = await workflow(f, o.auth, { kind: 'echo' }, 'Fuzz target');
    const other = await owner(f, 'fuzz-other');
    const otherWorkflowId = await workflow(f, other.auth, { kind: 'echo' }, 'Someone else');
    const token = await chatToken(f, o.auth, wf);
    const link = await publish(f, o.auth, wf);
    const created = await chat(f, token, createBody('seed thread'));
    expect(created.status === 200, `seed thread: ${created.status}`);
    const visitorRes = await chat(f, null, createBody('visitor thread'), { 'x-parley-publish-token': link });
    const ctx = {
      ownerAuth: o.auth,
      ownerEmail: o.email,
      chatToken: token,
      publishToken: link,
      visitorToken: visitorRes.headers.get('x-parley-visitor'),
      workflowId: wf,
      fuzzWorkflowId,
      otherWorkflowId,
      threadId: created.events[0].thread.id,
      itemId: created.events.find((e) => e.type === 'thread.item.done').item.id,
    };
    const started = Date.now();
    const { stats, findings } = await runFuzz({
      instance: f,
      ctx,
      seed: SEED,
      count: FUZZ_COUNT,
      concurrency: FUZZ_CONCURRENCY,
      onProgress: (n, bad) => log(`#   fuzz: ${n}/${FUZZ_COUNT} sent, ${bad} bad answers so far`),
    });
    const seconds = (Date.now() - started) / 1000;
    log(`#   fuzz: ${FUZZ_COUNT} requests in ${seconds.toFixed(1)} s over ${stats.routes.size} routes/modes; statuses ${JSON.stringify(stats.statuses)}; ${stats.sse} streams; ${stats.truncatedOnWire} cut short on the wire; ${stats.networkErrors} without an answer`);
    log(`#   fuzz categories: ${Object.entries(stats.categories).map(([k, v]) => `${k} ${v}`).join(', ')}`);

    const problems = [];
    if (!f.alive()) problems.push(`the fuzz instance exited (${f.child.exitCode ?? f.child.signalCode})`);
    if (findings.length) {
      problems.push(`${findings.length} bad answers`);
      reportFindings(findings, f);
    }
    if (f.alive()) {
      const ready = await call(f, 'GET', '/readyz');
      if (ready.status !== 200) problems.push(`/readyz answered ${ready.status} after the fuzz`);
      const again = await chat(f, token, createBody('still here?'));
      if (again.status !== 200 || textOf(assistantDone(again.events ?? [])[0]?.item) !== 'Echo: still here?') problems.push(`a normal chat after the fuzz answered ${again.status}: ${again.text.slice(0, 200)}`);
      const config = await call(f, 'GET', '/api/config');
      const wfs = await call(f, 'GET', '/api/workflows', { auth: o.auth });
      if (`${config.text}${wfs.text}`.includes('polluted')) problems.push('a prototype key from the fuzz shows up in later answers');
    }
    expect(!problems.length, `${problems.join('; ')} (reproduce with FAULTS_SEED=${SEED}; log ${f.logFile})`);
  }, { instances: () => (f && !f.alive() ? [f] : []) }); // the findings report is more useful than 40 log lines

  for (const instance of [b, f]) {
    if (instance && !instance.alive()) failOutside(`${instance.name} died during the run:\n${instance.tail(40)}`);
  }
  await fake.close();
  if (!stopping()) log(`# total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/**
 * Prints the bad answers grouped by root cause — what the server logged for them (matched by
 * request id, else by path), or the verdict when nothing was logged — with the routes and
 * mutations involved and the shortest example request of each cause.
 */
function reportFindings(findings, instance) {
  const byId = new Map();
  const byPath = [];
  try {
    for (const line of readFileSync(instance.logFile, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      if ((entry.level ?? 0) < 40) continue;
      const id = entry.req?.id ?? entry.requestId;
      if (id) byId.set(id, entry);
      else byPath.push(entry);
    }
  } catch {
    /* no log */
  }
  const causes = new Map();
  for (const finding of findings) {
    // Errors raised before the request context exists (body parsing) are logged without the
    // request id: take the entry of the same path logged closest to the answer.
    const path = finding.path.split('?')[0];
    const entry =
      (finding.requestId && byId.get(finding.requestId)) ||
      byPath
        .filter((e) => e.path === path && Math.abs(e.time - finding.at) < 2000)
        .sort((x, y) => Math.abs(x.time - finding.at) - Math.abs(y.time - finding.at))[0];
    const err = entry?.err ?? {};
    const message = entry ? `${err.type ?? 'Error'}: ${err.message ?? entry.msg}` : '';
    const verdict = finding.problem.replace(/no answer: .*/, 'no answer');
    // Digits out, so `saw "65"` and `saw "63"` are one cause.
    const key = (message ? `${verdict} — ${message}` : verdict).replace(/\d+/g, 'N');
    const cause = causes.get(key) ?? { label: message ? `${verdict} — ${message}` : verdict, count: 0, routes: new Map(), categories: new Set(), example: finding, entry };
    cause.count++;
    cause.routes.set(finding.route, (cause.routes.get(finding.route) ?? 0) + 1);
    cause.categories.add(finding.category);
    if (finding.body.length < cause.example.body.length) {
      cause.example = finding;
      cause.entry = entry ?? cause.entry;
    }
    causes.set(key, cause);
  }
  log(`#   ${findings.length} bad answers, ${causes.size} distinct causes:`);
  for (const cause of [...causes.values()].sort((x, y) => y.count - x.count)) {
    const { example, entry } = cause;
    log(`#   * ${cause.count}× ${cause.label}`);
    log(`#       routes: ${[...cause.routes.entries()].map(([route, n]) => `${route} ${n}×`).join(', ')}`);
    log(`#       mutations: ${[...cause.categories].join(', ')}`);
    const headers = Object.entries(example.headers).filter(([k]) => !['authorization', 'x-parley-publish-token', 'x-parley-visitor'].includes(k));
    log(`#       example (case ${example.index}, ${example.label}): ${example.route.split(' ')[0]} ${example.path.length > 160 ? `${example.path.slice(0, 160)}…` : example.path} ${headers.length ? JSON.stringify(Object.fromEntries(headers)) : ''}`);
    log(`#         body ${example.body}`);
    log(`#         answer ${example.status ?? '-'} ${JSON.stringify(example.answer.slice(0, 160))}`);
    if (entry?.err?.stack) log(`#         stack ${String(entry.err.stack).split('\n').slice(0, 7).map((l) => l.trim()).join(' | ')}`);
  }
}

main().then(
  () => finish(),
  (err) => {
    failOutside(`setup: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    return finish(1);
  },
);
