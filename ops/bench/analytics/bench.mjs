#!/usr/bin/env node
// Owner analytics (issue 19) with 10,000 items in the tables and with 1,000,000 (same run): the 30-day daily view
// must answer in ≤ 200 ms (p95) at 1M and stay within 1.5× of 10k. Each size is its own database in the same
// cluster, with its own app (same build, same env), seeded with SQL (generate_series) into ONE workflow, so the
// figures are the worst case of a single busy workflow:
//   - N/10 threads of 10 items (5 questions, 5 answers, within the same hour), spread evenly over the last 30 days;
//   - people: a pool of N/100 visitors (each comes back in about 10 threads, on other days), every 10th thread a
//     signed-in person, every 20th the owner in the canvas; channels page/embed/canvas;
//   - every answer has a time to first token (200–3,000 ms), every 10th thread a rating (alternating up/down),
//     every 50th thread an answer error (three codes).
// The rows go through the rollup triggers exactly as live writes do (one INSERT … SELECT per table).
// Measured through the real HTTP API, one request at a time, interleaved between the sizes (alternating which goes
// first): GET /api/workflows/:id/analytics for the last 30 days per day (the target) and the last 7 days per hour.
// Reports p50/p95 per query and size, p95(1M)/p95(10k), then the plans PostgreSQL ran for the app's own statements
// at 1M (auto_explain with ANALYZE and BUFFERS, from the throwaway server log).
//
//   npm run bench:analytics                  (full: 10,000 and 1,000,000 items)
//   npm run bench:analytics -- --quick       (smoke: 10,000 and 100,000 items, fewer samples)
//   npm run bench:analytics -- --write-only  (only the write cost, see write-cost.mjs)
//   options: --sizes=10000,1000000 --samples=N --inserts=N (write cost: inserts per case and round)
// Then the write cost: what the rollup triggers add to one chat_items INSERT, with and without the people counters
// (write-cost.mjs).
import http from 'node:http';
import { statSync } from 'node:fs';
import {
  QUICK,
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
import { measureWriteCost } from './write-cost.mjs';

const SIZES = option('sizes', QUICK ? '10000,100000' : '10000,1000000').split(',').map(Number);
const SAMPLES = numberOption('samples', QUICK ? 30 : 200);
const WARMUP = QUICK ? 5 : 20;

async function seed(url, workflowId, ownerId, total) {
  const started = Date.now();
  const threads = total / 10;
  const visitors = Math.max(10, total / 100);
  // Threads spread evenly over the 30 days before the start of the next hour.
  await sql(
    url,
    `INSERT INTO chat_threads (id, workflow_id, principal_kind, principal_id, channel, title, created_at, updated_at)
     SELECT 'thr_' || g, $1,
            CASE WHEN g % 20 = 0 THEN 'user' WHEN g % 10 = 0 THEN 'oauth' ELSE 'visitor' END,
            CASE WHEN g % 20 = 0 THEN $2 WHEN g % 10 = 0 THEN 'iss|sub_' || (g % $4) ELSE 'vis_' || (g % $4) END,
            CASE WHEN g % 20 = 0 THEN 'canvas' WHEN g % 3 = 0 THEN 'embed' ELSE 'page' END,
            'thread ' || g,
            date_trunc('hour', now()) - interval '30 days' + (g::float8 / $3) * interval '30 days',
            date_trunc('hour', now()) - interval '30 days' + (g::float8 / $3) * interval '30 days'
       FROM generate_series(1, $3::int) g`,
    [workflowId, ownerId, threads, visitors],
  );
  await sql(
    url,
    `INSERT INTO chat_items (id, thread_id, type, data, created_at, ttft_ms)
     SELECT t.id || '_' || n, t.id, CASE WHEN n % 2 = 1 THEN 'user_message' ELSE 'assistant_message' END,
            json_build_object('id', t.id || '_' || n, 'thread_id', t.id, 'type', CASE WHEN n % 2 = 1 THEN 'user_message' ELSE 'assistant_message' END,
                              'created_at', t.created_at, 'content', json_build_array(json_build_object('type', CASE WHEN n % 2 = 1 THEN 'input_text' ELSE 'output_text' END,
                              'text', 'A seeded message ' || n, 'annotations', '[]'::json)), 'attachments', '[]'::json, 'inference_options', '{}'::json),
            t.created_at + n * interval '20 seconds',
            CASE WHEN n % 2 = 0 THEN 200 + ((t.ordinal * 7919 + n * 104729) % 2800)::int END
       FROM chat_threads t, generate_series(1, 10) n
      ORDER BY t.ordinal, n`,
  );
  await sql(
    url,
    `INSERT INTO chat_feedback (thread_id, item_ids, kind, workflow_id, principal_kind, principal_id, created_at)
     SELECT t.id, ARRAY[t.id || '_2'], CASE WHEN t.ordinal % 20 = 0 THEN 'negative' ELSE 'positive' END, t.workflow_id, t.principal_kind, t.principal_id,
            t.created_at + interval '5 minutes'
       FROM chat_threads t WHERE t.ordinal % 10 = 0`,
  );
  await sql(
    url,
    `INSERT INTO chat_answer_errors (thread_id, workflow_id, code, created_at)
     SELECT t.id, t.workflow_id, (ARRAY['rate_limited', 'provider_timeout', 'provider_unavailable'])[1 + t.ordinal % 3], t.created_at + interval '3 minutes'
       FROM chat_threads t WHERE t.ordinal % 50 = 0`,
  );
  for (const tbl of ['chat_threads', 'chat_items', 'chat_feedback', 'chat_answer_errors', 'chat_rollup', 'chat_rollup_people', 'chat_rollup_reach']) await sql(url, `VACUUM (ANALYZE) ${tbl}`);
  const [r] = await sql(
    url,
    `SELECT (SELECT count(*) FROM chat_items)::int AS items, (SELECT count(*) FROM chat_threads)::int AS threads,
            (SELECT count(*) FROM chat_rollup)::int AS rollup, (SELECT count(*) FROM chat_rollup_people)::int AS people, (SELECT count(*) FROM chat_rollup_reach)::int AS reach,
            pg_size_pretty(pg_total_relation_size('chat_items')) AS size`,
  );
  return { ...r, seconds: (Date.now() - started) / 1000 };
}

function queries(workflowId) {
  const hour = 3_600_000;
  const nextHour = Math.ceil(Date.now() / hour) * hour;
  const iso = (ms) => new Date(ms).toISOString();
  const path = (from, to, granularity) => `/api/workflows/${workflowId}/analytics?from=${iso(from)}&to=${iso(to)}&granularity=${granularity}`;
  return [
    { name: '30 days per day (target)', path: path(nextHour - 30 * 24 * hour, nextHour, 'day'), target: true },
    { name: '7 days per hour', path: path(nextHour - 7 * 24 * hour, nextHour, 'hour') },
  ];
}

const WRITE_ONLY = process.argv.includes('--write-only');
const INSERTS = numberOption('inserts', QUICK ? 300 : 1500);

async function main() {
  const pg = await startPostgres();
  const m = machine(pg.version);
  if (WRITE_ONLY) {
    console.log(`Machine: ${describeMachine(m)}`);
    await measureWriteCost(pg, { inserts: INSERTS, rounds: QUICK ? 2 : 4 });
    return;
  }
  console.log(`Analytics benchmark${QUICK ? ' (--quick)' : ''}: ${SIZES.map((s) => s.toLocaleString('en')).join(' and ')} items, ${SAMPLES} samples per query and size`);
  console.log(`Machine: ${describeMachine(m)}\n`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const label = (n) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
  const sides = [];
  for (const size of SIZES) {
    const name = `parley_bench_an_${label(size).toLowerCase()}`;
    await sql(pg.url, `CREATE DATABASE ${name}`);
    const url = Object.assign(new URL(pg.url), { pathname: `/${name}` }).toString();
    const app = await startApp({ dbUrl: url, name: `app (${label(size)})` });
    const owner = await registerOwner(app.origin, 'analytics');
    const workflowId = await createWorkflow(app.origin, owner.accessToken);
    const seeded = await seed(url, workflowId, owner.userId, size);
    console.log(
      `${label(size)}: seeded ${seeded.items.toLocaleString('en')} items in ${seeded.threads.toLocaleString('en')} threads (chat_items ${seeded.size}); ` +
        `rollup ${seeded.rollup.toLocaleString('en')} rows, people rollup ${seeded.people.toLocaleString('en')} rows, people counters ${seeded.reach.toLocaleString('en')} rows; ${fmt(seeded.seconds, 1)} s`,
    );
    sides.push({ size, url, app, owner, workflowId, seeded, list: queries(workflowId) });
  }

  const send = async (side, q) => {
    const res = await request(agent, side.app.origin, { method: 'GET', path: q.path, headers: { authorization: `Bearer ${side.owner.accessToken}` } });
    if (res.status !== 200) throw new Error(`${label(side.size)} ${q.name}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  };
  // Sanity: the figures add up to what was seeded.
  for (const side of sides) {
    const body = JSON.parse((await send(side, side.list[0])).text);
    const expected = side.size / 10;
    const got = body.totals.conversations.total;
    // The first hour of the 30 days may fall outside the window by rounding; allow it.
    if (Math.abs(got - expected) > expected * 0.01 + 2) throw new Error(`${label(side.size)}: ${got} conversations, expected ≈ ${expected}`);
    console.log(`${label(side.size)} check: ${got} conversations, ${body.totals.userMessages.total} messages, ${body.totals.people.total} people, p95 TTFT ${body.totals.ttftMs.p95} ms`);
  }

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
  for (const side of sides) await side.app.stop();
  const stats = times.map((t) => new Map([...t].map(([name, values]) => [name, summarize(values)])));
  const [small, large] = [0, sides.length - 1];
  const S = label(sides[small].size);
  const L = label(sides[large].size);
  console.log(`\n## Results: analytics latency at ${S} and ${L} items (one workflow holds them all)\n`);
  console.log(`Machine: ${describeMachine(m).replace(/; load average.*$/, '')}; load average (1/5/15 min) before measuring ${loadBefore}, after ${loadAfter}`);
  console.log(
    sides
      .map((sd) => `- ${label(sd.size)}: ${sd.seeded.items.toLocaleString('en')} items, ${sd.seeded.threads.toLocaleString('en')} threads, chat_rollup ${sd.seeded.rollup.toLocaleString('en')} rows, chat_rollup_people ${sd.seeded.people.toLocaleString('en')} rows, chat_rollup_reach ${sd.seeded.reach.toLocaleString('en')} rows`)
      .join('\n'),
  );
  console.log(
    '\n' +
      table(
        ['GET …/analytics', `p50 ${S} (ms)`, `p95 ${S} (ms)`, `p50 ${L} (ms)`, `p95 ${L} (ms)`, `**p95 ${L} / ${S}**`, 'verdict'],
        names.map((name) => {
          const a = stats[small].get(name);
          const b = stats[large].get(name);
          const ratio = b.p95 / a.p95;
          const target = sides[large].list.find((q) => q.name === name).target;
          const verdict = target ? `${b.p95 <= 200 ? '≤ 200 ms ✓' : '> 200 ms ✗'}, ${ratio <= 1.5 ? 'flat ✓' : 'grows ✗'}` : ratio <= 1.5 ? 'flat ✓' : 'grows ✗';
          return [name, fmt(a.p50, 2), fmt(a.p95, 2), fmt(b.p50, 2), fmt(b.p95, 2), `**${fmt(ratio, 2)}**`, verdict];
        }),
        'l',
      ),
  );

  await measureWriteCost(pg, { inserts: INSERTS, rounds: QUICK ? 2 : 4 });

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
  console.log(`\n## Plans at ${L} items (auto_explain: ANALYZE, BUFFERS; the app's own statements and parameters)\n`);
  const q = side.list[0];
  await send(side, q);
  const from = statSync(pg.logFile).size;
  await send(side, q);
  await sleep(300);
  const plans = plansIn(readFrom(pg.logFile, from)).filter((p) => /chat_rollup|chat_feedback/.test(p));
  console.log(`### ${q.name}\n\n\`\`\`\n${plans.join('\n\n')}\n\`\`\`\n`);
  await side.app.stop();
  console.log(`load average (1/5/15 min) after the run: ${loadavgText()}`);
}


runMain(main);
