// Shared plumbing of the load benchmarks (ops/bench/{load,streams,paging,auth} import it from
// here; it lives with the first of them rather than in a folder of its own): a throwaway
// PostgreSQL (and Redis), the built backend started like production, setup through the public
// API, /proc accounting (CPU, RSS), a small HTTP client that times the first SSE frame, and
// percentile / table helpers. Every child process and throwaway server is stopped on every exit
// path (normal end, error, SIGINT, SIGTERM).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMs, freePort, parseExports, threadsCpuNs } from '../../lib/common.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DIST = join(ROOT, 'backend/dist');
export const requireBackend = createRequire(join(ROOT, 'backend/package.json'));

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

export const QUICK = process.argv.includes('--quick');

/** `--name=value` or `--name value` from the command line, else `fallback`. */
export function option(name, fallback) {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i += 1) {
    if (args[i] === `--${name}` && i + 1 < args.length) return args[i + 1];
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
  }
  return fallback;
}

export const numberOption = (name, fallback) => Number(option(name, String(fallback)));

// ---------------------------------------------------------------------------------------------
// Children and cleanup
// ---------------------------------------------------------------------------------------------

const children = new Set();
const cleanups = [];
let cleaned = false;

/** Stops every child and throwaway server, synchronously (safe in an `exit` handler). */
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      fn();
    } catch {
      /* best effort */
    }
  }
}

process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
process.on('SIGHUP', () => process.exit(129));
process.on('uncaughtException', (error) => {
  console.error(error);
  process.exit(1);
});
process.on('unhandledRejection', (error) => {
  console.error(error);
  process.exit(1);
});

/** Runs `main`, then exits 0 (cleanup runs in the exit handler); any failure exits 1. */
export function runMain(main) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}

export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function onCleanup(fn) {
  cleanups.push(fn);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export function stopChild(child, graceMs = 5000) {
  return new Promise((resolvePromise) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolvePromise();
    child.stopping = true;
    child.once('exit', () => resolvePromise());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * RLIMIT_NOFILE (soft, hard) of a process. Children inherit it, and Node raises its soft limit to
 * the hard one at start-up; raising the hard limit needs CAP_SYS_RESOURCE, which containers
 * often lack, so the benchmarks live with it and say so.
 */
export function nofileOf(pid = process.pid) {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const [soft, hard] = line.split(/\s{2,}/).slice(1, 3).map(Number);
    return { soft, hard };
  } catch {
    return { soft: NaN, hard: NaN };
  }
}

/** Open file descriptors of a process. */
export function fdCount(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

// ---------------------------------------------------------------------------------------------
// Infrastructure: PostgreSQL, Redis
// ---------------------------------------------------------------------------------------------


/**
 * A PostgreSQL for the run: BENCH_DATABASE_URL (its database name must contain "bench" or "test":
 * its schema is dropped) or a throwaway cluster (ops/postgres/throwaway.sh, PGPORT=auto) stopped
 * and deleted on exit. `logFile` is the server log of a throwaway cluster (null otherwise).
 */
export async function startPostgres({ maxConnections = 200 } = {}) {
  let url = process.env.BENCH_DATABASE_URL;
  let logFile = null;
  if (url) {
    const name = decodeURIComponent(new URL(url).pathname.slice(1));
    if (!/bench|test/i.test(name)) throw new Error(`Refusing to reset database "${name}": its name must contain "bench" or "test".`);
    await sql(url, 'DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  } else {
    const script = join(ROOT, 'ops/postgres/throwaway.sh');
    const out = execFileSync(script, ['start'], {
      env: { ...process.env, PGPORT: 'auto', PGDB: 'parley_bench', PG_MAX_CONNECTIONS: String(maxConnections) },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const vars = parseExports(out);
    onCleanup(() => execFileSync(script, ['stop', vars.PGTMP], { stdio: 'ignore', env: { ...process.env, PGPORT: vars.PGPORT } }));
    url = vars.DATABASE_URL;
    logFile = join(vars.PGTMP, 'server.log');
  }
  const [{ server_version: version }] = await sql(url, 'SHOW server_version');
  return { url, version: `PostgreSQL ${version.split(' ')[0]}`, logFile };
}

/** A throwaway Redis (ops/redis/throwaway.sh), stopped on exit. */
export function startRedis() {
  const script = join(ROOT, 'ops/redis/throwaway.sh');
  const out = execFileSync(script, ['start'], { env: { ...process.env, REDIS_PORT: 'auto' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const vars = parseExports(out);
  onCleanup(() => execFileSync(script, ['stop', vars.REDISTMP], { stdio: 'ignore' }));
  return { url: vars.REDIS_URL };
}

/** One statement (or several, without parameters) on a fresh connection; returns the last result's rows. */
export async function sql(url, text, params) {
  const { Client } = requireBackend('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(text, params);
    return Array.isArray(result) ? result[result.length - 1].rows : result.rows;
  } finally {
    await client.end();
  }
}

/** The postmaster's pid of the cluster behind `url` (the parent of any backend), for `pgClusterCpuMs`. */
export async function postmasterPid(url) {
  const { Client } = requireBackend('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
    return Number(readFileSync(`/proc/${rows[0].pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
  } finally {
    await client.end();
  }
}

/**
 * CPU (ms) the whole PostgreSQL cluster has used so far: the postmaster, every live child
 * (backends, checkpointer, autovacuum…) and the children it has already reaped (its cutime and
 * cstime), so backends a pool opens and closes during a window are counted too. Needs the
 * cluster on this machine.
 */
export function pgClusterCpuMs(postmaster) {
  try {
    const fields = readFileSync(`/proc/${postmaster}/stat`, 'utf8').split(') ')[1].split(' ');
    let ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const f = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ');
        if (Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
      } catch {
        /* gone */
      }
    }
    return (ticks * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** Pids of the PostgreSQL backends connected to `url`'s database (the servers' pools), this query's excluded. */
export async function pgBackendPids(url) {
  const rows = await sql(
    url,
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
  );
  return rows.map((r) => r.pid);
}

// ---------------------------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------------------------

export { freePort };

/** One secret per run: the app encrypts its signing keys with it, and every instance needs the same. */
const SECRET_KEY = process.env.PARLEY_SECRET_KEY ?? randomBytes(32).toString('hex');

/**
 * Rate limits far above anything a benchmark sends: their cost is measured, their refusals are
 * not. The window is 1 s, not the default 60 s: the in-memory limiter (@nestjs/throttler's
 * ThrottlerStorageService) keeps one timestamp per hit in the window and filters that array on
 * every request, so a huge limit over 60 s makes each request cost O(requests in the last minute)
 * — tens of thousands of entries from the one benchmark IP, which no production limit allows
 * (at most `limit` hits are kept). A 1 s window keeps the arrays as short as real limits keep them.
 */
export const RAISED_LIMITS = {
  RATE_LIMIT_WINDOW: '1',
  RATE_LIMIT_PER_IP: '1000000000',
  RATE_LIMIT_PER_PRINCIPAL: '1000000000',
  RATE_LIMIT_PER_LINK: '1000000000',
  AUTH_RATE_LIMIT_PER_IP: '1000000',
  AUTH_RATE_LIMIT_PER_EMAIL: '1000000',
};

/** The environment the app runs with in every benchmark (production, raised limits), plus `extra`. */
export function appEnv(dbUrl, extra = {}) {
  return {
    ...process.env,
    NODE_ENV: 'production',
    PUBLIC_BASE_URL: 'http://parley-bench.localhost',
    DATABASE_URL: dbUrl,
    DATABASE_MIGRATIONS_RUN: 'true',
    PARLEY_SECRET_KEY: SECRET_KEY,
    METRICS_TOKEN: 'parley-bench-metrics-token',
    // The fake model provider listens on loopback, which production's outbound policy refuses.
    OUTBOUND_ALLOW_PRIVATE: 'true',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    ...RAISED_LIMITS,
    ...extra,
  };
}

/**
 * Starts `backend/dist/main.js` like production (`NODE_ENV=production`, request logs at `info`
 * unless BENCH_LOG_LEVEL says otherwise, raised rate limits) and waits for /readyz. `ipc` gives
 * it an IPC channel; `nodeArgs` go before the script (e.g. `--require probe.cjs`); `dist`: another build
 * directory than backend/dist (an A/B of two builds).
 */
export async function startApp({ dbUrl, env = {}, ipc = false, nodeArgs = [], name = 'app', dist = DIST }) {
  if (!existsSync(join(dist, 'main.js'))) throw new Error(`${dist}/main.js is missing: run \`npm run build -w backend\`.`);
  const port = await freePort();
  const fullEnv = appEnv(dbUrl, { HOST: '127.0.0.1', PORT: String(port), ...env });
  const child = track(spawn(process.execPath, [...nodeArgs, join(dist, 'main.js')], { cwd: ROOT, env: fullEnv, stdio: ['ignore', 'ignore', 'pipe', ...(ipc ? ['ipc'] : [])] }));
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-20_000)));
  child.once('exit', (code, signal) => {
    if (!child.stopping && !cleaned) console.error(`${name} exited (${code ?? signal}):\n${stderr}`);
  });
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before it was ready:\n${stderr}`);
    try {
      const res = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${name} was not ready within 90 s:\n${stderr}`);
    await sleep(200);
  }
  return { name, origin, pid: child.pid, child, stderr: () => stderr, stop: (graceMs) => stopChild(child, graceMs) };
}

/**
 * Prometheus text from `/metrics` when the app serves it (null otherwise), as name → list of
 * samples (`{labels, value}`); read them with `metricFirst` / `metricSum`.
 */
export async function scrapeMetrics(origin) {
  try {
    const res = await fetch(`${origin}/metrics`, { headers: { authorization: 'Bearer parley-bench-metrics-token' }, signal: AbortSignal.timeout(5000) });
    if (!res.ok) return null;
    const metrics = new Map();
    for (const line of (await res.text()).split('\n')) {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (!match) continue;
      if (!metrics.has(match[1])) metrics.set(match[1], []);
      metrics.get(match[1]).push({ labels: match[2] ?? '', value: Number(match[3]) });
    }
    return metrics;
  } catch {
    return null;
  }
}

export const metricFirst = (metrics, name) => metrics?.get(name)?.[0]?.value ?? NaN;
export const metricSum = (metrics, name) => metrics?.get(name)?.reduce((sum, s) => sum + s.value, 0) ?? NaN;

// ---------------------------------------------------------------------------------------------
// /proc accounting
// ---------------------------------------------------------------------------------------------

export { cpuMs, threadsCpuNs };

export const sumCpu = (pids) => pids.reduce((total, pid) => total + (cpuMs(pid) || 0), 0);

/** This process's CPU time (ms). */
export function selfCpuMs() {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** VmRSS (bytes) of a process, from /proc/<pid>/status. */
export function rssBytes(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Busy share of the whole machine (0..1, over all cores) between two `machineTicks()` readings. */
export function machineTicks() {
  const [line] = readFileSync('/proc/stat', 'utf8').split('\n');
  const numbers = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = numbers[3] + numbers[4];
  const total = numbers.reduce((a, b) => a + b, 0);
  return { idle, total };
}

export const busyShare = (start, end) => 1 - (end.idle - start.idle) / (end.total - start.total);

// ---------------------------------------------------------------------------------------------
// The machine
// ---------------------------------------------------------------------------------------------

export function machine(pgVersion) {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? '?',
    cores: cpus.length,
    ramGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    pg: pgVersion,
  };
}

export const load1 = () => os.loadavg()[0];
export const loadavgText = () => os.loadavg().map((l) => l.toFixed(2)).join(' / ');

export function describeMachine(m) {
  return `${m.cores} × ${m.cpu}, ${m.ramGiB.toFixed(1)} GiB RAM, Node ${m.node}, ${m.pg} (same machine); load average (1/5/15 min) ${loadavgText()}`;
}

// ---------------------------------------------------------------------------------------------
// Numbers and tables
// ---------------------------------------------------------------------------------------------

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** n, p50, p95, p99, max of a list of milliseconds. */
export function summarize(values) {
  const sorted = Float64Array.from(values).sort();
  return { n: sorted.length, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? NaN };
}

export const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
export const mib = (bytes) => fmt(bytes / 2 ** 20, 1);

/** A Markdown table; `align` is a string of `l`/`r` per column. */
export function table(headers, rows, align = '') {
  const sep = headers.map((_, i) => ((align[i] ?? 'r') === 'l' ? '---' : '---:'));
  return [headers, sep, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Deterministic PRNG (mulberry32): think times and choices repeat from run to run. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/**
 * One request over `agent`. Resolves (never rejects) with the status (0 on a network error),
 * the time to the response headers, to the first SSE `data:` frame (`ttfe`, streams only) and to
 * the end, and the body text (or the error). `onFirstEvent` is called as soon as the first SSE
 * frame arrives (long-lived streams).
 */
export function request(agent, origin, { method = 'GET', path, headers = {}, body, keepBody = true, timeoutMs = 120_000, onFirstEvent }) {
  const url = new URL(path, origin);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolvePromise) => {
    const started = process.hrtime.bigint();
    const since = () => Number(process.hrtime.bigint() - started) / 1e6;
    let settled = false;
    const done = (result) => {
      if (settled) return;
      settled = true;
      resolvePromise(result);
    };
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        headers: { ...headers, ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
      },
      (res) => {
        const headersMs = since();
        let ttfe = NaN;
        let text = '';
        const sse = String(res.headers['content-type'] ?? '').startsWith('text/event-stream');
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          if (sse && Number.isNaN(ttfe) && (chunk.startsWith('data: ') || chunk.includes('\ndata: '))) {
            ttfe = since();
            onFirstEvent?.({ status: res.statusCode, headersMs, ttfe });
          }
          if (keepBody || res.statusCode >= 300 || text.length < 4096) text += chunk;
        });
        res.on('end', () => done({ status: res.statusCode, headersMs, ttfe, ms: since(), sse, text, headers: res.headers }));
        res.on('error', (error) => done({ status: 0, headersMs, ttfe, ms: since(), sse, text: String(error), error }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    // A reused keep-alive socket that the server closed meanwhile fails with ECONNRESET before any
    // response byte (browsers retry those; Node's client does not): say so in the error.
    req.on('error', (error) =>
      done({ status: 0, headersMs: NaN, ttfe: NaN, ms: since(), sse: false, text: `${error.code ?? ''} ${error.message}${req.reusedSocket ? ' (on a reused keep-alive socket)' : ''}`.trim(), error }),
    );
    req.end(payload);
  });
}

/** A JSON API call that must succeed; returns the parsed body. */
export async function api(origin, method, path, { token, body, headers = {} } = {}) {
  const res = await fetch(`${origin}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

/** Registers and signs in an owner; `{userId, accessToken}`. */
export async function registerOwner(origin, label = 'bench') {
  const email = `${label}-${randomBytes(6).toString('hex')}@example.com`;
  const password = 'benchmark password 1234';
  await api(origin, 'POST', '/api/auth/register', { body: { email, password } });
  const login = await api(origin, 'POST', '/api/auth/login', { body: { email, password } });
  return { userId: login.user.id, accessToken: login.accessToken, email };
}

export async function createWorkflow(origin, accessToken, runner = { kind: 'echo' }, name = 'bench') {
  const workflow = await api(origin, 'POST', '/api/workflows', { token: accessToken, body: { name, runner } });
  return workflow.id;
}

export async function publishWorkflow(origin, accessToken, workflowId) {
  const published = await api(origin, 'POST', `/api/workflows/${workflowId}/publish`, { token: accessToken, body: {} });
  return published.publishToken;
}

export async function chatSession(origin, accessToken, workflowId, deviceId = 'default') {
  return api(origin, 'POST', `/api/workflows/${workflowId}/chatkit/session`, { token: accessToken, body: { deviceId } });
}

export const chatMessage = (text) => ({ content: [{ type: 'input_text', text }], attachments: [], inference_options: {} });

/** `data:` frames of an SSE body, parsed. */
export function sseEvents(text) {
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice(6)));
}

// ---------------------------------------------------------------------------------------------
// CPU profiles (`node --cpu-prof`)
// ---------------------------------------------------------------------------------------------

/** Where a profiled function lives: an npm package, a file of the Parley build, Node itself, or V8. */
export function codeOwner(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /backend\/dist\/(.*)$/.exec(url);
  if (own) return `parley: ${own[1]}`;
  if (url.startsWith('node:')) return 'node: ' + url.slice(5).split('/')[0];
  return url;
}

/**
 * Self time of a `.cpuprofile` by owner (package / file) and by function, idle time excluded:
 * `{ totalMs, byOwner: [[owner, ms]…], byFunction: [[label, ms]…] }`.
 */
export function summarizeCpuProfile(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const owners = new Map();
  const functions = new Map();
  let totalMs = 0;
  for (const [id, ms] of self) {
    const { callFrame } = byId.get(id);
    if (callFrame.functionName === '(idle)') continue;
    totalMs += ms;
    const owner = codeOwner(callFrame.url, callFrame.functionName);
    owners.set(owner, (owners.get(owner) ?? 0) + ms);
    const label = `${callFrame.functionName || '(anonymous)'} ${owner}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
    functions.set(label, (functions.get(label) ?? 0) + ms);
  }
  const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]);
  return { totalMs, byOwner: sorted(owners), byFunction: sorted(functions) };
}

/** The bytes of `file` from `offset` to its current end, as text (a server log excerpt). */
export function readFrom(file, offset) {
  const size = statSync(file).size;
  const buffer = Buffer.alloc(size - offset);
  const fd = openSync(file, 'r');
  readSync(fd, buffer, 0, buffer.length, offset);
  closeSync(fd);
  return buffer.toString('utf8');
}

/** auto_explain entries of a server log excerpt: the `duration: … plan:` line and its tab-indented lines. */
export function plansIn(text) {
  const plans = [];
  let current = null;
  for (const line of text.split('\n')) {
    const start = /LOG:\s+(duration: [\d.]+ ms\s+plan:)/.exec(line);
    if (start) {
      if (current) plans.push(current.join('\n'));
      current = [start[1]];
    } else if (current && line.startsWith('\t')) {
      current.push(line.slice(1));
    } else if (current) {
      plans.push(current.join('\n'));
      current = null;
    }
  }
  if (current) plans.push(current.join('\n'));
  return plans;
}
