#!/usr/bin/env node
// ChatKit gateway benchmark: N concurrent clients, each running `threads.create` then five
// `threads.add_user_message` (echo runner) in a loop, against
//   app   — the real Parley app (`backend/dist/main.js`, NODE_ENV=production, chat JWT auth,
//           Postgres), and
//   floor — a bare node:http server that validates the same bodies, performs the same Postgres
//           writes and writes the same SSE frames (floor-server.mjs),
// in the same invocation, on the same database, each in its own process.
//
// Two phases:
//   saturation — closed loop, no think time, at each BENCH_CONCURRENCY: requests/s, time to
//                first SSE event (TTFE) p50/p99, full response p99, and app/floor ratios;
//   paced      — BENCH_PACED_CLIENTS concurrent conversations pausing ~BENCH_THINK_MS between
//                requests: the latency a chat user sees at that concurrency. (Under a closed
//                loop, latency is queueing: clients / throughput.)
// Every run also reports CPU per request of the server, its Postgres backends and the client
// (from /proc), which stays meaningful when other work shares the machine.
//
//   npm run bench:chatkit                      (builds the backend first; needs a database, below)
//   BENCH_DATABASE_URL=postgres://…/parley_bench npm run bench:chatkit -- --write
//
// Env: BENCH_DATABASE_URL or DATABASE_URL (its name must contain "bench" or "test": the schema is
// reset), BENCH_CONCURRENCY (default "10,50"), BENCH_PACED_CLIENTS (50; 0 skips), BENCH_THINK_MS
// (250), BENCH_SECONDS (measured, 10), BENCH_WARMUP_SECONDS (3), BENCH_LOG_LEVEL (app, info),
// DATABASE_POOL_SIZE (10 connections in total for each server), BENCH_APP_INSTANCES (1; the
// compose file runs 2 replicas: clients are spread over them as by a load balancer). Without a
// database URL it refuses to run unless `--pglite` is given: embedded PGlite is single-threaded and
// makes both servers database-bound, so its figures measure PGlite, not Parley (the output then
// says so on every table; `--write` is refused). `--write` records the results in docs/performance.md.
// Each row also shows the server's peak RSS (VmHWM from /proc/<pid>/status, read just before the
// process stops: its whole life, setup and warm-up included; the largest instance when several).
// A/B in one invocation: BENCH_APP_VARIANTS="base=backend/dist-base;new=backend/dist|--max-semi-space-size=8"
// (name=build directory relative to the repository root, optionally |node arguments|NAME=value,… for its
// environment) runs the floor once per
// client count and then each variant right after it, alternating builds in the same machine conditions;
// every variant gets its own rows. Not with --write.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const dist = join(root, 'backend/dist');
const requireBackend = createRequire(join(root, 'backend/package.json'));

// --guard: the CI regression guard (`npm run test:perf`): short runs at 10 clients, the app's CPU per request against
// the floor's in the same run, up to GUARD_ATTEMPTS times (a regression fails every attempt, a noisy neighbour rarely
// all of them); ends with a `N passed, M failed` line and a non-zero exit code when a check failed in every attempt.
const guard = process.argv.includes('--guard');
// Limits, far enough above what a quiet machine measures (server ≈ 4–4.6×, PostgreSQL ≈ 1.0–1.3× the floor's on the
// machine of docs/performance.md) to stay green under noise, close enough to catch a doubled cost.
const GUARD_MAX_SERVER_CPU_RATIO = Number(process.env.GUARD_MAX_SERVER_CPU_RATIO ?? 4.5);
const GUARD_MAX_DB_CPU_RATIO = Number(process.env.GUARD_MAX_DB_CPU_RATIO ?? 1.8);
const GUARD_ATTEMPTS = Number(process.env.GUARD_ATTEMPTS ?? 3);
const concurrencies = (process.env.BENCH_CONCURRENCY ?? (guard ? '10' : '10,50')).split(',').map(Number);
const measuredSeconds = Number(process.env.BENCH_SECONDS ?? (guard ? 4 : 10));
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? (guard ? 2 : 3));
const logLevel = process.env.BENCH_LOG_LEVEL ?? 'info';
const pacedClients = guard ? 0 : Number(process.env.BENCH_PACED_CLIENTS ?? 50);
const thinkMs = Number(process.env.BENCH_THINK_MS ?? 250);
// App processes sharing the load (the compose file runs two replicas); the floor is always one.
const instances = Number(process.env.BENCH_APP_INSTANCES ?? 1);
const poolSize = Number(process.env.DATABASE_POOL_SIZE ?? 10);
const write = process.argv.includes('--write');
const pglite = process.argv.includes('--pglite');
const PGLITE_LABEL = '!!! PGlite smoke run: embedded single-threaded database, both servers database-bound — NOT Parley figures !!!';
const MESSAGES_PER_THREAD = 5;
// One secret per run: the app encrypts its signing keys with it, and restarts between runs.
const secretKey = process.env.PARLEY_SECRET_KEY ?? randomBytes(32).toString('hex');
const TOKEN_REFRESH_MS = 120_000;
// Production refuses to start without one; the benchmark also reads the app's GC time from /metrics.
const METRICS_TOKEN = 'parley-bench-metrics-token';
const variants = (process.env.BENCH_APP_VARIANTS ?? '')
  .split(';')
  .filter(Boolean)
  .map((spec) => {
    const name = spec.slice(0, spec.indexOf('='));
    const [dir, args = '', envs = ''] = spec.slice(spec.indexOf('=') + 1).split('|');
    const env = Object.fromEntries(envs.split(',').filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
    return { name, dist: join(root, dir), nodeArgs: args.split(' ').filter(Boolean), env };
  });
if (variants.length && write) throw new Error('--write records one build: not with BENCH_APP_VARIANTS.');

if (!existsSync(join(dist, 'main.js'))) {
  console.error('backend/dist is missing: run `npm run build -w backend` (or `npm run bench:chatkit`).');
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function database() {
  const url = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  if (url) {
    // Every run starts from an empty schema (comparable table sizes, no keys from an earlier secret),
    // so only a database meant for it is accepted.
    const name = decodeURIComponent(new URL(url).pathname.slice(1));
    if (!/bench|test/i.test(name)) throw new Error(`Refusing to reset database "${name}": its name must contain "bench" or "test".`);
    const { Client } = requireBackend('pg');
    const client = new Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query('SELECT version()');
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    await client.end();
    return { url, external: true, engine: rows[0].version.split(' ').slice(0, 2).join(' '), stop: async () => {} };
  }
  if (!pglite) {
    throw new Error(
      'No BENCH_DATABASE_URL / DATABASE_URL: refusing to measure on embedded PGlite (single-threaded, it makes both servers ' +
        'database-bound and the ratio meaningless). Use a PostgreSQL database (ops/postgres/throwaway.sh, see docs/performance.md), ' +
        'or pass --pglite for a labelled smoke run.',
    );
  }
  if (write) throw new Error('--write records real figures: not with --pglite.');
  const { startEmbeddedPostgres } = await import(join(dist, 'database/embedded-postgres.js'));
  const embedded = await startEmbeddedPostgres({ dataDir: null, maxConnections: poolSize + 4, databaseName: 'parley_bench' });
  return { url: embedded.url, engine: 'embedded PGlite (single-threaded: not representative)', stop: () => embedded.stop() };
}

async function waitFor(url, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited (${child.exitCode}) before ${url} was ready`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become ready`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function startApp(dbUrl, variant = null) {
  const port = await freePort();
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    // Stable across the app restarts of a run: it is the JWT issuer.
    PUBLIC_BASE_URL: 'http://parley-bench.localhost',
    DATABASE_URL: dbUrl,
    // The same number of database connections in total, however many instances.
    DATABASE_POOL_SIZE: String(Math.ceil(poolSize / instances)),
    DATABASE_MIGRATIONS_RUN: 'true',
    // The fake model provider listens on loopback, which production's outbound policy refuses.
    OUTBOUND_ALLOW_PRIVATE: 'true',
    PARLEY_SECRET_KEY: secretKey,
    // Production refuses to start without it.
    METRICS_TOKEN,
    LOG_LEVEL: logLevel,
    // One principal sends everything: rate limits are not what is measured (their cost still is).
    // A 1 s window: the in-memory limiter keeps one timestamp per hit in the window and filters
    // them on every request, so these huge limits over the default 60 s would make each request
    // scan tens of thousands of entries — a cost no production limit (at most `limit` hits kept) has.
    RATE_LIMIT_WINDOW: '1',
    AUTH_RATE_LIMIT_PER_IP: '100000',
    RATE_LIMIT_PER_IP: '100000000',
    RATE_LIMIT_PER_PRINCIPAL: '100000000',
    ...variant?.env,
  };
  const nodeArgs = variant ? variant.nodeArgs : (process.env.BENCH_APP_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(variant?.dist ?? dist, 'main.js')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.once('exit', (code) => {
    children.delete(child);
    if (code && code !== 0 && !child.stopping) console.error(`app exited with ${code}:\n${stderr}`);
  });
  await waitFor(`http://127.0.0.1:${port}/readyz`, child);
  return { origin: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => stop(child) };
}

async function startFloor(dbUrl, workflowId, principalId) {
  const floorArgs = (process.env.BENCH_FLOOR_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...floorArgs, join(here, 'floor-server.mjs')], {
    env: { ...process.env, DATABASE_URL: dbUrl, WORKFLOW_ID: workflowId, PRINCIPAL_ID: principalId, DATABASE_POOL_SIZE: String(poolSize) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      const match = /listening (\d+)/.exec(String(chunk));
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`floor exited with ${code}`)));
  });
  return { origin: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => stop(child) };
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/**
 * Gives the transcript tables other principals' history (40 000 threads, 400 000 items), so every
 * run queries tables of a realistic size, through their indexes.
 */
async function seed(url, identity) {
  const { Client } = requireBackend('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO chat_threads (id, workflow_id, principal_kind, principal_id, title)
       SELECT 'thr_seed_' || g, $1, 'user', 'seed_user_' || (g % 1000), 'seeded' FROM generate_series(1, 40000) g`,
      [identity.workflowId],
    );
    await client.query(
      `INSERT INTO chat_items (id, thread_id, type, data)
       SELECT 'msg_seed_' || t || '_' || n, 'thr_seed_' || t, 'assistant_message', '{"type":"assistant_message"}'::json
         FROM generate_series(1, 40000) t, generate_series(1, 10) n`,
    );
  } finally {
    await client.end();
  }
  await analyze(url);
}

/** Fresh planner statistics, so neither server runs on plans made for empty tables. */
async function analyze(url) {
  const { Client } = requireBackend('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('ANALYZE chat_threads; ANALYZE chat_items');
  } finally {
    await client.end();
  }
}

/** Pids of the Postgres backends serving `url`'s database (the pools' connections), empty when unknown. */
async function dbBackends(url) {
  if (!url) return [];
  const { Client } = requireBackend('pg');
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    );
    return rows.map((row) => row.pid);
  } catch {
    return [];
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Peak resident set size (MiB) of a process so far (VmHWM, Linux); NaN elsewhere. */
function peakRssMiB(pid) {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function sumCpu(pids) {
  return pids.length ? pids.reduce((total, pid) => total + (cpuMs(pid) || 0), 0) : NaN;
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.stopping = true;
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

// ---------------------------------------------------------------------------------------------
// Setup through the public API: an owner, an echo workflow, chat session tokens
// ---------------------------------------------------------------------------------------------

async function api(origin, path, { token, body } = {}) {
  const res = await fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body ?? {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path} → ${res.status} ${text}`);
  return JSON.parse(text);
}

async function setup(origin) {
  const email = `bench-${Date.now()}@example.com`;
  const password = 'benchmark password 1234';
  await api(origin, '/api/auth/register', { body: { email, password } });
  const login = await api(origin, '/api/auth/login', { body: { email, password } });
  const workflow = await api(origin, '/api/workflows', { token: login.accessToken, body: { name: 'bench', runner: { kind: 'echo' } } });
  return { userId: login.user.id, accessToken: login.accessToken, workflowId: workflow.id };
}

// ---------------------------------------------------------------------------------------------
// Load
// ---------------------------------------------------------------------------------------------

/** One POST; resolves with the time to the first SSE frame and to the end of the response. */
function post(agent, origin, headers, body) {
  const payload = JSON.stringify(body);
  const url = new URL('/api/chatkit', origin);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let first = 0;
    let text = '';
    const req = http.request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          if (!first && chunk.includes('data: ')) first = Number(process.hrtime.bigint() - started) / 1e6;
          text += chunk;
        });
        res.on('end', () => {
          const full = Number(process.hrtime.bigint() - started) / 1e6;
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
          resolve({ ttfe: first || full, full, text });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const message = (text) => ({ content: [{ type: 'input_text', text }], attachments: [], inference_options: {} });

async function run(target, concurrency, headersFor, thinkMs = 0) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const samples = [];
  let errors = 0;
  const warmupEnds = Date.now() + warmupSeconds * 1000;
  const ends = warmupEnds + measuredSeconds * 1000;
  let measuredRequests = 0;
  // Paced clients pause (with jitter, so they do not march in step) between requests.
  const think = () => (thinkMs ? new Promise((resolve) => setTimeout(resolve, thinkMs * (0.5 + Math.random()))) : undefined);

  async function client(index) {
    // Several app instances (replicas) share the clients, as a load balancer would.
    const origin = target.origins[index % target.origins.length];
    let n = 0;
    await think();
    while (Date.now() < ends) {
      try {
        const headers = await headersFor(index);
        const created = await post(agent, origin, headers, { type: 'threads.create', params: { input: message(`hello from client ${index} conversation ${n}`) } });
        record(created);
        const threadId = JSON.parse(created.text.slice(6, created.text.indexOf('\n\n'))).thread.id;
        for (let i = 0; i < MESSAGES_PER_THREAD && Date.now() < ends; i++) {
          await think();
          record(await post(agent, origin, headers, { type: 'threads.add_user_message', params: { thread_id: threadId, input: message(`message ${i} of a benchmark conversation`) } }));
        }
      } catch (error) {
        errors++;
        if (errors <= 3) console.error(`  ${target.name}: ${error.message}`);
      }
      n++;
      await think();
    }
  }

  function record(sample) {
    const now = Date.now();
    if (now < warmupEnds || now > ends) return;
    measuredRequests++;
    samples.push(sample);
  }

  // CPU over the measured window, for the server, its Postgres backends and this client: less
  // sensitive than req/s to other load on the machine, and it shows where the time goes.
  const cpu = { start: null, end: null };
  // The pool is warm by then: the same backends serve the whole window.
  const sample = async (pids) => {
    const client = process.cpuUsage();
    const { gc, gcMinor, youngMiB } = target.name === 'app' ? await gcMs(target.origins) : { gc: NaN, gcMinor: NaN, youngMiB: NaN };
    return { pids, server: sumCpu(target.pids), db: sumCpu(pids), client: (client.user + client.system) / 1000, gc, gcMinor, youngMiB };
  };
  setTimeout(() => void dbBackends(target.dbUrl).then(sample).then((v) => (cpu.start = v)), warmupEnds - Date.now());
  setTimeout(() => void sample(cpu.start?.pids ?? []).then((v) => (cpu.end = v)), ends - Date.now());
  await Promise.all(Array.from({ length: concurrency }, (_, i) => client(i)));
  while (!cpu.end) await new Promise((resolve) => setTimeout(resolve, 20));
  const perRequest = (key) => (cpu.end[key] - cpu.start[key]) / measuredRequests;
  agent.destroy();
  const ttfe = samples.map((s) => s.ttfe).sort((a, b) => a - b);
  const full = samples.map((s) => s.full).sort((a, b) => a - b);
  return {
    requests: measuredRequests,
    errors,
    rps: measuredRequests / measuredSeconds,
    ttfeP50: percentile(ttfe, 0.5),
    ttfeP99: percentile(ttfe, 0.99),
    fullP50: percentile(full, 0.5),
    fullP99: percentile(full, 0.99),
    cpuPerRequest: perRequest('server'),
    dbCpuPerRequest: perRequest('db'),
    clientCpuPerRequest: perRequest('client'),
    gcPerRequest: perRequest('gc'),
    gcMinorPerRequest: perRequest('gcMinor'),
    youngMiB: cpu.end.youngMiB,
  };
}

/**
 * Time the app's processes spent in garbage collection so far (ms), and the young generation's size (MiB, the largest
 * instance), from their own /metrics (prom-client).
 */
async function gcMs(origins) {
  let gc = 0;
  let gcMinor = 0;
  let youngMiB = 0;
  for (const origin of origins) {
    try {
      const res = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      const text = await res.text();
      for (const match of text.matchAll(/^nodejs_gc_duration_seconds_sum\{([^}]*)\} ([\d.e+-]+)$/gm)) {
        gc += Number(match[2]) * 1000;
        if (match[1].includes('kind="minor"')) gcMinor += Number(match[2]) * 1000;
      }
      const young = /^nodejs_heap_space_size_total_bytes\{space="new"\} ([\d.e+-]+)$/m.exec(text);
      if (young) youngMiB = Math.max(youngMiB, Number(young[1]) / 1048576);
    } catch {
      return { gc: NaN, gcMinor: NaN, youngMiB: NaN };
    }
  }
  return { gc, gcMinor, youngMiB };
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

// Issue 18's targets.
const TARGET_RATIO = 0.55;
const STRETCH_RATIO = 0.65;
const TARGET_DB_RATIO = 1.2;
const TARGET_RSS_MIB = 160;
const TARGET_PACED_TTFE_P99_MS = 25;

const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

async function main() {
  const db = await database();
  if (!db.external) console.log(`${PGLITE_LABEL}\n`);
  console.log(`ChatKit benchmark — ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, ${db.engine}`);
  console.log(
    `${measuredSeconds}s measured after ${warmupSeconds}s warm-up per run; pool ${poolSize} connections per server; app LOG_LEVEL=${logLevel}, ` +
      `${instances} app instance(s); load average before: ${os.loadavg()[0].toFixed(2)}\n`,
  );
  // Setup once through the app's public API (which also migrates the schema), then data.
  const first = await startApp(db.url);
  const identity = await setup(first.origin);
  await first.stop();
  if (db.external) await seed(db.url, identity);

  /** Runs the floor, then the app (fresh processes), with the same clients and fresh statistics. */
  async function pair(concurrency, thinkMs) {
    if (db.external) await analyze(db.url);
    const floor = await startFloor(db.url, identity.workflowId, identity.userId);
    const floorResult = await run({ name: 'floor', origins: [floor.origin], pids: [floor.pid], dbUrl: db.external ? db.url : null }, concurrency, async () => ({}), thinkMs);
    floorResult.peakRss = peakRssMiB(floor.pid);
    await floor.stop();
    if (!variants.length) return { ...(await appRun(concurrency, thinkMs)), floor: floorResult };
    const results = [];
    for (const variant of variants) {
      const result = await appRun(concurrency, thinkMs, variant);
      results.push({ concurrency, ...result, floor: floorResult });
      console.log(`  variant ${variant.name} (${variant.dist.slice(root.length + 1)} ${variant.nodeArgs.join(' ')}), load ${result.load.toFixed(2)}:`);
      console.log(table([{ concurrency, app: result.app, floor: floorResult }]));
    }
    return { ...results[0], variants: results };
  }

  async function appRun(concurrency, thinkMs, variant = null) {
    const apps = [];
    for (let i = 0; i < instances; i++) apps.push(await startApp(db.url, variant));
    const tokens = new Map();
    // One chat session per client, renewed well before its 5 minutes are up.
    const headersFor = async (index) => {
      const cached = tokens.get(index);
      if (cached && Date.now() - cached.at < TOKEN_REFRESH_MS) return cached.headers;
      const session = await api(apps[0].origin, `/api/workflows/${identity.workflowId}/chatkit/session`, { token: identity.accessToken });
      const headers = { authorization: `Bearer ${session.token}`, 'x-parley-workflow': identity.workflowId };
      tokens.set(index, { at: Date.now(), headers });
      return headers;
    };
    if (db.external) await analyze(db.url);
    const appResult = await run(
      { name: 'app', origins: apps.map((a) => a.origin), pids: apps.map((a) => a.pid), dbUrl: db.external ? db.url : null },
      concurrency,
      headersFor,
      thinkMs,
    );
    appResult.peakRss = Math.max(...apps.map((a) => peakRssMiB(a.pid)));
    for (const app of apps) await app.stop();
    return { app: appResult, load: os.loadavg()[0] };
  }

  if (guard) return guardRuns(pair, db);

  const saturation = [];
  for (const concurrency of concurrencies) {
    const result = { concurrency, ...(await pair(concurrency, 0)) };
    saturation.push(result);
    console.log(table([result]));
  }
  let paced = null;
  if (pacedClients > 0) {
    paced = { concurrency: pacedClients, ...(await pair(pacedClients, thinkMs)) };
    console.log(`\nPaced: ${pacedClients} concurrent conversations, ~${thinkMs} ms think time between requests`);
    console.log(table([paced]));
  }
  await db.stop();

  const verdicts = [
    ...saturation.map(({ concurrency, app, floor }) => {
      const ratio = app.rps / floor.rps;
      const projected = projectedRatio({ app, floor });
      const dbRatio = app.dbCpuPerRequest / floor.dbCpuPerRequest;
      return (
        `- saturation, ${concurrency} clients: app throughput ${fmt(ratio * 100, 0)}% of the floor (target ≥ ${fmt(TARGET_RATIO * 100, 0)}%, stretch ${fmt(STRETCH_RATIO * 100, 0)}%) ` +
        `${ratio >= STRETCH_RATIO ? '✓✓' : ratio >= TARGET_RATIO ? '✓' : '✗'}; CPU-projected for an otherwise idle machine: ${fmt(projected * 100, 0)}%; ` +
        `Postgres CPU/request ${fmt(dbRatio, 2)}× the floor's (target ≤ ${TARGET_DB_RATIO}×) ${dbRatio <= TARGET_DB_RATIO ? '✓' : '✗'}`
      );
    }),
    ...saturation
      .filter(({ concurrency }) => concurrency === Math.max(...concurrencies))
      .map(({ concurrency, app }) =>
        `- peak RSS of the app under the ${concurrency}-client run: ${fmt(app.peakRss, 0)} MiB (target ≤ ${TARGET_RSS_MIB} MiB) ${app.peakRss <= TARGET_RSS_MIB ? '✓' : '✗'}`,
      ),
    ...(paced
      ? [`- ${pacedClients} concurrent conversations (paced): app TTFE p99 ${fmt(paced.app.ttfeP99)} ms (target < ${TARGET_PACED_TTFE_P99_MS} ms) ${paced.app.ttfeP99 < TARGET_PACED_TTFE_P99_MS ? '✓' : '✗'}`]
      : []),
    ...(db.external ? [] : [`- ${PGLITE_LABEL}`]),
  ];
  const runs = paced ? [...saturation, paced] : saturation;
  if (variants.length) {
    console.log('\nA/B summary (app / floor req/s · server CPU/req · Postgres CPU/req vs floor · peak RSS · load after):');
    for (const r of runs) {
      for (const v of r.variants) {
        console.log(
          `  ${r === paced ? 'paced ' : ''}${r.concurrency} clients, ${v.app === r.app ? '' : ''}${variants[r.variants.indexOf(v)].name}: ${fmt((v.app.rps / r.floor.rps) * 100, 0)}% · ` +
            `${fmt(v.app.cpuPerRequest, 2)} ms (floor ${fmt(r.floor.cpuPerRequest, 2)}) · ${fmt(v.app.dbCpuPerRequest / r.floor.dbCpuPerRequest, 2)}× · ${fmt(v.app.peakRss, 0)} MiB · ` +
            `GC ${fmt(v.app.gcPerRequest, 3)} ms/req (scavenges ${fmt(v.app.gcMinorPerRequest, 3)}) · young gen ${fmt(v.app.youngMiB, 0)} MiB · TTFE p99 ${fmt(v.app.ttfeP99)} ms · ${v.load.toFixed(2)}`,
        );
      }
    }
  }
  console.log(`\n${verdicts.join('\n')}\nload average (1 min) after each run: ${runs.map((r) => r.load.toFixed(2)).join(', ')}`);
  if (write) {
    if (!paced) throw new Error('--write needs the paced run (BENCH_PACED_CLIENTS > 0).');
    writeReport(saturation, paced, db.engine, verdicts);
  }
}

/** The CI guard: each check passes when it passes in one of up to GUARD_ATTEMPTS short runs. */
async function guardRuns(pair, db) {
  if (!db.external) throw new Error('--guard needs PostgreSQL (BENCH_DATABASE_URL).');
  const checks = [
    { name: `server CPU/request ≤ ${GUARD_MAX_SERVER_CPU_RATIO}× the floor's`, value: (r) => r.app.cpuPerRequest / r.floor.cpuPerRequest, limit: GUARD_MAX_SERVER_CPU_RATIO },
    { name: `PostgreSQL CPU/request ≤ ${GUARD_MAX_DB_CPU_RATIO}× the floor's`, value: (r) => r.app.dbCpuPerRequest / r.floor.dbCpuPerRequest, limit: GUARD_MAX_DB_CPU_RATIO },
    { name: 'no errors (app and floor)', value: (r) => r.app.errors + r.floor.errors + (r.app.requests && r.floor.requests ? 0 : 1), limit: 0 },
  ];
  const passed = new Set();
  for (let attempt = 1; attempt <= GUARD_ATTEMPTS && passed.size < checks.length; attempt++) {
    // A check passes in an attempt when it passes at every client count of that attempt.
    const failedNow = new Set();
    for (const concurrency of concurrencies) {
      const result = { concurrency, ...(await pair(concurrency, 0)) };
      console.log(`attempt ${attempt}, load average after: ${result.load.toFixed(2)}\n${table([result])}`);
      for (const check of checks) {
        const value = check.value(result);
        const ok = value <= check.limit;
        console.log(`  ${ok ? '✓' : '✗'} ${check.name}: ${fmt(value, 2)}`);
        if (!ok) failedNow.add(check.name);
      }
    }
    for (const check of checks) if (!failedNow.has(check.name)) passed.add(check.name);
  }
  await db.stop();
  const failed = checks.filter((c) => !passed.has(c.name));
  for (const check of failed) console.log(`FAILED in every attempt: ${check.name}`);
  console.log(`${checks.length - failed.length} passed, ${failed.length} failed`);
  if (failed.length) process.exitCode = 1;
}

const cpuCell = (r) => `${fmt(r.cpuPerRequest, 2)} · ${fmt(r.dbCpuPerRequest, 2)} · ${fmt(r.clientCpuPerRequest, 2)}`;

/**
 * The throughput ratio the CPU figures predict when the whole machine works for this benchmark
 * (everything CPU-bound, nothing else running): the floor's total CPU per request over the app's.
 */
const projectedRatio = ({ app, floor }) =>
  (floor.cpuPerRequest + floor.dbCpuPerRequest + floor.clientCpuPerRequest) / (app.cpuPerRequest + app.dbCpuPerRequest + app.clientCpuPerRequest);

function table(rows) {
  const lines = [
    ...(pglite ? [`**${PGLITE_LABEL}**`, ''] : []),
    '| clients | server | req/s | TTFE p50 (ms) | TTFE p99 (ms) | full p99 (ms) | CPU/req (ms): server · Postgres · client | peak RSS (MiB) | errors |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { concurrency, app, floor } of rows) {
    lines.push(`| ${concurrency} | floor | ${fmt(floor.rps, 0)} | ${fmt(floor.ttfeP50)} | ${fmt(floor.ttfeP99)} | ${fmt(floor.fullP99)} | ${cpuCell(floor)} | ${fmt(floor.peakRss, 0)} | ${floor.errors} |`);
    lines.push(`| ${concurrency} | app | ${fmt(app.rps, 0)} | ${fmt(app.ttfeP50)} | ${fmt(app.ttfeP99)} | ${fmt(app.fullP99)} | ${cpuCell(app)} | ${fmt(app.peakRss, 0)} | ${app.errors} |`);
    lines.push(
      `| ${concurrency} | **app / floor** | **${fmt((app.rps / floor.rps) * 100, 0)}%** | ${fmt(app.ttfeP50 / floor.ttfeP50, 2)}× | ${fmt(app.ttfeP99 / floor.ttfeP99, 2)}× | ${fmt(app.fullP99 / floor.fullP99, 2)}× | ${fmt(app.cpuPerRequest / floor.cpuPerRequest, 2)}× · ${fmt(app.dbCpuPerRequest / floor.dbCpuPerRequest, 2)}× · ${fmt(app.clientCpuPerRequest / floor.clientCpuPerRequest, 2)}× | ${fmt(app.peakRss / floor.peakRss, 2)}× | |`,
    );
  }
  return lines.join('\n');
}

function writeReport(saturation, paced, engine, verdicts) {
  const file = join(root, 'docs/performance.md');
  const loads = [...saturation, paced].map((r) => r.load.toFixed(2)).join(', ');
  const section = [
    '<!-- bench:chatkit:start (written by `npm run bench:chatkit -- --write`) -->',
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, ${engine} on the same machine; ` +
      `${measuredSeconds} s measured after ${warmupSeconds} s warm-up per run, ${poolSize} database connections per server, ${instances} app instance(s), ` +
      `app \`NODE_ENV=production\`, \`LOG_LEVEL=${logLevel}\`. ` +
      `1-minute load average after each run: ${loads}.`,
    '',
    '**Saturation** (closed loop, no think time):',
    '',
    table(saturation),
    '',
    `**Latency at ${paced.concurrency} concurrent conversations** (each client pauses ~${thinkMs} ms, ±50%, between requests):`,
    '',
    table([paced]),
    '',
    verdicts.join('\n'),
    '<!-- bench:chatkit:end -->',
  ].join('\n');
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Performance\n';
  const pattern = /<!-- bench:chatkit:start[\s\S]*?<!-- bench:chatkit:end -->/;
  doc = pattern.test(doc) ? doc.replace(pattern, section) : `${doc.trimEnd()}\n\n## ChatKit gateway (latest run)\n\n${section}\n`;
  writeFileSync(file, doc);
  console.log(`\nWrote ${file}`);
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
