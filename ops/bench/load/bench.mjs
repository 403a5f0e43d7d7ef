#!/usr/bin/env node
// Mixed load: N concurrent simulated users (default 1,000) for a measured window (default 60 s)
// against the built backend (`backend/dist/main.js`, NODE_ENV=production) on a throwaway
// PostgreSQL. Every user thinks 1–5 s between actions (seeded PRNG), so N is users, not requests
// in flight. Users:
//   canvas  (30 %) — an owner's canvas chat bubble: chat session JWT (minted through
//                    POST /api/workflows/:id/chatkit/session), `threads.list`, messages with the
//                    echo runner (`threads.create` / `threads.add_user_message`, SSE), `items.list`;
//   owner   (10 %) — the owner transcript REST API: GET /api/workflows/:id/transcripts (list) and
//                    GET …/transcripts/:threadId (one thread);
//   visitor (60 %) — a public visitor through the share link (X-Parley-Publish-Token + the
//                    X-Parley-Visitor token the server hands out): the same ChatKit calls as canvas.
// Reports per request kind p50/p95/p99 (JSON: whole response; streams: time to the first `data:`
// frame = TTFE, and to the end), every error (non-2xx or network), throughput, and the CPU of the
// server(s), their PostgreSQL backends, this load generator and the rest of the machine (/proc),
// plus server RSS. Targets: JSON p95 < 500 ms, TTFE p95 < 200 ms, zero errors.
//
//   npm run bench:load                    (full: 1,000 users, 60 s, 100 owners)
//   npm run bench:load -- --quick         (smoke: 60 users, 10 s)
//   options: --users=N --seconds=S --owners=N --instances=1|2 (2 = two app processes sharing one
//            PostgreSQL and a throwaway Redis, users spread over them as by a load balancer),
//            --redis (rate-limit counters in a throwaway Redis with one instance too)
//   env: BENCH_DATABASE_URL (else a throwaway cluster), BENCH_LOG_LEVEL (app log level, info).
import http from 'node:http';
import {
  QUICK,
  busyShare,
  chatMessage,
  createWorkflow,
  describeMachine,
  fmt,
  loadavgText,
  machine,
  machineTicks,
  mib,
  numberOption,
  pgClusterCpuMs,
  postmasterPid,
  prng,
  publishWorkflow,
  registerOwner,
  request,
  rssBytes,
  runMain,
  scrapeMetrics,
  metricFirst,
  metricSum,
  selfCpuMs,
  sleep,
  sql,
  startApp,
  startPostgres,
  startRedis,
  sumCpu,
  summarize,
  table,
} from './harness.mjs';

const USERS = numberOption('users', QUICK ? 60 : 1000);
const SECONDS = numberOption('seconds', QUICK ? 10 : 60);
const OWNERS = numberOption('owners', QUICK ? 5 : 100);
const INSTANCES = numberOption('instances', 1);
const RAMP_SECONDS = numberOption('ramp', QUICK ? 3 : 15);
const THINK_MIN_MS = 1000;
const THINK_MAX_MS = 5000;
// History already in the tables, so every query runs against tables of a realistic size.
const SEED_VISITOR_THREADS_PER_WORKFLOW = QUICK ? 20 : 200;
const SEED_CANVAS_THREADS_PER_OWNER = QUICK ? 5 : 50;
const SEED_ITEMS_PER_THREAD = 10;
const TOKEN_REFRESH_MS = 240_000; // chat JWTs live 300 s
const SLICE_SECONDS = QUICK ? 5 : 10;

const STREAM_KINDS = new Set(['chat threads.create', 'chat add_user_message', 'visitor threads.create', 'visitor add_user_message']);

async function main() {
  const pg = await startPostgres();
  const m = machine(pg.version);
  console.log(
    `Load benchmark${QUICK ? ' (--quick)' : ''}: ${USERS} users, ${SECONDS} s measured after a ${RAMP_SECONDS} s ramp, ${OWNERS} owners, ` +
      `${INSTANCES} app instance(s), rate-limit counters ${INSTANCES > 1 || process.argv.includes('--redis') ? 'in Redis' : 'in memory'}`,
  );
  console.log(`Machine: ${describeMachine(m)}\n`);

  // Several instances share their rate-limit counters through Redis; --redis uses it with one too.
  const redis = INSTANCES > 1 || process.argv.includes('--redis') ? startRedis() : null;
  const env = redis ? { REDIS_URL: redis.url } : {};
  const apps = [];
  // One after the other: the first one migrates the fresh database.
  for (let i = 0; i < INSTANCES; i++) apps.push(await startApp({ dbUrl: pg.url, env, name: `app ${i + 1}` }));
  const origin = apps[0].origin;

  // --- setup through the public API: owners, echo workflows, share links ---
  const setupStarted = Date.now();
  const owners = [];
  for (let i = 0; i < OWNERS; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, OWNERS - i) }, async () => {
        const owner = await registerOwner(origin, 'load');
        const workflowId = await createWorkflow(origin, owner.accessToken);
        const publishToken = await publishWorkflow(origin, owner.accessToken, workflowId);
        return { ...owner, workflowId, publishToken };
      }),
    );
    owners.push(...batch);
  }
  await seed(pg.url, owners);
  console.log(`setup: ${OWNERS} owners with a published echo workflow, history seeded, in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s\n`);

  // --- users ---
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: USERS * 2 });
  const samples = []; // { kind, ms, ttfe }
  const errors = new Map(); // "kind → status message" → count
  const counts = new Map();
  let measuring = false;
  let stopping = false;
  const rampEnds = Date.now() + RAMP_SECONDS * 1000;
  const windowEnds = rampEnds + SECONDS * 1000;

  function record(kind, res) {
    if (!measuring) return;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    if (res.status < 200 || res.status >= 300) {
      const key = `${kind} → ${res.status || 'network'} ${res.text.replace(/\s+/g, ' ').slice(0, 160)}`;
      errors.set(key, (errors.get(key) ?? 0) + 1);
      return;
    }
    samples.push({ kind, ms: res.ms, ttfe: res.ttfe, at: Date.now() });
  }

  async function call(kind, target, options) {
    const res = await request(agent, target, options);
    record(kind, res);
    return res;
  }

  const mix = (i) => {
    const slot = i % 10;
    return slot < 3 ? 'canvas' : slot < 4 ? 'owner' : 'visitor';
  };

  async function user(index) {
    const random = prng(0x5eed + index);
    const think = () => sleep(THINK_MIN_MS + random() * (THINK_MAX_MS - THINK_MIN_MS));
    const kind = mix(index);
    const owner = owners[index % owners.length];
    const target = apps[index % apps.length].origin;
    // Arrive somewhere in the ramp, not all at once.
    await sleep(random() * RAMP_SECONDS * 1000);
    if (kind === 'owner') return ownerLoop(owner, target, random, think);
    return chatLoop(kind, owner, target, index, random, think);
  }

  async function ownerLoop(owner, target, random, think) {
    const headers = { authorization: `Bearer ${owner.accessToken}` };
    let threadIds = [];
    while (!stopping) {
      if (!threadIds.length || random() < 0.6) {
        const res = await call('owner transcripts.list', target, { path: `/api/workflows/${owner.workflowId}/transcripts?limit=20`, headers });
        if (res.status === 200) threadIds = JSON.parse(res.text).data.map((t) => t.id);
      } else {
        const threadId = threadIds[Math.floor(random() * threadIds.length)];
        await call('owner transcripts.get', target, { path: `/api/workflows/${owner.workflowId}/transcripts/${threadId}`, headers });
      }
      await think();
    }
  }

  async function chatLoop(kind, owner, target, index, random, think) {
    const prefix = kind === 'canvas' ? 'chat' : 'visitor';
    let token = null;
    let tokenAt = 0;
    let visitor = null;
    const threads = [];
    const headers = async () => {
      if (kind === 'visitor') return { 'x-parley-publish-token': owner.publishToken, ...(visitor ? { 'x-parley-visitor': visitor } : {}) };
      if (!token || Date.now() - tokenAt > TOKEN_REFRESH_MS) {
        const res = await call('chat session', target, {
          method: 'POST',
          path: `/api/workflows/${owner.workflowId}/chatkit/session`,
          headers: { authorization: `Bearer ${owner.accessToken}` },
          body: { deviceId: `load-${index}` },
        });
        if (res.status !== 200) return null;
        token = JSON.parse(res.text).token;
        tokenAt = Date.now();
      }
      return { authorization: `Bearer ${token}`, 'x-parley-workflow': owner.workflowId };
    };
    const chatkit = async (label, body) => {
      const h = await headers();
      if (!h) return null;
      const res = await call(`${prefix} ${label}`, target, { method: 'POST', path: '/api/chatkit', headers: h, body });
      if (kind === 'visitor' && res.headers?.['x-parley-visitor']) visitor = res.headers['x-parley-visitor'];
      return res;
    };

    // Opening the chat: the thread list.
    await chatkit('threads.list', { type: 'threads.list', params: { limit: 20 } });
    await think();
    let n = 0;
    while (!stopping) {
      const dice = random();
      if (dice < 0.35) {
        await chatkit('threads.list', { type: 'threads.list', params: { limit: 20 } });
      } else if (dice < 0.75) {
        if (!threads.length || random() < 0.25) {
          const res = await chatkit('threads.create', { type: 'threads.create', params: { input: chatMessage(`hello ${index}/${n}`) } });
          const created = res?.status === 200 ? /"thread":\{"id":"([^"]+)"/.exec(res.text)?.[1] : null;
          if (created) threads.push(created);
        } else {
          const threadId = threads[threads.length - 1];
          await chatkit('add_user_message', { type: 'threads.add_user_message', params: { thread_id: threadId, input: chatMessage(`message ${n} from user ${index}`) } });
        }
      } else if (threads.length) {
        const threadId = threads[Math.floor(random() * threads.length)];
        await chatkit('items.list', { type: 'items.list', params: { thread_id: threadId, limit: 20, order: 'desc' } });
      } else {
        await chatkit('threads.list', { type: 'threads.list', params: { limit: 20 } });
      }
      n++;
      await think();
    }
  }

  // --- run: ramp, then the measured window with /proc accounting ---
  console.log(`running: ${RAMP_SECONDS} s ramp, then ${SECONDS} s measured (load average before: ${loadavgText()})`);
  const running = Array.from({ length: USERS }, (_, i) => user(i));
  await sleep(rampEnds - Date.now());
  const postmaster = await postmasterPid(pg.url);
  const appPids = apps.map((a) => a.pid);
  const reading = () => ({ app: sumCpu(appPids), pg: pgClusterCpuMs(postmaster), self: selfCpuMs(), ticks: machineTicks(), at: Date.now() });
  const metricsStart = await Promise.all(apps.map((a) => scrapeMetrics(a.origin)));
  const start = reading();
  measuring = true;
  let peakRss = apps.map(() => 0);
  const rssTimer = setInterval(() => (peakRss = apps.map((a, i) => Math.max(peakRss[i], rssBytes(a.pid)))), 1000);
  // CPU per slice of the window, to tell our own saturation from the neighbours' bursts.
  const slices = [start];
  const sliceTimer = setInterval(() => slices.push(reading()), SLICE_SECONDS * 1000);
  await sleep(windowEnds - Date.now());
  measuring = false;
  const end = reading();
  clearInterval(rssTimer);
  clearInterval(sliceTimer);
  if (end.at - slices[slices.length - 1].at > 1000) slices.push(end);
  const metricsEnd = await Promise.all(apps.map((a) => scrapeMetrics(a.origin)));
  const rssEnd = apps.map((a) => rssBytes(a.pid));
  peakRss = peakRss.map((p, i) => Math.max(p, rssEnd[i]));
  const loadAfter = loadavgText();
  stopping = true;
  await Promise.all(running);
  agent.destroy();
  const alive = apps.map((a) => a.child.exitCode === null);
  for (const app of apps) await app.stop();

  // --- report ---
  const elapsed = (end.at - start.at) / 1000;
  const coreShare = (ms) => ms / (elapsed * 1000); // fraction of one core
  const appCpu = end.app - start.app;
  const pgCpu = end.pg - start.pg;
  const selfCpu = end.self - start.self;
  const busy = busyShare(start.ticks, end.ticks); // whole machine, 0..1 over all cores
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);

  const kinds = [...counts.keys()].sort();
  const rows = kinds.map((kind) => {
    const ok = samples.filter((s) => s.kind === kind);
    const full = summarize(ok.map((s) => s.ms));
    const stream = STREAM_KINDS.has(kind);
    const ttfe = stream ? summarize(ok.map((s) => s.ttfe)) : null;
    const errs = counts.get(kind) - ok.length;
    return [
      kind,
      String(counts.get(kind)),
      fmt(counts.get(kind) / elapsed, 1),
      stream ? `${fmt(ttfe.p50)} / ${fmt(ttfe.p95)} / ${fmt(ttfe.p99)}` : '',
      `${fmt(full.p50)} / ${fmt(full.p95)} / ${fmt(full.p99)}`,
      String(errs),
    ];
  });
  const jsonAll = summarize(samples.filter((s) => !STREAM_KINDS.has(s.kind)).map((s) => s.ms));
  const ttfeAll = summarize(samples.filter((s) => STREAM_KINDS.has(s.kind)).map((s) => s.ttfe));
  const streamFull = summarize(samples.filter((s) => STREAM_KINDS.has(s.kind)).map((s) => s.ms));
  rows.push([
    '**all JSON requests**',
    String(jsonAll.n),
    fmt(jsonAll.n / elapsed, 1),
    '',
    `**${fmt(jsonAll.p50)} / ${fmt(jsonAll.p95)} / ${fmt(jsonAll.p99)}**`,
    '',
  ]);
  rows.push([
    '**all streams**',
    String(ttfeAll.n),
    fmt(ttfeAll.n / elapsed, 1),
    `**${fmt(ttfeAll.p50)} / ${fmt(ttfeAll.p95)} / ${fmt(ttfeAll.p99)}**`,
    `${fmt(streamFull.p50)} / ${fmt(streamFull.p95)} / ${fmt(streamFull.p99)}`,
    '',
  ]);

  console.log(`\n## Results: ${USERS} users, ${INSTANCES} instance(s)${redis ? ' with Redis' : ''}, ${fmt(elapsed, 1)} s measured\n`);
  console.log(`Machine: ${describeMachine(m).replace(/load average.*$/, '')}load average (1/5/15 min) at the end of the window: ${loadAfter}\n`);
  console.log(table(['request kind', 'requests', 'req/s', 'TTFE p50 / p95 / p99 (ms)', 'full p50 / p95 / p99 (ms)', 'errors'], rows, 'l'));
  console.log(`\nthroughput: ${fmt(total / elapsed, 1)} requests/s (${total} requests, ${errorCount} errors)`);

  const cpuRows = [
    [`Parley server${INSTANCES > 1 ? `s (${INSTANCES})` : ''}`, fmt(coreShare(appCpu) * 100, 0), fmt((coreShare(appCpu) / m.cores) * 100, 0), fmt(appCpu / total, 2)],
    ['PostgreSQL (whole cluster)', fmt(coreShare(pgCpu) * 100, 0), fmt((coreShare(pgCpu) / m.cores) * 100, 0), fmt(pgCpu / total, 2)],
    ['load generator (this process)', fmt(coreShare(selfCpu) * 100, 0), fmt((coreShare(selfCpu) / m.cores) * 100, 0), fmt(selfCpu / total, 2)],
    [
      'everything else on the machine',
      fmt(Math.max(0, busy * m.cores - coreShare(appCpu + pgCpu + selfCpu)) * 100, 0),
      fmt(Math.max(0, busy - coreShare(appCpu + pgCpu + selfCpu) / m.cores) * 100, 0),
      '',
    ],
    ['**machine busy**', fmt(busy * m.cores * 100, 0), `**${fmt(busy * 100, 0)}**`, ''],
  ];
  console.log('\n' + table(['CPU over the window', '% of one core', '% of the machine', 'ms per request'], cpuRows, 'l'));
  console.log(
    `\nserver RSS: ${apps.map((a, i) => `${a.name} ${mib(rssEnd[i])} MiB at the end, peak ${mib(peakRss[i])} MiB`).join('; ')}`,
  );
  if (alive.some((a) => !a)) console.log('WARNING: an app instance died during the run');

  // The server's own view (prom-client default metrics), when /metrics is served: GC and event-loop lag.
  if (metricsStart.every(Boolean) && metricsEnd.every(Boolean)) {
    const gcMs = apps.map((_, i) => (metricSum(metricsEnd[i], 'nodejs_gc_duration_seconds_sum') - metricSum(metricsStart[i], 'nodejs_gc_duration_seconds_sum')) * 1000);
    const lag = (name) => apps.map((_, i) => fmt(metricFirst(metricsEnd[i], name) * 1000, 1)).join(' / ');
    console.log(
      `server (from /metrics): GC ${apps.map((_, i) => `${fmt(gcMs[i], 0)} ms (${fmt((gcMs[i] / (elapsed * 1000)) * 100, 1)}% of the window)`).join(' / ')}; ` +
        `event-loop lag at the end of the window p50 ${lag('nodejs_eventloop_lag_p50_seconds')} ms, p99 ${lag('nodejs_eventloop_lag_p99_seconds')} ms, max ${lag('nodejs_eventloop_lag_max_seconds')} ms`,
    );
  }

  // Latency and CPU over time.
  const sliceRows = [];
  for (let i = 1; i < slices.length; i++) {
    const [a, b] = [slices[i - 1], slices[i]];
    const ms = b.at - a.at;
    const inSlice = samples.filter((x) => x.at > a.at && x.at <= b.at);
    const json = summarize(inSlice.filter((x) => !STREAM_KINDS.has(x.kind)).map((x) => x.ms));
    const ttfe = summarize(inSlice.filter((x) => STREAM_KINDS.has(x.kind)).map((x) => x.ttfe));
    const ours = (b.app - a.app + b.pg - a.pg + b.self - a.self) / ms;
    const busyCores = busyShare(a.ticks, b.ticks) * m.cores;
    sliceRows.push([
      `${fmt((a.at - start.at) / 1000, 0)}–${fmt((b.at - start.at) / 1000, 0)} s`,
      fmt(inSlice.length / (ms / 1000), 0),
      `${fmt(json.p50)} / ${fmt(json.p95)}`,
      `${fmt(ttfe.p50)} / ${fmt(ttfe.p95)}`,
      fmt(((b.app - a.app) / ms) * 100, 0),
      fmt(((b.pg - a.pg) / ms) * 100, 0),
      fmt(((b.self - a.self) / ms) * 100, 0),
      fmt(Math.max(0, busyCores - ours) * 100, 0),
      fmt(busyCores * 100, 0),
    ]);
  }
  console.log(
    '\nover time (CPU in % of one core; the machine has ' + m.cores + '):\n' +
      table(['slice', 'req/s', 'JSON p50 / p95 (ms)', 'TTFE p50 / p95 (ms)', 'server', 'PostgreSQL', 'load generator', 'everything else', 'machine busy'], sliceRows, 'l'),
  );

  if (errors.size) {
    console.log('\nerrors:\n' + table(['request → status, body', 'count'], [...errors].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, v]) => [k.replace(/\|/g, '\\|'), String(v)]), 'l'));
  }
  const verdicts = [
    `JSON p95 ${fmt(jsonAll.p95)} ms (target < 500 ms) ${jsonAll.p95 < 500 ? '✓' : '✗'}`,
    `TTFE p95 ${fmt(ttfeAll.p95)} ms (target < 200 ms) ${ttfeAll.p95 < 200 ? '✓' : '✗'}`,
    `errors ${errorCount} (target 0) ${errorCount === 0 ? '✓' : '✗'}`,
  ];
  console.log(`\n${verdicts.map((v) => `- ${v}`).join('\n')}`);
  console.log(`load average (1/5/15 min) after the run: ${loadavgText()}`);
}

/**
 * Older history for every workflow (visitor threads) and every owner (canvas threads), written
 * with SQL: the run's queries then work on tables of a realistic size, through their indexes.
 */
async function seed(url, owners) {
  const values = owners.map((o, i) => `('${o.workflowId}'::uuid, '${o.userId}', ${i})`).join(',');
  await sql(
    url,
    `WITH o(workflow_id, user_id, n) AS (VALUES ${values})
     INSERT INTO chat_threads (id, workflow_id, principal_kind, principal_id, title, created_at, updated_at)
     SELECT 'thr_seed_' || o.n || '_' || g, o.workflow_id,
            CASE WHEN g <= ${SEED_CANVAS_THREADS_PER_OWNER} THEN 'user' ELSE 'visitor' END,
            CASE WHEN g <= ${SEED_CANVAS_THREADS_PER_OWNER} THEN o.user_id ELSE 'vis_seed_' || o.n || '_' || (g % 50) END,
            'seeded ' || g, now() - interval '1 day' + g * interval '1 second', now() - interval '1 day' + g * interval '1 second'
       FROM o, generate_series(1, ${SEED_CANVAS_THREADS_PER_OWNER + SEED_VISITOR_THREADS_PER_WORKFLOW}) g`,
  );
  await sql(
    url,
    `INSERT INTO chat_items (id, thread_id, type, data, created_at)
     SELECT t.id || '_' || n, t.id, CASE WHEN n % 2 = 1 THEN 'user_message' ELSE 'assistant_message' END,
            json_build_object('id', t.id || '_' || n, 'thread_id', t.id, 'type', CASE WHEN n % 2 = 1 THEN 'user_message' ELSE 'assistant_message' END,
                              'created_at', t.created_at, 'content', json_build_array(json_build_object('type', CASE WHEN n % 2 = 1 THEN 'input_text' ELSE 'output_text' END, 'text', 'seeded message ' || n)),
                              'attachments', '[]'::json, 'inference_options', '{}'::json),
            t.created_at
       FROM chat_threads t, generate_series(1, ${SEED_ITEMS_PER_THREAD}) n
      WHERE t.id LIKE 'thr_seed_%'
      ORDER BY t.ordinal, n`,
  );
  await sql(url, 'ANALYZE chat_threads; ANALYZE chat_items');
}

runMain(main);
