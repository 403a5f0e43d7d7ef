/**
 * Infrastructure of `npm run test:faults`: the processes it owns (a throwaway PostgreSQL that it
 * can stop and start again on the same port and data directory, a redis-server it can freeze,
 * kill and restart on the same port, Parley instances), HTTP and SSE helpers, and the
 * PASS/FAIL bookkeeping. Every process started here is registered, and `finish()` (also run on
 * SIGINT/SIGTERM and at exit) stops all of them.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { buildBackendIfStale, freePort, MAIN, parseExports } from '../lib/common.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const READY_TIMEOUT_MS = Number(process.env.FAULTS_READY_TIMEOUT_MS ?? 90_000);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// bookkeeping: PASS/FAIL lines, one summary line, every child stopped on every exit path

const children = []; // { name, child }
const cleanups = [];
const tally = { passed: 0, failed: 0 };
let finished = false;
let keepLogs = process.env.FAULTS_KEEP_LOGS === '1';
export const LOG_DIR = mkdtempSync(join(tmpdir(), 'parley-faults.'));

export function log(line) {
  process.stdout.write(`${line}\n`);
}

export function expect(condition, message) {
  if (!condition) throw new Error(message);
}

/** Runs one check: `PASS name` or `FAIL name: why`, plus the log tails of `instances` on failure. */
export async function check(name, fn, { instances = () => [] } = {}) {
  // After an interrupt the servers are going away: nothing more to run or to judge.
  if (finished) return;
  const t0 = Date.now();
  log(`# check: ${name}`);
  try {
    await fn();
    if (finished) return;
    tally.passed++;
    log(`PASS ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (err) {
    if (finished) return;
    tally.failed++;
    keepLogs = true;
    log(`FAIL ${name}: ${err instanceof Error ? err.message : String(err)}`);
    for (const instance of instances()) {
      log(`---- last lines of ${instance.name} (${instance.logFile})`);
      log(instance.tail(40));
    }
    if (instances().length) log('----');
  }
}

/** Counts a failure found outside a check (setup, a dead instance). */
export function failOutside(message) {
  if (finished) return;
  tally.failed++;
  keepLogs = true;
  log(`FAIL ${message}`);
}

function killAll(signal) {
  for (const { child } of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill(signal);
      } catch {
        /* already gone */
      }
    }
  }
}

function runCleanups() {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      cleanup();
    } catch {
      /* best effort */
    }
  }
}

/** True once `finish` has begun (an interrupt, or the end). */
export const stopping = () => finished;

/** Stops everything, prints the one summary line and exits (non-zero when anything failed). */
export async function finish(code) {
  if (finished) return;
  finished = true;
  // Parley ends open streams for SHUTDOWN_GRACE_SECONDS on SIGTERM; it is set low, and whatever is
  // still alive after 3 s is killed.
  killAll('SIGTERM');
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && children.some(({ child }) => child.exitCode === null && child.signalCode === null)) await sleep(50);
  killAll('SIGKILL');
  runCleanups();
  if (keepLogs) log(`# logs kept in ${LOG_DIR}`);
  else rmSync(LOG_DIR, { recursive: true, force: true });
  log(`${tally.passed} passed, ${tally.failed} failed`);
  process.exit(code ?? (tally.failed ? 1 : 0));
}

process.on('SIGINT', () => {
  failOutside('interrupted');
  void finish(130);
});
process.on('SIGTERM', () => {
  failOutside('terminated');
  void finish(143);
});
process.on('unhandledRejection', (err) => {
  failOutside(`unhandled rejection: ${err instanceof Error ? err.stack : String(err)}`);
  void finish(1);
});
process.on('exit', () => {
  // Last resort (an unexpected exit): nothing may outlive the run.
  killAll('SIGKILL');
  runCleanups();
});

// ---------------------------------------------------------------------------------------------
// build

export function buildIfNeeded() {
  buildBackendIfStale(log);
}

// ---------------------------------------------------------------------------------------------
// ports

export { freePort };

function portBusy(port) {
  return new Promise((resolveBusy) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolveBusy(true);
    });
    socket.once('error', () => resolveBusy(false));
  });
}

/**
 * A free port below the kernel's ephemeral range, for servers that are stopped and started again
 * on the same port: no outgoing connection can take it while the server is down.
 */
async function stablePort(from) {
  for (let port = from; port < from + 500; port++) if (!(await portBusy(port)) && (await canListen(port))) return port;
  throw new Error(`no free port in ${from}-${from + 499}`);
}

function canListen(port) {
  return new Promise((resolveOk) => {
    const server = createServer();
    server.once('error', () => resolveOk(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveOk(true)));
  });
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: ops/postgres/throwaway.sh, then pg_ctl stop/start on the same data directory and port

function pgBin() {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  if (existsSync('/usr/lib/postgresql/15/bin/pg_ctl')) return '/usr/lib/postgresql/15/bin';
  const dirs = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b)) : [];
  if (!dirs.length) throw new Error('no PostgreSQL server under /usr/lib/postgresql/*/bin; apt-get install -y postgresql');
  return `/usr/lib/postgresql/${dirs[dirs.length - 1]}/bin`;
}


/**
 * A throwaway PostgreSQL cluster owned by this run (ops/postgres/throwaway.sh start). As root the
 * server runs as the `postgres` OS user (throwaway.sh does that with runuser; stop/start here do
 * the same). `stop()` is `pg_ctl stop -m immediate` (a crash, as the pool sees it); `start()` starts
 * the same data directory on the same port and socket directory.
 */
export async function startPostgres(database) {
  const out = execFileSync(join(ROOT, 'ops/postgres/throwaway.sh'), ['start'], {
    cwd: ROOT,
    env: { ...process.env, PGPORT: 'auto', PGDB: database },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const vars = parseExports(out);
  const dir = vars.PGTMP;
  const port = vars.PGPORT;
  cleanups.push(() => execFileSync(join(ROOT, 'ops/postgres/throwaway.sh'), ['stop', dir], { stdio: 'ignore', env: { ...process.env, PGPORT: port } }));
  // throwaway.sh runs the server with synchronous_commit=off (disposable data), so a crash
  // (`stop -m immediate`) would lose the last committed rows and pass for a Parley bug. A
  // per-database setting outranks the command line: this database commits durably, as in production.
  await sql(vars.DATABASE_URL, `ALTER DATABASE ${database} SET synchronous_commit = on`);
  const bin = pgBin();
  const asPg = (args) => {
    const cmd = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', ...args]] : [args[0], args.slice(1)];
    return spawnSync(cmd[0], cmd[1], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 90_000 });
  };
  const serverLogTail = () => {
    try {
      return readFileSync(join(dir, 'server.log'), 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '(no server.log)';
    }
  };
  const isReady = () => spawnSync(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', port, '-U', 'postgres'], { stdio: 'ignore' }).status === 0;
  return {
    url: vars.DATABASE_URL,
    port,
    dir,
    /** Another database on this cluster; returns its URL. */
    createDatabase(name) {
      return execFileSync(join(ROOT, 'ops/postgres/throwaway.sh'), ['createdb', name], { env: { ...process.env, PGPORT: port }, encoding: 'utf8' }).trim();
    },
    isReady,
    stop() {
      const r = asPg([join(bin, 'pg_ctl'), '-D', join(dir, 'data'), '-m', 'immediate', '-w', '-t', '30', 'stop']);
      if (r.status !== 0) throw new Error(`pg_ctl stop failed (${r.status}): ${r.stderr}\n${serverLogTail()}`);
    },
    start() {
      const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=${process.env.PG_MAX_CONNECTIONS ?? 200} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
      const r = asPg([join(bin, 'pg_ctl'), '-D', join(dir, 'data'), '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', opts, 'start']);
      if (r.status !== 0) throw new Error(`pg_ctl start failed (${r.status}): ${r.stderr}\n${serverLogTail()}`);
    },
  };
}

/** One query on a fresh connection (the cluster may have restarted since the last one). */
export async function sql(url, text, params = []) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Redis: redis-server as a child of this run, on a fixed port so it can come back on it

function redisPing(port) {
  return new Promise((resolvePing) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok) => {
      socket.destroy();
      resolvePing(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}

/**
 * A redis-server without persistence on 127.0.0.1. `freeze()` (SIGSTOP: connections stay open and
 * nothing answers), `kill()` (SIGKILL: connections refused) and `start()` (the same port again).
 */
export async function startRedis() {
  const server = process.env.REDIS_SERVER || 'redis-server';
  const port = await stablePort(16390);
  const dir = mkdtempSync(join(tmpdir(), 'parley-faults-redis.'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const logFile = join(LOG_DIR, 'redis.log');
  let child = null;
  const redis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      const out = createWriteStream(logFile, { flags: 'a' });
      child = spawn(server, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push({ name: 'redis', child });
      child.stdout.pipe(out);
      child.stderr.pipe(out);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} (log ${logFile})`);
        if (await redisPing(port)) return;
        await sleep(50);
      }
      throw new Error(`redis-server is not answering on port ${port} (log ${logFile})`);
    },
    freeze() {
      child.kill('SIGSTOP');
    },
    async kill() {
      const dead = new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
      child.kill('SIGKILL');
      await dead;
    },
    ping: () => redisPing(port),
  };
  await redis.start();
  return redis;
}

// ---------------------------------------------------------------------------------------------
// Parley instances

/** Starts `backend/dist/main.js` with `env` on a free port and waits for `GET /readyz` 200. */
export async function startInstance(name, env) {
  const port = await freePort();
  const logFile = join(LOG_DIR, `${name.replace(/[^A-Za-z0-9_-]+/g, '_')}.log`);
  const file = createWriteStream(logFile, { flags: 'a' });
  let recent = '';
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push({ name, child });
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      file.write(chunk);
      recent = (recent + chunk).slice(-64_000);
    });
  }
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const instance = {
    name,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    child,
    logFile,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    /** The last `lines` lines of output, each cut to 600 characters (JSON log lines carry whole stacks). */
    tail: (lines = 40) =>
      recent
        .split('\n')
        .slice(-lines - 1)
        .map((line) => (line.length > 600 ? `${line.slice(0, 600)}…` : line))
        .join('\n'),
    /** Everything the process printed so far (the last 64 kB). */
    output: () => recent,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
  const t0 = Date.now();
  while (Date.now() - t0 < READY_TIMEOUT_MS) {
    if (!instance.alive()) throw new Error(`${name} exited with ${child.exitCode ?? child.signalCode}:\n${instance.tail(40)}`);
    try {
      const res = await fetch(`${instance.baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) {
        instance.bootMs = Date.now() - t0;
        return instance;
      }
    } catch {
      /* not listening yet */
    }
    await sleep(200);
  }
  throw new Error(`${name} was not ready within ${READY_TIMEOUT_MS} ms:\n${instance.tail(40)}`);
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** One request; JSON answers parsed, SSE answers split into events. `ms` is the time to the full answer. */
export async function call(instance, method, path, { auth, body, headers = {}, timeoutMs = 30_000 } = {}) {
  const t0 = Date.now();
  const res = await fetch(`${instance.baseUrl}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(auth ? { authorization: auth } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  let json;
  if (type.includes('application/json') && text) json = JSON.parse(text);
  const events = type.startsWith('text/event-stream') ? parseSse(text) : undefined;
  return { status: res.status, headers: res.headers, json, events, text, ms: Date.now() - t0 };
}

/** `data: …` frames → events (comments such as `: keep-alive` skipped). */
export function parseSse(text) {
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice(6)));
}

/**
 * A streaming `POST /api/chatkit` read as it arrives: `events` fills up, `waitFor(predicate)`
 * resolves once an event matches, `done` resolves when the response ends — `{ ended: 'end' }`,
 * or `{ ended: 'error', error }` when the connection broke (a killed server).
 */
export async function openStream(instance, token, body, headers = {}) {
  const res = await fetch(`${instance.baseUrl}/api/chatkit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify(body),
  });
  const type = res.headers.get('content-type') ?? '';
  if (res.status !== 200 || !type.startsWith('text/event-stream')) {
    throw new Error(`stream request answered ${res.status} ${type}: ${(await res.text()).slice(0, 300)}`);
  }
  const events = [];
  const waiters = [];
  const notify = () => {
    for (const waiter of [...waiters]) {
      const found = events.find(waiter.predicate);
      if (found) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(found);
      }
    }
  };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const done = (async () => {
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          for (const line of frame.split('\n')) {
            if (!line.startsWith('data: ')) continue;
            events.push(JSON.parse(line.slice(6)));
          }
        }
        notify();
      }
      return { ended: 'end', rest: buffer };
    } catch (error) {
      return { ended: 'error', error, rest: buffer };
    } finally {
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`stream ended before the awaited event (${events.length} events: ${summarize(events)})`));
    }
  })();
  return {
    events,
    done,
    waitFor(predicate, timeoutMs = 20_000) {
      const found = events.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolveEvent, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms (${events.length} events: ${summarize(events)})`)), timeoutMs);
        waiters.push({
          predicate,
          resolve: (e) => {
            clearTimeout(timer);
            resolveEvent(e);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
      });
    },
  };
}

/** `type` (and update type) of each event, for messages. */
export function summarize(events) {
  return events.map((e) => (e.type === 'thread.item.updated' ? 'delta' : e.type === 'error' ? `error(${e.code})` : e.type)).join(', ');
}

// ---------------------------------------------------------------------------------------------
// Parley flows

export const PASSWORD = 'correct horse battery staple';

/** Registers and signs in a new owner; returns `{ auth: 'Bearer …', email }`. */
export async function owner(instance, prefix = 'faults') {
  const email = `${prefix}-${randomUUID().slice(0, 8)}@example.com`;
  const reg = await call(instance, 'POST', '/api/auth/register', { body: { email, password: PASSWORD } });
  expect(reg.status === 201, `register answered ${reg.status}: ${reg.text}`);
  const login = await call(instance, 'POST', '/api/auth/login', { body: { email, password: PASSWORD } });
  expect(login.status === 200, `login answered ${login.status}: ${login.text}`);
  return { auth: `Bearer ${login.json.accessToken}`, email };
}

export async function workflow(instance, auth, runner = { kind: 'echo' }, name = 'Faults') {
  const res = await call(instance, 'POST', '/api/workflows', { auth, body: { name, runner } });
  expect(res.status === 201, `create workflow answered ${res.status}: ${res.text}`);
  return res.json.id;
}

export async function chatToken(instance, auth, workflowId) {
  const res = await call(instance, 'POST', `/api/workflows/${workflowId}/chatkit/session`, { auth, body: {} });
  expect(res.status === 200, `chat session answered ${res.status}: ${res.text}`);
  return res.json.token;
}

export async function publish(instance, auth, workflowId) {
  const res = await call(instance, 'POST', `/api/workflows/${workflowId}/publish`, { auth, body: {} });
  expect(res.status === 201, `publish answered ${res.status}: ${res.text}`);
  return res.json.publishToken;
}

export const chat = (instance, token, body, headers) => call(instance, 'POST', '/api/chatkit', { auth: token ? `Bearer ${token}` : undefined, body, headers });

export const input = (text) => ({ content: [{ type: 'input_text', text }], attachments: [], inference_options: {} });
export const createBody = (text) => ({ type: 'threads.create', params: { input: input(text) } });
export const itemsBody = (threadId) => ({ type: 'items.list', params: { thread_id: threadId, limit: 100, order: 'asc' } });

/** The text of an assistant message item. */
export const textOf = (item) => (item?.content ?? []).map((part) => part.text ?? '').join('');

/** Polls `fn` until it returns a truthy value; returns it, or throws `message` after `timeoutMs`. */
export async function eventually(fn, timeoutMs, message, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`${message} (last: ${last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 300)})`);
}
