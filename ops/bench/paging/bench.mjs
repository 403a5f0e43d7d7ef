#!/usr/bin/env node
// Transcript paging with 10,000 items in the tables and with 1,000,000 (same run): page latency
// must stay flat as the tables grow. Each size is its own database in the same cluster, with its
// own app (same build, same env), seeded with SQL (generate_series):
//   - one chat principal (an owner's canvas chat) has a big thread holding half of all items,
//   - the same principal has many small threads (a quarter of the items, 10 each), and
//   - visitors of the same workflow have as many small threads (the last quarter).
// At 10k: a 5,000-item thread, 250 + 250 threads; at 1M: a 500,000-item thread, 25,000 + 25,000.
// Measured through the real HTTP API, one request at a time; every sample of a query runs on both
// sizes back to back (alternating which goes first), so drift in machine load hits them alike:
//   ChatKit `items.list` on the big thread — first page and a deep page (`after` = the middle item),
//   both orders; ChatKit `threads.list` — first page and a deep page (`after` = the middle thread),
//   both orders; the owner transcript list (GET /api/workflows/:id/transcripts) — first page, a
//   deep page (cursor in the middle) and the last page (it holds the big thread, and every row
//   carries its thread's item count); the owner transcript of one small thread, and of the big
//   thread (first and deep page). The big thread's default page (500 items) is fetched once per size.
// Reports p50/p95 per query at each size and p95(1M)/p95(10k) (target ≈ 1, i.e. flat), then the
// plans PostgreSQL ran for the app's own statements at 1M (auto_explain with ANALYZE and BUFFERS,
// loaded into a second app's connections through PGOPTIONS, read from the throwaway server log).
//
//   npm run bench:paging                  (full: 10,000 and 1,000,000 items)
//   npm run bench:paging -- --quick       (smoke: 10,000 and 100,000 items, fewer samples)
//   options: --sizes=10000,1000000 --samples=N (per query and size)
//   env: BENCH_LOG_LEVEL (app log level, info). Needs the throwaway cluster for the plans.
import http from 'node:http';
import { statSync } from 'node:fs';
import {
  QUICK,
  chatSession,
  createWorkflow,
  describeMachine,
  fmt,
  loadavgText,
  machine,
  numberOption,
  option,
  registerOwner,
  request,
  runMain,
  sleep,
  sql,
  startApp,
  startPostgres,
  summarize,
  table,
  plansIn,
  readFrom,
} from '../load/harness.mjs';

const SIZES = option('sizes', QUICK ? '10000,100000' : '10000,1000000').split(',').map(Number);
const SAMPLES = numberOption('samples', QUICK ? 40 : 300);
const WARMUP = QUICK ? 5 : 30;
const PAGE = 20;
const VISITORS = 100;

const encodeCursor = (id) => Buffer.from(`v1:${id}`).toString('base64url');

/** Thread and item counts of the layout at `total` items. */
function layout(total) {
  const big = total / 2;
  const own = total / 40; // threads of the principal, 10 items each
  const visitor = total / 40; // visitors' threads, 10 items each
  return { big, own, visitor };
}

/** Seeds an empty database with layout `l`: the big thread first (the principal's oldest), then the small threads. */
async function seed(url, scope, l) {
  const started = Date.now();
  await sql(
    url,
    `INSERT INTO chat_threads (id, workflow_id, principal_kind, principal_id, title, created_at, updated_at)
     VALUES ('thr_big', $1, 'user', $2, 'the big thread', now() - interval '30 days', now())`,
    [scope.workflowId, scope.userId],
  );
  await sql(
    url,
    `INSERT INTO chat_items (id, thread_id, type, data, created_at)
     SELECT 'itm_big_' || n, 'thr_big', CASE WHEN n % 2 = 1 THEN 'user_message' ELSE 'assistant_message' END,
            json_build_object('id', 'itm_big_' || n, 'thread_id', 'thr_big', 'type', CASE WHEN n % 2 = 1 THEN 'user_message' ELSE 'assistant_message' END,
                              'created_at', now(), 'content', json_build_array(json_build_object('type', CASE WHEN n % 2 = 1 THEN 'input_text' ELSE 'output_text' END,
                              'text', 'Message number ' || n || ' of a long conversation, about as long as a short chat message.', 'annotations', '[]'::json)),
                              'attachments', '[]'::json, 'inference_options', '{}'::json),
            now() - interval '30 days' + n * interval '1 second'
       FROM generate_series(1, $1::int) n`,
    [l.big],
  );
  await sql(
    url,
    `INSERT INTO chat_threads (id, workflow_id, principal_kind, principal_id, title, created_at, updated_at)
     SELECT id, $1, kind, pid, 'thread ' || id, now() - interval '20 days' + g * interval '1 second', now() - interval '20 days' + g * interval '1 second'
       FROM (SELECT 'thr_p_' || g AS id, 'user' AS kind, $2 AS pid, g FROM generate_series(1, $3::int) g
             UNION ALL
             SELECT 'thr_v_' || g, 'visitor', 'vis_bench_' || (g % ${VISITORS}), g FROM generate_series(1, $4::int) g
             ORDER BY g, id) s`,
    [scope.workflowId, scope.userId, l.own, l.visitor],
  );
  await sql(
    url,
    `INSERT INTO chat_items (id, thread_id, type, data, created_at)
     SELECT t.id || '_' || n, t.id, CASE WHEN n % 2 = 1 THEN 'user_message' ELSE 'assistant_message' END,
            json_build_object('id', t.id || '_' || n, 'thread_id', t.id, 'type', CASE WHEN n % 2 = 1 THEN 'user_message' ELSE 'assistant_message' END,
                              'created_at', t.created_at, 'content', json_build_array(json_build_object('type', CASE WHEN n % 2 = 1 THEN 'input_text' ELSE 'output_text' END,
                              'text', 'A seeded message ' || n, 'annotations', '[]'::json)), 'attachments', '[]'::json, 'inference_options', '{}'::json),
            t.created_at
       FROM chat_threads t, generate_series(1, 10) n
      WHERE t.id <> 'thr_big'
      ORDER BY t.ordinal, n`,
  );
  // What autovacuum would have done by the time such tables exist: statistics and a visibility map.
  await sql(url, 'VACUUM (ANALYZE) chat_threads');
  await sql(url, 'VACUUM (ANALYZE) chat_items');
  const [{ items, threads, size }] = await sql(
    url,
    `SELECT (SELECT count(*) FROM chat_items)::int AS items, (SELECT count(*) FROM chat_threads)::int AS threads,
            pg_size_pretty(pg_total_relation_size('chat_items')) AS size`,
  );
  return { items, threads, size, seconds: (Date.now() - started) / 1000 };
}

/** The measured queries at one layout. */
function queries(scope, l, lastPageCursorId) {
  const chat = (body) => ({ method: 'POST', path: '/api/chatkit', body, chat: true });
  const owner = (query) => ({ method: 'GET', path: `/api/workflows/${scope.workflowId}/transcripts${query}`, owner: true });
  const midItem = `itm_big_${Math.floor(l.big / 2)}`;
  const midThread = `thr_p_${Math.floor(l.own / 2)}`;
  return [
    { name: 'items.list, first page, desc', ...chat({ type: 'items.list', params: { thread_id: 'thr_big', limit: PAGE, order: 'desc' } }) },
    { name: 'items.list, first page, asc', ...chat({ type: 'items.list', params: { thread_id: 'thr_big', limit: PAGE, order: 'asc' } }) },
    { name: 'items.list, deep page (after the middle item), desc', deep: 'items', ...chat({ type: 'items.list', params: { thread_id: 'thr_big', limit: PAGE, order: 'desc', after: midItem } }) },
    { name: 'items.list, deep page (after the middle item), asc', deep: 'items', ...chat({ type: 'items.list', params: { thread_id: 'thr_big', limit: PAGE, order: 'asc', after: midItem } }) },
    { name: 'threads.list, first page, desc', ...chat({ type: 'threads.list', params: { limit: PAGE, order: 'desc' } }) },
    { name: 'threads.list, first page, asc', ...chat({ type: 'threads.list', params: { limit: PAGE, order: 'asc' } }) },
    { name: 'threads.list, deep page (after the middle thread), desc', deep: 'threads', ...chat({ type: 'threads.list', params: { limit: PAGE, order: 'desc', after: midThread } }) },
    { name: 'threads.list, deep page (after the middle thread), asc', deep: 'threads', ...chat({ type: 'threads.list', params: { limit: PAGE, order: 'asc', after: midThread } }) },
    { name: 'owner transcripts list, first page', ...owner(`?limit=${PAGE}`) },
    { name: 'owner transcripts list, deep page (cursor in the middle)', deep: 'owner', ...owner(`?limit=${PAGE}&cursor=${encodeCursor(`thr_v_${Math.floor(l.visitor / 2)}`)}`) },
    { name: 'owner transcripts list, last page (holds the big thread)', deep: 'owner-last', ...owner(`?limit=${PAGE}&cursor=${encodeCursor(lastPageCursorId)}`) },
    { name: 'owner transcript of one small thread (GET …/transcripts/:threadId)', ...owner(`/thr_p_${Math.floor(l.own / 2)}`) },
    { name: 'owner transcript of the big thread, first page', ...owner(`/thr_big?limit=${PAGE}`) },
    { name: 'owner transcript of the big thread, deep page (cursor = the middle item)', deep: 'owner-items', ...owner(`/thr_big?limit=${PAGE}&cursor=${midItem}`) },
  ];
}

async function main() {
  const pg = await startPostgres();
  const m = machine(pg.version);
  console.log(`Paging benchmark${QUICK ? ' (--quick)' : ''}: ${SIZES.map((s) => s.toLocaleString('en')).join(' and ')} items, ${SAMPLES} samples per query and size`);
  console.log(`Machine: ${describeMachine(m)}\n`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  // One database per size in the same cluster (same shared buffers, same disk), each with its own app.
  const label = (n) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
  const sides = [];
  for (const [i, size] of SIZES.entries()) {
    const name = `parley_bench_${label(size).toLowerCase()}`;
    await sql(pg.url, `CREATE DATABASE ${name}`);
    const url = Object.assign(new URL(pg.url), { pathname: `/${name}` }).toString();
    const app = await startApp({ dbUrl: url, name: `app (${label(size)})` });
    const owner = await registerOwner(app.origin, 'paging');
    const workflowId = await createWorkflow(app.origin, owner.accessToken);
    const scope = { workflowId, userId: owner.userId };
    const l = layout(size);
    const seeded = await seed(url, scope, l);
    console.log(`${label(size)}: seeded ${seeded.items.toLocaleString('en')} items in ${seeded.threads.toLocaleString('en')} threads (chat_items ${seeded.size}) in ${fmt(seeded.seconds, 1)} s`);
    // The owner list is newest first and the big thread is the oldest: the page after the 21st oldest thread ends with it.
    const [{ id: lastPageCursorId }] = await sql(url, 'SELECT id FROM chat_threads WHERE workflow_id = $1 ORDER BY ordinal OFFSET $2 LIMIT 1', [workflowId, PAGE]);
    sides[i] = { size, url, app, owner, scope, l, seeded, lastPageCursorId, session: { token: null, at: 0 }, list: queries(scope, l, lastPageCursorId) };
  }

  const send = async (side, q) => {
    let headers;
    if (q.owner) headers = { authorization: `Bearer ${side.owner.accessToken}` };
    else {
      if (Date.now() - side.session.at > 120_000) side.session = { token: (await chatSession(side.app.origin, side.owner.accessToken, side.scope.workflowId)).token, at: Date.now() };
      headers = { authorization: `Bearer ${side.session.token}` };
    }
    const res = await request(agent, side.app.origin, { method: q.method, path: q.path, headers, body: q.body });
    if (res.status !== 200) throw new Error(`${label(side.size)} ${q.name}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  };

  // Sanity: every query answers a non-empty page.
  for (const side of sides) {
    for (const q of side.list) {
      const res = await send(side, q);
      const body = JSON.parse(res.text);
      if (!((body.data ?? body.items)?.length > 0)) throw new Error(`${q.name}: empty answer ${res.text.slice(0, 200)}`);
    }
  }
  // Interleaved: each sample of a query runs on every size back to back (alternating which goes
  // first), so drift in the machine's load hits the sizes alike.
  const names = sides[0].list.map((q) => q.name);
  const times = sides.map(() => new Map(names.map((n) => [n, []])));
  const loadBefore = loadavgText();
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    for (const [k, name] of names.entries()) {
      const order = (i + k) % 2 ? [...sides.keys()].reverse() : [...sides.keys()];
      for (const j of order) {
        const ms = (await send(sides[j], sides[j].list[k])).ms;
        if (i >= WARMUP) times[j].get(name).push(ms);
      }
    }
  }
  const loadAfter = loadavgText();
  const stats = times.map((t) => new Map([...t].map(([name, values]) => [name, summarize(values)])));

  // The owner's view of the big thread with the default page size (500 items), once per size.
  const whole = [];
  for (const side of sides) {
    const res = await send(side, { name: 'big thread, default page', method: 'GET', path: `/api/workflows/${side.scope.workflowId}/transcripts/thr_big`, owner: true });
    whole.push({ ms: res.ms, bytes: res.text.length, items: JSON.parse(res.text).items.length });
  }
  for (const side of sides) await side.app.stop();

  // --- report ---
  const [small, large] = [0, sides.length - 1];
  const S = label(sides[small].size);
  const L = label(sides[large].size);
  console.log(`\n## Results: page latency at ${S} and ${L} items\n`);
  console.log(`Machine: ${describeMachine(m).replace(/; load average.*$/, '')}; load average (1/5/15 min) before measuring ${loadBefore}, after ${loadAfter}`);
  console.log(sides.map((sd) => `- ${label(sd.size)}: ${sd.seeded.items.toLocaleString('en')} items, ${sd.seeded.threads.toLocaleString('en')} threads, chat_items ${sd.seeded.size}, the big thread ${sd.l.big.toLocaleString('en')} items`).join('\n'));
  console.log(
    '\n' +
      table(
        ['query (page of 20)', `p50 ${S} (ms)`, `p95 ${S} (ms)`, `p50 ${L} (ms)`, `p95 ${L} (ms)`, `p50 ${L} / ${S}`, `**p95 ${L} / ${S}**`, 'verdict'],
        names.map((name) => {
          const a = stats[small].get(name);
          const b = stats[large].get(name);
          const ratio = b.p95 / a.p95;
          return [name, fmt(a.p50, 2), fmt(a.p95, 2), fmt(b.p50, 2), fmt(b.p95, 2), fmt(b.p50 / a.p50, 2), `**${fmt(ratio, 2)}**`, ratio < 1.5 ? 'flat ✓' : 'grows ✗'];
        }),
        'l',
      ),
  );
  console.log(
    `\nDefault page of GET /api/workflows/:id/transcripts/:threadId on the big thread (once): ` +
      sides.map((sd, i) => `${label(sd.size)}: ${whole[i].items.toLocaleString('en')} items, ${fmt(whole[i].bytes / 2 ** 20, 1)} MiB in ${fmt(whole[i].ms, 0)} ms`).join('; '),
  );

  // --- the plans of the app's own statements at the largest size ---
  if (!pg.logFile) {
    console.log('\n(plans skipped: BENCH_DATABASE_URL is set, the server log is not readable here)');
    return;
  }
  const autoExplain = [
    '-c session_preload_libraries=auto_explain',
    '-c auto_explain.log_min_duration=0',
    '-c auto_explain.log_analyze=on',
    '-c auto_explain.log_buffers=on',
    '-c auto_explain.log_timing=on',
    '-c auto_explain.log_format=text',
  ].join(' ');
  const side = sides[large];
  side.app = await startApp({ dbUrl: side.url, env: { PGOPTIONS: autoExplain }, name: 'app (auto_explain)' });
  side.session = { token: null, at: 0 };
  console.log(`\n## Plans at ${L} items (auto_explain: ANALYZE, BUFFERS; the app's own statements and parameters)\n`);
  for (const q of side.list.filter((x) => x.deep)) {
    await send(side, q); // warm: the plan shown is the steady state's
    const from = statSync(pg.logFile).size;
    await send(side, q);
    await sleep(300);
    const plans = plansIn(readFrom(pg.logFile, from)).filter((p) => /chat_items|chat_threads/.test(p));
    console.log(`### ${q.name}\n\n\`\`\`\n${plans.join('\n\n')}\n\`\`\`\n`);
  }
  await side.app.stop();
  console.log(`load average (1/5/15 min) after the run: ${loadavgText()}`);
}


runMain(main);
