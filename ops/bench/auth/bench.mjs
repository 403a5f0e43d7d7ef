#!/usr/bin/env node
// What authentication costs on the ChatKit endpoint: the same `threads.list` (a page of 20 of the
// caller's 50 threads) answered
//   publishToken — POST /api/chatkit with X-Parley-Publish-Token + X-Parley-Visitor (a share-link
//                  visitor: link lookup in the database, visitor token ES256 verification),
//   chat         — POST /api/chatkit with a chat session JWT (Bearer; verified ES256 once and
//                  cached, durable session check),
//   direct       — no HTTP, no auth: the built Nest app loaded in another process
//                  (createApplicationContext), calling what the controller calls once the request
//                  is authenticated — the ChatKit service's protocol processor with a resolved
//                  context, then JSON.stringify (direct-worker.mjs),
//   sql          — for reference, the store's bare SQL statement through the same pg pool.
// Each mode runs one request at a time (latency) and with several clients (CPU per operation at
// throughput), in rounds that alternate the modes, so drift in machine load hits them alike.
// Reports latency p50/p95, ops/s, CPU per operation of the server (or the direct worker), of
// PostgreSQL and of the load generator, and the ratios publishToken/direct, chat/direct,
// publishToken/chat.
//
//   npm run bench:auth                    (full: 3 rounds × 8 s per mode and concurrency)
//   npm run bench:auth -- --quick         (smoke: 1 round × 2 s)
//   options: --rounds=N --seconds=S --concurrency=N (the throughput phase, default 8),
//            --profile (then runs publishToken and chat once more on a server under --cpu-prof and
//            prints its self time per request by package/file and by function)
//   env: BENCH_DATABASE_URL (else a throwaway cluster), BENCH_LOG_LEVEL (app log level, info).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  QUICK,
  appEnv,
  chatSession,
  cpuMs,
  createWorkflow,
  describeMachine,
  fmt,
  loadavgText,
  machine,
  numberOption,
  onCleanup,
  pgClusterCpuMs,
  postmasterPid,
  publishWorkflow,
  registerOwner,
  request,
  runMain,
  selfCpuMs,
  sql,
  startApp,
  startPostgres,
  summarize,
  summarizeCpuProfile,
  table,
  track,
} from '../load/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = numberOption('rounds', QUICK ? 1 : 3);
const SECONDS = numberOption('seconds', QUICK ? 2 : 8);
const WARMUP_SECONDS = QUICK ? 1 : 2;
const CONCURRENCY = numberOption('concurrency', 8);
const PROFILE = process.argv.includes('--profile');
const THREADS = 50;
const BODY = { type: 'threads.list', params: { limit: 20 } };

function startWorker(env) {
  const child = track(spawn(process.execPath, [join(here, 'direct-worker.mjs')], { env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  const next = (type) =>
    new Promise((resolve, reject) => {
      const settle = (fn, value) => {
        child.off('message', onMessage);
        child.off('exit', onExit);
        fn(value);
      };
      const onMessage = (message) => {
        if (message.type === 'error') settle(reject, new Error(`direct worker: ${message.message}`));
        else if (message.type === type) settle(resolve, message);
      };
      const onExit = (code) => settle(reject, new Error(`the direct worker exited with ${code}`));
      child.on('message', onMessage);
      child.on('exit', onExit);
    });
  return { child, pid: child.pid, next, send: (message) => child.send(message) };
}

async function main() {
  const pg = await startPostgres();
  const m = machine(pg.version);
  console.log(`Auth benchmark${QUICK ? ' (--quick)' : ''}: threads.list, ${ROUNDS} round(s) × ${SECONDS} s per mode and concurrency (1 and ${CONCURRENCY})`);
  console.log(`Machine: ${describeMachine(m)}\n`);
  const app = await startApp({ dbUrl: pg.url });

  // --- setup: an owner, a published echo workflow, a visitor, a chat session, 50 threads each ---
  const owner = await registerOwner(app.origin, 'auth');
  const workflowId = await createWorkflow(app.origin, owner.accessToken);
  const publishToken = await publishWorkflow(app.origin, owner.accessToken, workflowId);
  const first = await request(undefined, app.origin, { method: 'POST', path: '/api/chatkit', headers: { 'x-parley-publish-token': publishToken }, body: BODY });
  const visitorToken = first.headers['x-parley-visitor'];
  const [{ sub: visitorId }] = [JSON.parse(Buffer.from(visitorToken.split('.')[1], 'base64url').toString())];
  await sql(
    pg.url,
    `INSERT INTO chat_threads (id, workflow_id, principal_kind, principal_id, title)
     SELECT 'thr_auth_' || k || '_' || g, $1, k, CASE k WHEN 'visitor' THEN $2 ELSE $3 END, 'A thread title of ordinary length ' || g
       FROM generate_series(1, ${THREADS}) g, unnest(ARRAY['visitor', 'user']) k ORDER BY g, k`,
    [workflowId, visitorId, owner.userId],
  );
  await sql(pg.url, 'ANALYZE chat_threads');
  let session = { token: null, at: 0 };
  let current = app; // the server chat sessions are minted on
  const chatToken = async () => {
    if (Date.now() - session.at > 120_000) session = { token: (await chatSession(current.origin, owner.accessToken, workflowId)).token, at: Date.now() };
    return session.token;
  };

  const worker = startWorker(appEnv(pg.url, { DATABASE_MIGRATIONS_RUN: 'false' }));
  await worker.next('loaded');
  worker.send({ type: 'init', workflowId, visitorId });
  await worker.next('ready');
  const postmaster = await postmasterPid(pg.url);

  // --- the modes ---
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  async function httpMode(headersFor, concurrency, server = app) {
    const latencies = [];
    const warmEnds = Date.now() + WARMUP_SECONDS * 1000;
    const ends = warmEnds + SECONDS * 1000;
    let start = null;
    setTimeout(() => (start = { server: cpuMs(server.pid), pg: pgClusterCpuMs(postmaster), self: selfCpuMs() }), WARMUP_SECONDS * 1000);
    let errors = 0;
    async function loop() {
      while (Date.now() < ends) {
        const res = await request(agent, server.origin, { method: 'POST', path: '/api/chatkit', headers: await headersFor(), body: BODY });
        const now = Date.now();
        if (res.status !== 200) {
          errors++;
          if (errors <= 3) console.error(`  HTTP ${res.status} ${res.text.slice(0, 200)}`);
        } else if (now >= warmEnds && now < ends) latencies.push(res.ms);
      }
    }
    await Promise.all(Array.from({ length: concurrency }, loop));
    const end = { server: cpuMs(server.pid), pg: pgClusterCpuMs(postmaster), self: selfCpuMs() };
    return { latencies, ops: latencies.length, server: end.server - start.server, pg: end.pg - start.pg, client: end.self - start.self, errors };
  }
  async function workerMode(mode, concurrency) {
    let pgStart = null;
    const timer = setTimeout(() => (pgStart = pgClusterCpuMs(postmaster)), WARMUP_SECONDS * 1000);
    worker.send({ type: 'run', mode, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, concurrency });
    const result = await worker.next('result');
    clearTimeout(timer);
    return { latencies: result.latencies, ops: result.ops, server: result.cpuMs, pg: pgClusterCpuMs(postmaster) - pgStart, client: 0, errors: 0 };
  }
  const publicHeaders = async () => ({ 'x-parley-publish-token': publishToken, 'x-parley-visitor': visitorToken });
  const chatHeaders = async () => ({ authorization: `Bearer ${await chatToken()}` });
  const modes = {
    publishToken: (c) => httpMode(publicHeaders, c),
    chat: (c) => httpMode(chatHeaders, c),
    direct: (c) => workerMode('direct', c),
    sql: (c) => workerMode('sql', c),
  };

  const totals = new Map(); // `${mode}@${c}` → accumulated
  const loads = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const concurrency of [1, CONCURRENCY]) {
      for (const [mode, run] of Object.entries(modes)) {
        const r = await run(concurrency);
        const key = `${mode}@${concurrency}`;
        const t = totals.get(key) ?? { latencies: [], ops: 0, server: 0, pg: 0, client: 0, errors: 0, seconds: 0 };
        t.latencies.push(...r.latencies);
        for (const k of ['ops', 'server', 'pg', 'client', 'errors']) t[k] += r[k];
        t.seconds += SECONDS;
        totals.set(key, t);
      }
    }
    loads.push(loadavgText());
    console.log(`round ${round}/${ROUNDS} done (load average ${loadavgText()})`);
  }
  worker.child.disconnect();
  await app.stop();

  // --- optional: where the server's CPU goes, per HTTP mode (a fresh app under --cpu-prof each) ---
  const profiles = [];
  if (PROFILE) {
    for (const [mode, headersFor] of [['publishToken', publicHeaders], ['chat', chatHeaders]]) {
      const dir = mkdtempSync(join(tmpdir(), 'parley-auth-prof-'));
      onCleanup(() => rmSync(dir, { recursive: true, force: true }));
      const profiled = await startApp({ dbUrl: pg.url, ipc: true, nodeArgs: ['--require', join(here, 'cpu-profile-probe.cjs')], name: `app (profiled, ${mode})` });
      const ask = (type, reply, extra = {}) =>
        new Promise((resolve, reject) => {
          const onMessage = (message) => {
            if (message?.type !== reply && message?.type !== 'profile-error') return;
            profiled.child.off('message', onMessage);
            if (message.type === 'profile-error') reject(new Error(message.message));
            else resolve(message);
          };
          profiled.child.on('message', onMessage);
          profiled.child.send({ type, ...extra });
        });
      session = { token: null, at: 0 };
      current = profiled;
      await httpMode(headersFor, CONCURRENCY, profiled); // warm-up, not profiled
      await ask('profile-start', 'profile-started');
      const r = await httpMode(headersFor, CONCURRENCY, profiled);
      const file = join(dir, `${mode}.cpuprofile`);
      await ask('profile-stop', 'profile-written', { file });
      await profiled.stop();
      // Requests of the warm-up's tail and the window's edges are in the profile too: ops counts the window (±1 %).
      profiles.push({ mode, ops: r.ops, ...summarizeCpuProfile(file) });
    }
  }
  agent.destroy();

  // --- report ---
  const stats = new Map([...totals].map(([key, t]) => [key, { ...summarize(t.latencies), rate: t.ops / t.seconds, server: t.server / t.ops, pg: t.pg / t.ops, client: t.client / t.ops, errors: t.errors }]));
  console.log(`\n## Results: auth overhead of threads.list\n`);
  console.log(`Machine: ${describeMachine(m)}; load average after each round: ${loads.join('; ')}\n`);
  const names = {
    publishToken: 'publishToken (HTTP, share link + visitor token)',
    chat: 'chat (HTTP, chat session JWT)',
    direct: 'direct (in-process processor, no HTTP/auth)',
    sql: 'sql (the bare statement, same pool)',
  };
  for (const c of [1, CONCURRENCY]) {
    console.log(`**${c === 1 ? 'one request at a time' : `${c} concurrent clients`}**\n`);
    console.log(
      table(
        ['mode', 'ops/s', 'latency p50 (ms)', 'p95 (ms)', 'server CPU / op (ms)', 'PostgreSQL CPU / op (ms)', 'client CPU / op (ms)', 'errors'],
        Object.keys(modes).map((mode) => {
          const s = stats.get(`${mode}@${c}`);
          return [names[mode], fmt(s.rate, 0), fmt(s.p50, 3), fmt(s.p95, 3), fmt(s.server, 3), fmt(s.pg, 3), mode === 'direct' || mode === 'sql' ? '—' : fmt(s.client, 3), String(s.errors)];
        }),
        'l',
      ),
    );
    const ratio = (a, b, key) => fmt(stats.get(`${a}@${c}`)[key] / stats.get(`${b}@${c}`)[key], 2);
    console.log(
      '\n' +
        table(
          ['ratio', 'latency p50', 'latency p95', 'server CPU / op', 'server + PostgreSQL CPU / op'],
          [
            ['publishToken / direct', 'direct'],
            ['chat / direct', 'direct'],
            ['publishToken / chat', 'chat'],
            ['direct / sql', 'sql'],
          ].map(([label, b]) => {
            const a = label.split(' / ')[0];
            const both = (mode) => stats.get(`${mode}@${c}`).server + stats.get(`${mode}@${c}`).pg;
            return [label, `${ratio(a, b, 'p50')}×`, `${ratio(a, b, 'p95')}×`, `${ratio(a, b, 'server')}×`, `${fmt(both(a) / both(b), 2)}×`];
          }),
          'l',
        ) +
        '\n',
    );
  }
  if (profiles.length) {
    console.log(`**Server CPU profile (--profile): self time per request by code owner, ${CONCURRENCY} clients, ${SECONDS} s per mode**\n`);
    const owners = [...new Set(profiles.flatMap((p) => p.byOwner.slice(0, 18).map(([o]) => o)))];
    const perOp = (p, owner) => (p.byOwner.find(([o]) => o === owner)?.[1] ?? 0) / p.ops;
    console.log(
      table(
        ['code owner', ...profiles.map((p) => `${p.mode} (ms / request)`), 'difference (ms)'],
        [
          ...owners
            .map((o) => [o, ...profiles.map((p) => perOp(p, o))])
            .sort((a, b) => b[1] - a[1])
            .map(([o, ...v]) => [o, ...v.map((x) => fmt(x, 3)), fmt(v[0] - v[1], 3)]),
          ['**total (profiled, idle excluded)**', ...profiles.map((p) => `**${fmt(p.totalMs / p.ops, 3)}**`), fmt(profiles[0].totalMs / profiles[0].ops - profiles[1].totalMs / profiles[1].ops, 3)],
        ],
        'l',
      ),
    );
    for (const p of profiles) {
      console.log(`\nTop functions (self time per request), ${p.mode}:\n`);
      console.log(table(['function (owner:line)', 'ms / request', 'share'], p.byFunction.slice(0, 20).map(([f, ms]) => [f.replace(/\|/g, '\\|'), fmt(ms / p.ops, 3), `${fmt((ms / p.totalMs) * 100, 1)}%`]), 'l'));
    }
    console.log('');
  }
  console.log(`load average (1/5/15 min) after the run: ${loadavgText()}`);
}

runMain(main);
