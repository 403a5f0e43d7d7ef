#!/usr/bin/env node
// Cold start: wall time from spawning the production start path to the first successful readiness
// answer (`GET /readyz` → 200: the database answered), on a PostgreSQL that already holds data
// (migrated, with owners, workflows and threads seeded by a first start).
//
// Measured, round-robin so the machine's noise spreads evenly, `--reps` times each:
//   - floor `node:http`: `node -e` with a bare http server answering 200 (Node's own start-up);
//   - floor Nest: the smallest NestJS + Express app (minimal-nest.cjs, one controller), the same packages;
//   - `node backend/dist/main.js`: the server alone;
//   - `node ops/scripts/start.mjs`: what `npm start` runs (checks the build is fresh, then main.js in-process);
//   - `npm start`: the same through npm.
// Then, unless --no-build: the first start that has to build — every workspace's build output moved
// aside, `npm start` builds them all (backend tsc, widget and canvas Vite builds), then serves; the moved
// outputs are deleted once the new ones exist (restored if the build fails).
// `--profile`: one more start of main.js under `--cpu-prof`, self time by package until ready.
//
//   npm run bench:cold                      (5 repetitions, with the build case)
//   npm run bench:cold -- --quick           (3 repetitions, no build case)
//   options: --reps=N --no-build --profile
//   env: BENCH_DATABASE_URL (else a throwaway cluster)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  QUICK,
  ROOT,
  api,
  appEnv,
  chatMessage,
  chatSession,
  createWorkflow,
  describeMachine,
  fmt,
  freePort,
  loadavgText,
  machine,
  numberOption,
  onCleanup,
  registerOwner,
  request,
  runMain,
  sleep,
  sql,
  startApp,
  startPostgres,
  stopChild,
  summarize,
  summarizeCpuProfile,
  table,
  track,
} from '../load/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const REPS = numberOption('reps', QUICK ? 3 : 5);
const BUILD = !QUICK && !process.argv.includes('--no-build');
const PROFILE = process.argv.includes('--profile');
const SEED_OWNERS = QUICK ? 2 : 5;
const SEED_WORKFLOWS = QUICK ? 5 : 20; // per owner
const SEED_THREADS = QUICK ? 2 : 5; // per workflow

/** Outputs `npm start` checks (ops/scripts/start.mjs): moved aside for the build case. */
const BUILD_OUTPUTS = ['backend/dist', 'widget-remote/dist', 'canvas-host/dist'];

/** One GET on a fresh connection; resolves with the status, 0 when nothing answers. */
function probe(port, path) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/**
 * Spawns `command args` with PORT set, polls /readyz every 5 ms from the spawn on, and resolves
 * with the milliseconds until the first 200, the moment stdout said "listening" (Parley prints it
 * after `app.listen`), and the build lines `npm start` printed; then stops the process.
 */
async function timeToReady(label, command, args, env, { timeoutMs = 60_000, path = '/readyz' } = {}) {
  const port = await freePort();
  const started = performance.now();
  const child = track(spawn(command, args, { cwd: ROOT, env: { ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let listeningMs = NaN;
  child.stdout.on('data', (chunk) => {
    out += chunk;
    if (Number.isNaN(listeningMs) && /is listening on/.test(out)) listeningMs = performance.now() - started;
  });
  child.stderr.on('data', (chunk) => (out += chunk));
  let readyMs = NaN;
  while (performance.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`${label} exited with ${child.exitCode} before it was ready:\n${out.slice(-4000)}`);
    if ((await probe(port, path)) === 200) {
      readyMs = performance.now() - started;
      break;
    }
    await sleep(5);
  }
  await stopChild(child);
  if (Number.isNaN(readyMs)) throw new Error(`${label} was not ready within ${timeoutMs / 1000} s:\n${out.slice(-4000)}`);
  return { readyMs, listeningMs, out };
}

/** Owners, workflows, chat sessions and threads with messages: a database with some history. */
async function seed(dbUrl) {
  const app = await startApp({ dbUrl, name: 'seeding app' });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let threads = 0;
  for (let o = 0; o < SEED_OWNERS; o++) {
    const owner = await registerOwner(app.origin, `cold${o}`);
    for (let w = 0; w < SEED_WORKFLOWS; w++) {
      const workflowId = await createWorkflow(app.origin, owner.accessToken, { kind: 'echo' }, `cold ${o}.${w}`);
      if (w % 2 === 0) await api(app.origin, 'POST', `/api/workflows/${workflowId}/publish`, { token: owner.accessToken, body: {} });
      const { token } = await chatSession(app.origin, owner.accessToken, workflowId);
      await Promise.all(
        Array.from({ length: SEED_THREADS }, async (_, t) => {
          const res = await request(agent, app.origin, {
            method: 'POST',
            path: '/api/chatkit',
            headers: { authorization: `Bearer ${token}`, 'x-parley-workflow': workflowId },
            body: { type: 'threads.create', params: { input: chatMessage(`seed message ${t}`) } },
          });
          if (res.status !== 200) throw new Error(`seeding a thread failed: ${res.status} ${res.text.slice(0, 300)}`);
          threads++;
        }),
      );
    }
  }
  agent.destroy();
  await app.stop();
  const [{ items }] = await sql(dbUrl, 'SELECT count(*)::int AS items FROM chat_items').catch(() => [{ items: NaN }]);
  return { owners: SEED_OWNERS, workflows: SEED_OWNERS * SEED_WORKFLOWS, threads, items };
}

async function main() {
  const pg = await startPostgres();
  const m = machine(pg.version);
  if (!existsSync(join(ROOT, 'backend/dist/main.js'))) throw new Error('backend/dist/main.js is missing: run `npm run build -w backend`.');
  const loadBefore = loadavgText();
  console.log(`Cold start benchmark${QUICK ? ' (--quick)' : ''}: time from spawn to the first 200 of GET /readyz, ${REPS} repetitions each`);
  console.log(`Machine: ${describeMachine(m)}\n`);
  const seeded = await seed(pg.url);
  console.log(`Seeded: ${seeded.owners} owners, ${seeded.workflows} workflows, ${seeded.threads} threads (${seeded.items} items); migrations applied.\n`);

  // Production settings; migrations are checked at start (DATABASE_MIGRATIONS_RUN defaults to true), none is pending.
  const env = appEnv(pg.url);
  delete env.npm_lifecycle_event;
  const variants = [
    { label: 'floor: node -e (bare node:http)', command: process.execPath, args: ['-e', "require('http').createServer((q,s)=>s.end('ok')).listen(+process.env.PORT,'127.0.0.1')"] },
    { label: 'floor: minimal NestJS app', command: process.execPath, args: [join(here, 'minimal-nest.cjs')] },
    { label: 'node backend/dist/main.js', command: process.execPath, args: ['backend/dist/main.js'] },
    // The young generation held at 1 MiB semi-spaces while the app loads, then capped (HEAP_SEMI_SPACE_MB, default 4):
    // what that costs at start-up, against V8's own sizing.
    { label: 'node backend/dist/main.js, HEAP_SEMI_SPACE_MB=0', command: process.execPath, args: ['backend/dist/main.js'], env: { HEAP_SEMI_SPACE_MB: '0' } },
    { label: 'node ops/scripts/start.mjs', command: process.execPath, args: ['ops/scripts/start.mjs'] },
    { label: 'npm start', command: 'npm', args: ['start', '--silent'] },
  ];
  const results = new Map(variants.map((v) => [v.label, { ready: [], listening: [] }]));
  // One warm-up of each (the OS file cache), not counted.
  for (const v of variants) await timeToReady(v.label, v.command, v.args, { ...env, ...v.env });
  for (let rep = 0; rep < REPS; rep++) {
    for (const v of variants) {
      const r = await timeToReady(v.label, v.command, v.args, { ...env, ...v.env });
      results.get(v.label).ready.push(r.readyMs);
      if (!Number.isNaN(r.listeningMs)) results.get(v.label).listening.push(r.listeningMs);
    }
  }
  const loadAfterRuns = loadavgText();
  const floorNest = summarize(results.get('floor: minimal NestJS app').ready);
  const floorNode = summarize(results.get('floor: node -e (bare node:http)').ready);
  const rows = variants.map((v) => {
    const r = results.get(v.label);
    const ready = summarize(r.ready);
    const listening = summarize(r.listening);
    return [
      v.label,
      fmt(ready.p50, 0),
      fmt(ready.max, 0),
      listening.n ? fmt(listening.p50, 0) : '',
      `${fmt(ready.p50 / floorNode.p50, 1)}×`,
      `${fmt(ready.p50 / floorNest.p50, 1)}×`,
    ];
  });
  console.log(`## Results: time to ready on existing data (${REPS} starts each, after one uncounted warm-up)\n`);
  console.log(`Machine: ${describeMachine(m)}; load average (1/5/15 min) before ${loadBefore}, after ${loadAfterRuns}\n`);
  console.log(table(['start path', 'ready p50 (ms)', 'ready max (ms)', '"listening" printed p50 (ms)', '÷ node:http floor', '÷ minimal Nest'], rows, 'l'));

  if (PROFILE) {
    const dir = mkdtempSync(join(tmpdir(), 'parley-cold-prof-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const r = await timeToReady('profiled main.js', process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, 'backend/dist/main.js'], env);
    await sleep(500);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    const summary = summarizeCpuProfile(join(dir, file));
    console.log(`\n## CPU profile of one start of main.js (ready after ${fmt(r.readyMs, 0)} ms under the profiler): ${fmt(summary.totalMs, 0)} ms of CPU, self time by owner\n`);
    console.log(table(['owner', 'ms', 'share'], summary.byOwner.slice(0, 25).map(([o, ms]) => [o, fmt(ms, 0), `${fmt((ms / summary.totalMs) * 100, 1)}%`]), 'l'));
    console.log('\nTop functions (self time):\n');
    console.log(table(['function', 'ms'], summary.byFunction.slice(0, 25).map(([f, ms]) => [f.replace(/\|/g, '\\|'), fmt(ms, 1)]), 'l'));
  }

  if (BUILD) {
    // The first start of a fresh checkout: nothing built yet.
    const aside = BUILD_OUTPUTS.filter((p) => existsSync(join(ROOT, p))).map((p) => [join(ROOT, p), join(ROOT, `${p}.cold-bench-${process.pid}`)]);
    for (const [from, to] of aside) renameSync(from, to);
    const restore = () => {
      for (const [from, to] of aside) {
        if (!existsSync(to)) continue;
        rmSync(from, { recursive: true, force: true });
        renameSync(to, from);
      }
    };
    onCleanup(restore);
    let r;
    try {
      r = await timeToReady('npm start (building first)', 'npm', ['start', '--silent'], env, { timeoutMs: 900_000 });
    } catch (error) {
      restore();
      throw error;
    }
    for (const [, to] of aside) rmSync(to, { recursive: true, force: true });
    const builds = [...r.out.matchAll(/Building ([\w-]+)… done in ([\d.]+) s/g)].map((x) => `${x[1]} ${x[2]} s`);
    console.log(
      `\n## First start that builds (no build output present): npm start ready after ${fmt(r.readyMs / 1000, 1)} s ` +
        `(builds: ${builds.join(', ') || 'none reported'}); load average after ${loadavgText()}`,
    );
  }
  console.log(`\nload average (1/5/15 min) after the run: ${loadavgText()}`);
}

runMain(main);
