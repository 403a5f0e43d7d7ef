#!/usr/bin/env node
// Memory per idle open stream on ONE Parley instance. An idle open stream is an SSE response of
// POST /api/chatkit (`threads.create`) that has opened (thread created, user message stored and
// sent) and now waits for the model: the workflow runs the `openai` runner, pointed through
// OPENAI_BASE_URL at a loopback OpenAI-compatible fake (fake-openai-hold.mjs) that accepts each
// request and holds it without answering until released.
//
// Server memory is read at a warm baseline (0 streams) and at each level of open streams:
// VmRSS from /proc/<pid>/status, and the server's own process.memoryUsage() after a forced full
// GC (memory-probe.cjs, preloaded with --expose-gc over an IPC channel), plus /metrics
// (prom-client) when the app serves it. Bytes per stream = (level − baseline) / streams. Then every
// stream is released (the fake answers, the streams end) and memory is read again.
//
// Floors, measured first in the same run with the same fake and client (floor-server.mjs, at the first
// level): a bare node:http server that answers SSE and holds an upstream request made with node:http,
// and the same with the global fetch (undici, what the OpenAI SDK uses). The report gives Parley's heap
// per stream against each.
//
// Each held stream costs the server two file descriptors (the client's socket and the upstream
// request's socket): the number of streams is capped by the server's RLIMIT_NOFILE, which the
// benchmark reports (raising a hard limit needs CAP_SYS_RESOURCE).
//
//   npm run bench:streams                 (full: 1,000 / 5,000 / 10,000 streams)
//   npm run bench:streams -- --quick      (smoke: 100 / 300 streams)
//   options: --levels=1000,5000,10000 --open-concurrency=32 (streams being opened at once),
//            --no-floors, --dists=base=backend/dist-base,new=backend/dist (several builds, each measured in
//            turn against the same database and fake: an A/B in one run), --heap-profile (instead: heap snapshots at 0 and at the first level, the growth
//            per stream by constructor and what holds it, heap-analysis.mjs — where a stream's memory
//            goes; --keep-snapshots=DIR keeps the snapshot files)
//   env: BENCH_DATABASE_URL (else a throwaway cluster), BENCH_LOG_LEVEL (app log level, info).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  QUICK,
  chatMessage,
  chatSession,
  cpuMs,
  DIST,
  createWorkflow,
  describeMachine,
  fdCount,
  fmt,
  loadavgText,
  machine,
  metricFirst,
  mib,
  nofileOf,
  option,
  numberOption,
  onCleanup,
  registerOwner,
  request,
  ROOT,
  rssBytes,
  runMain,
  scrapeMetrics,
  sleep,
  startApp,
  startPostgres,
  stopChild,
  summarize,
  table,
  track,
} from '../load/harness.mjs';
import { analyse } from './heap-analysis.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const LEVELS = option('levels', QUICK ? '100,300' : '1000,5000,10000').split(',').map(Number);
const OPEN_CONCURRENCY = numberOption('open-concurrency', 32);
const HEAP_PROFILE = process.argv.includes('--heap-profile');
const FLOORS = !process.argv.includes('--no-floors');
// --dists=base=backend/dist-base,new=backend/dist: each build measured in turn, same database and fake (an A/B).
const BUILDS = option('dists', '')
  ? option('dists', '')
      .split(',')
      .map((spec) => (spec.includes('=') ? spec.split('=') : [spec, spec]))
      .map(([name, dir]) => ({ name, dist: resolve(ROOT, dir) }))
  : [{ name: 'Parley', dist: DIST }];
const WARMUP_STREAMS = QUICK ? 50 : 300;
const SETTLE_MS = QUICK ? 1000 : 3000;
const TOKEN_REFRESH_MS = 120_000;
// Descriptors the server keeps besides the streams' sockets, beyond those at the baseline (new pool connections, files…).
const FD_MARGIN = 64;

/** The fake model endpoint, in its own process (its sockets count against its own descriptor limit). */
async function startFake() {
  const child = track(spawn(process.execPath, [join(here, 'fake-openai-hold.mjs')], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] }));
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      const match = /listening (\d+)/.exec(String(chunk));
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the fake model endpoint exited with ${code}`)));
  });
  const ask = (type, reply) =>
    new Promise((resolve) => {
      const onMessage = (message) => {
        if (message.type !== reply) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.send({ type });
    });
  return { baseUrl: `http://127.0.0.1:${port}/v1`, pid: child.pid, count: () => ask('count', 'count'), release: () => ask('release', 'released') };
}

/** Asks memory-probe.cjs in the server: `memory` (process.memoryUsage() after a full GC) or `snapshot`. */
let probeId = 0;
function probe(app, type, extra = {}) {
  const id = ++probeId;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the memory probe did not answer')), 300_000);
    const onMessage = (message) => {
      if (message?.type !== type || message.id !== id) return;
      clearTimeout(timer);
      app.child.off('message', onMessage);
      resolve(message);
    };
    app.child.on('message', onMessage);
    app.child.send({ type, id, ...extra });
  });
}
const serverMemory = (app) => probe(app, 'memory', { gc: true });

/**
 * Self size and count of the objects in a V8 heap snapshot, by constructor (objects, closures)
 * or by node type (strings, arrays, code…).
 */
function heapSummary(file) {
  const snapshot = JSON.parse(readFileSync(file, 'utf8'));
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const { nodes, strings } = snapshot;
  const byKey = new Map();
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + typeAt]];
    const key = type === 'object' || type === 'closure' ? `${strings[nodes[i + nameAt]]}${type === 'closure' ? ' (closure)' : ''}` : `(${type})`;
    const entry = byKey.get(key) ?? { size: 0, count: 0 };
    entry.size += nodes[i + sizeAt];
    entry.count++;
    byKey.set(key, entry);
  }
  return byKey;
}

/** A floor server (floor-server.mjs) with the memory probe, upstream `mode` (`http` | `fetch`), like startApp's result. */
async function startFloor(mode, upstreamUrl) {
  const child = track(
    spawn(process.execPath, ['--expose-gc', '--require', join(here, 'memory-probe.cjs'), join(here, 'floor-server.mjs')], {
      env: { ...process.env, FLOOR_UPSTREAM: mode, UPSTREAM_URL: upstreamUrl },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    }),
  );
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      const match = /listening (\d+)/.exec(String(chunk));
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the floor server exited with ${code}`)));
  });
  return { name: `floor (node:http + ${mode === 'fetch' ? 'fetch' : 'node:http'} upstream)`, origin: `http://127.0.0.1:${port}`, pid: child.pid, child, stop: () => stopChild(child) };
}

/**
 * Opens, holds, measures and releases streams on one server: a warm baseline, then every level in
 * `levels`, then release. `headers()` gives each request's headers; `path`/`body` the request.
 * Returns the sampled rows and the release figures. `heapDir`: heap snapshots instead (--heap-profile).
 */
async function measureServer(server, fake, levels, headers, { heapDir } = {}) {
  // Every stream its own connection, as every browser tab has.
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const open = []; // promises of streams' ends
  const errors = new Map();
  let opened = 0;
  const errorCount = () => [...errors.values()].reduce((a, b) => a + b, 0);

  /** Opens streams until `target` are open; resolves with their TTFEs. */
  async function openUntil(target) {
    const ttfes = [];
    let next = opened;
    async function worker() {
      while (next < target) {
        next++;
        const h = await headers();
        const first = await new Promise((resolve) => {
          const done = request(agent, server.origin, {
            method: 'POST',
            path: '/api/chatkit',
            headers: h,
            body: { type: 'threads.create', params: { input: chatMessage(`stream ${opened}`) } },
            timeoutMs: 900_000,
            onFirstEvent: resolve,
          }).then((res) => {
            // A stream that ends without the model's answer failed too (e.g. a runner timeout, in-band).
            if (res.status !== 200 || !res.text.includes('Released.')) {
              const key = `${res.status || 'network'} ${res.text.replace(/\s+/g, ' ').slice(0, 160)}`;
              errors.set(key, (errors.get(key) ?? 0) + 1);
            }
            resolve(res);
            return res;
          });
          open.push(done);
        });
        if (Number.isFinite(first.ttfe)) ttfes.push(first.ttfe);
        opened++;
      }
    }
    await Promise.all(Array.from({ length: OPEN_CONCURRENCY }, worker));
    // Every stream has reached the model call and waits there.
    for (let i = 0; ; i++) {
      const { held } = await fake.count();
      if (held >= target - errorCount()) break;
      if (i > 600) throw new Error(`only ${held} of ${target} streams reached the model endpoint`);
      await sleep(100);
    }
    return ttfes;
  }

  async function sample(label, streams, ttfes = []) {
    await sleep(SETTLE_MS);
    const probe = await serverMemory(server);
    const metrics = server.isApp ? await scrapeMetrics(server.origin) : null;
    const row = {
      label,
      streams,
      rss: rssBytes(server.pid),
      heapUsed: probe.usage.heapUsed,
      heapTotal: probe.usage.heapTotal,
      external: probe.usage.external,
      arrayBuffers: probe.usage.arrayBuffers,
      probeRss: probe.usage.rss,
      fds: fdCount(server.pid),
      metricsRss: metrics ? metricFirst(metrics, 'process_resident_memory_bytes') : undefined,
      metricsHeap: metrics ? metricFirst(metrics, 'nodejs_heap_size_used_bytes') : undefined,
      held: (await fake.count()).held,
      ttfe: summarize(ttfes),
      load: loadavgText(),
    };
    console.log(
      `${server.name}, ${label}: ${streams} streams (${row.held} held upstream), RSS ${mib(row.rss)} MiB, heap used ${mib(row.heapUsed)} MiB, ` +
        `external ${mib(row.external)} MiB, ${row.fds} fds, load ${row.load}`,
    );
    return row;
  }

  // --- warm-up: open and release a few hundred streams, so code, pools and caches are warm ---
  await openUntil(WARMUP_STREAMS);
  await fake.release();
  await Promise.all(open.splice(0));
  opened = 0;
  const rows = [await sample('baseline (warm, 0 streams)', 0)];

  if (heapDir) {
    const level = levels[0];
    await serverMemory(server);
    await probe(server, 'snapshot', { file: join(heapDir, 'baseline.heapsnapshot') });
    await openUntil(level);
    await serverMemory(server);
    await probe(server, 'snapshot', { file: join(heapDir, 'open.heapsnapshot') });
    await fake.release();
    await Promise.all(open.splice(0));
    await sleep(SETTLE_MS);
    await serverMemory(server);
    await probe(server, 'snapshot', { file: join(heapDir, 'released.heapsnapshot') });
    agent.destroy();
    return { rows, errors };
  }

  for (const level of levels) {
    const started = Date.now();
    const cpuBefore = cpuMs(server.pid);
    const ttfes = await openUntil(level);
    const seconds = (Date.now() - started) / 1000;
    const added = level - rows[rows.length - 1].streams;
    const cpuPerOpen = (cpuMs(server.pid) - cpuBefore) / added;
    rows.push(await sample(`${level} open`, level, ttfes));
    Object.assign(rows[rows.length - 1], { openRate: added / seconds, cpuPerOpen });
  }
  const maxHeld = opened;
  const releasedAt = Date.now();
  await fake.release();
  const ends = await Promise.all(open.splice(0));
  const completed = ends.filter((r) => r.status === 200 && r.text.includes('Released.')).length;
  const releaseSeconds = (Date.now() - releasedAt) / 1000;
  rows.push(await sample('all released', 0));
  await sleep(QUICK ? 2000 : 15_000);
  rows.push(await sample(`released + ${QUICK ? 2 : 15} s`, 0));
  agent.destroy();
  return { rows, errors, maxHeld, completed, releaseSeconds };
}

/** Heap bytes per stream at the top level of a measured server (from the forced-GC heap figures). */
function heapPerStream(rows) {
  const top = rows.filter((r) => r.streams).at(-1);
  return top ? (top.heapUsed - rows[0].heapUsed) / top.streams : NaN;
}

function report(title, m, result) {
  const { rows } = result;
  const base = rows[0];
  const per = (key, row) => (row.streams ? (row[key] - base[key]) / row.streams : NaN);
  const delta = (key, row) => `${(row[key] - base[key] >= 0 ? '+' : '') + mib(row[key] - base[key])}`;
  console.log(`\n## ${title}\n`);
  console.log(`Machine: ${describeMachine(m)}\n`);
  console.log(
    table(
      ['point', 'open streams', 'RSS MiB (Δ)', 'heap used MiB (Δ)', 'external MiB (Δ)', 'RSS bytes / stream', 'heap bytes / stream', 'server fds', 'TTFE p50 / p95 of the new streams (ms)', 'opened / s', 'server CPU ms / opened stream', 'load avg 1/5/15'],
      rows.map((r) => [
        r.label,
        String(r.streams),
        `${mib(r.rss)} (${delta('rss', r)})`,
        `${mib(r.heapUsed)} (${delta('heapUsed', r)})`,
        `${mib(r.external)} (${delta('external', r)})`,
        r.streams ? fmt(per('rss', r), 0) : '',
        r.streams ? fmt(per('heapUsed', r), 0) : '',
        String(r.fds),
        r.ttfe.n ? `${fmt(r.ttfe.p50)} / ${fmt(r.ttfe.p95)}` : '',
        r.openRate ? fmt(r.openRate, 0) : '',
        r.cpuPerOpen ? fmt(r.cpuPerOpen, 2) : '',
        r.load,
      ]),
      'l',
    ),
  );
  if (rows.some((r) => r.metricsRss !== undefined)) {
    console.log(
      '\n/metrics: ' +
        rows.map((r) => `${r.label}: process_resident_memory_bytes ${mib(r.metricsRss)} MiB, nodejs_heap_size_used_bytes ${mib(r.metricsHeap)} MiB`).join('; '),
    );
  }
  const last = rows[rows.length - 1];
  console.log(
    `\nreleased ${result.maxHeld} streams: ${result.completed} ended with the model's answer in ${fmt(result.releaseSeconds, 1)} s; ` +
      `after release RSS is ${delta('rss', last)} MiB and heap ${delta('heapUsed', last)} MiB against the baseline`,
  );
  if (result.errors.size) console.log('\nerrors:\n' + table(['status, body', 'count'], [...result.errors].map(([k, v]) => [k.replace(/\|/g, '\\|'), String(v)]), 'l'));
}

async function main() {
  const pg = await startPostgres();
  const m = machine(pg.version);
  const fake = await startFake();
  const loadBefore = loadavgText();

  // --- the floors first (same fake, same client, same levels capped to FLOOR_LEVEL) ---
  const floors = [];
  if (FLOORS && !HEAP_PROFILE) {
    for (const mode of ['http', 'fetch']) {
      const floor = await startFloor(mode, fake.baseUrl);
      const floorLevels = [Math.min(LEVELS[0], Math.floor((nofileOf(floor.pid).soft - fdCount(floor.pid) - FD_MARGIN) / 2))];
      const result = await measureServer(floor, fake, floorLevels, async () => ({}));
      floors.push({ name: floor.name, result });
      await floor.stop();
    }
  }

  const runs = [];
  for (const build of BUILDS) {
    const run = await measureApp(build, pg, fake, m);
    if (run) runs.push(run);
  }
  if (HEAP_PROFILE) return;

  // --- report ---
  for (const floor of floors) report(`Floor: ${floor.name}`, m, floor.result);
  for (const run of runs) {
    report(`Results: idle open streams on one instance (${run.name})`, m, run.result);
    if (!run.alive) console.log(`WARNING: the server (${run.name}) died during the run`);
  }
  if (floors.length || runs.length > 1) {
    const firstHeap = heapPerStream(runs[0].result.rows);
    const top = (rows) => String(rows.filter((r) => r.streams).at(-1)?.streams ?? '');
    console.log(`\n## Heap per idle open stream${floors.length ? ' against the floors' : ''} (same run, forced GC)\n`);
    console.log(
      table(
        ['server', 'streams', 'heap bytes / stream', `${runs[0].name} ÷ this`],
        [
          ...floors.map((f) => {
            const per = heapPerStream(f.result.rows);
            return [f.name, top(f.result.rows), fmt(per, 0), `${fmt(firstHeap / per, 1)}×`];
          }),
          ...runs.map((r) => {
            const per = heapPerStream(r.result.rows);
            return [r.name, top(r.result.rows), fmt(per, 0), `${fmt(firstHeap / per, 2)}×`];
          }),
        ],
        'l',
      ),
    );
  }
  console.log(`\nload average (1/5/15 min) before the run: ${loadBefore}; after: ${loadavgText()}`);
}

/** One build of Parley started, measured (or heap-profiled) and stopped; null with --heap-profile (it prints its own report). */
async function measureApp(build, pg, fake, m) {
  const app = await startApp({
    dbUrl: pg.url,
    ipc: true,
    dist: build.dist,
    name: build.name,
    nodeArgs: ['--expose-gc', '--require', join(here, 'memory-probe.cjs')],
    env: {
      OPENAI_API_KEY: 'sk-bench-not-a-real-key',
      OPENAI_BASE_URL: fake.baseUrl,
      // The longest silence the runner allows before the first token: streams are held well below it.
      RUNNER_TIMEOUT_MS: '300000',
    },
  });
  app.isApp = true;
  const limits = nofileOf(app.pid);
  const clientLimits = nofileOf();
  const baseFds = fdCount(app.pid);
  const fdCap = Math.floor((limits.soft - baseFds - FD_MARGIN) / 2);
  const clientCap = clientLimits.soft - 256;
  const levels = LEVELS.map((n) => Math.min(n, fdCap, clientCap));
  console.log(`Streams benchmark${QUICK ? ' (--quick)' : ''}: idle open streams at ${LEVELS.join(', ')} on one instance, build ${build.name} (${build.dist})`);
  console.log(`Machine: ${describeMachine(m)}`);
  console.log(
    `RLIMIT_NOFILE: server ${limits.soft} (hard ${limits.hard}), load generator ${clientLimits.soft}; the server holds ${baseFds} descriptors at rest ` +
      `and 2 per held stream → at most ${fdCap} streams${levels.some((n, i) => n !== LEVELS[i]) ? `; levels capped to ${levels.join(', ')}` : ''}`,
  );
  console.log(
    `Node ${process.version} server defaults (not changed by Parley): requestTimeout 300 s (receiving a request, not a response), headersTimeout 60 s, ` +
      `keepAliveTimeout 5 s, maxConnections unlimited; undici (the runner's fetch) headersTimeout 300 s — every stream here is held less than that.\n`,
  );

  // --- setup: an owner, an `openai` workflow, a chat session ---
  const owner = await registerOwner(app.origin, 'streams');
  const workflowId = await createWorkflow(app.origin, owner.accessToken, { kind: 'openai', provider: 'openai', model: 'bench-model' });
  let session = { token: null, at: 0 };
  const headers = async () => {
    if (Date.now() - session.at > TOKEN_REFRESH_MS) session = { token: (await chatSession(app.origin, owner.accessToken, workflowId)).token, at: Date.now() };
    return { authorization: `Bearer ${session.token}`, 'x-parley-workflow': workflowId };
  };

  if (HEAP_PROFILE) {
    const keep = option('keep-snapshots', '');
    const dir = keep ? join(keep, build.name) : mkdtempSync(join(tmpdir(), 'parley-streams-heap-'));
    if (keep) mkdirSync(dir, { recursive: true });
    else onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const level = levels[0];
    await measureServer(app, fake, levels, headers, { heapDir: dir });
    const before = heapSummary(join(dir, 'baseline.heapsnapshot'));
    const growth = (file, title, top) => {
      const rowsByKey = [...heapSummary(file)]
        .map(([key, a]) => {
          const b = before.get(key) ?? { size: 0, count: 0 };
          return [key, (a.size - b.size) / level, (a.count - b.count) / level];
        })
        .sort((x, y) => y[1] - x[1]);
      const total = rowsByKey.reduce((sum, r) => sum + r[1], 0);
      console.log(`\n## ${title}\n`);
      console.log(
        table(
          ['constructor / node type', 'bytes / stream', 'objects / stream', 'share'],
          [...rowsByKey.slice(0, top).map(([k, size, count]) => [k.replace(/\|/g, '\\|') || '(empty name)', fmt(size, 0), fmt(count, 2), `${fmt((size / total) * 100, 1)}%`]), ['**total**', `**${fmt(total, 0)}**`, '', '']],
          'l',
        ),
      );
    };
    growth(join(dir, 'open.heapsnapshot'), `${build.name}: heap growth per idle open stream, by constructor (${level} streams, heap snapshots after a full GC)`, 30);
    const held = analyse(join(dir, 'baseline.heapsnapshot'), join(dir, 'open.heapsnapshot'), level, 25);
    console.log(`\n## ${build.name}: what holds it: new objects by the old object that dominates them (${fmt(held.heldPerStream, 0)} bytes / stream)\n`);
    console.log(table(['holder (new) ⟸ dominated by (old)', 'bytes / stream', 'holders / stream'], held.rows.map((r) => [r.key.replace(/\|/g, '\\|'), fmt(r.perStream, 0), fmt(r.countPerStream, 2)]), 'l'));
    growth(join(dir, 'released.heapsnapshot'), `${build.name}: heap left per stream after all ${level} were released (snapshot after a full GC, against the baseline)`, 15);
    await app.stop();
    console.log(`load average (1/5/15 min) after the run: ${loadavgText()}`);
    return null;
  }

  const result = await measureServer(app, fake, levels, headers);
  const alive = app.child.exitCode === null;
  await app.stop();
  return { name: build.name, result, alive };
}

runMain(main);
