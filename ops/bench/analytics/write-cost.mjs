// What the analytics triggers cost a chat write (issue 19): single-row INSERTs into chat_items, the statement the chat
// path runs per message, timed with the rollup triggers of migration AnalyticsPeopleReach (the people counters) and
// with the ones before it (WorkflowAnalytics alone: the migration's `down`), in alternating rounds on one database.
// Per case: PostgreSQL backend CPU per INSERT (utime + stime of the connection's server process, /proc) and the
// client-side time per INSERT (one connection, one statement at a time). Cases:
//   - "same person, same hour": another message of a person already active in this hour (most messages);
//   - "new person": the first message of a person never seen in the workflow (a new visitor's first question);
//   - "returning person": the first message in this hour of a person last active a day ago (moves their last hour);
//   - "answer": an assistant message (counters only).
import { join } from 'node:path';
import { DIST, cpuMs, createWorkflow, fmt, loadavgText, registerOwner, requireBackend, sql, startApp, table } from '../load/harness.mjs';

const CASES = ['same person, same hour', 'new person', 'returning person', 'answer'];

export async function measureWriteCost(pg, { inserts = 1500, rounds = 4 } = {}) {
  const name = 'parley_bench_an_write';
  await sql(pg.url, `CREATE DATABASE ${name}`);
  const url = Object.assign(new URL(pg.url), { pathname: `/${name}` }).toString();
  const app = await startApp({ dbUrl: url, name: 'app (write cost)' }); // applies the migrations
  const owner = await registerOwner(app.origin, 'analytics-write');
  const workflowId = await createWorkflow(app.origin, owner.accessToken);
  await app.stop();

  const { Client } = requireBackend('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  const runner = { query: async (text, params) => (await client.query(text, params)).rows };
  const { AnalyticsPeopleReach1797000000000: Migration } = requireBackend(join(DIST, 'database/migrations/1797000000000-AnalyticsPeopleReach.js'));
  const migration = new Migration();
  const [{ pid }] = await runner.query('SELECT pg_backend_pid() AS pid');
  const insert = `INSERT INTO chat_items (id, thread_id, type, hidden, data, created_at, ttft_ms)
                  SELECT $1, t.id, $2, false, $3::json, now(), $4::int FROM chat_threads t WHERE t.id = $5 AND t.workflow_id = $6`;
  const data = (type) => JSON.stringify({ type, content: [{ type: type === 'user_message' ? 'input_text' : 'output_text', text: 'A benchmark message' }], attachments: [] });
  let serial = 0;
  // Threads for one round of a case: [thread ids], seeded in bulk (not measured).
  const prepare = async (kase) => {
    const tag = `r${serial++}`;
    const n = kase === 'same person, same hour' || kase === 'answer' ? 1 : inserts;
    await runner.query(
      `INSERT INTO chat_threads (id, workflow_id, principal_kind, principal_id, channel, created_at, updated_at)
       SELECT $1 || '_' || g, $2, 'visitor', $1 || '_v' || g, 'page', now() - interval '1 day', now() - interval '1 day' FROM generate_series(1, $3::int) g`,
      [tag, workflowId, n],
    );
    if (kase === 'returning person') {
      await runner.query(
        `INSERT INTO chat_items (id, thread_id, type, data, created_at) SELECT id || '_q', id, 'user_message', '{}', now() - interval '1 day' FROM chat_threads WHERE id LIKE $1 || '\\_%'`,
        [tag],
      );
    }
    if (kase === 'same person, same hour') await runner.query(insert, [`${tag}_first`, 'user_message', data('user_message'), null, `${tag}_1`, workflowId]);
    return { tag, threads: Array.from({ length: n }, (_, i) => `${tag}_${i + 1}`) };
  };
  const run = async (kase) => {
    const { tag, threads } = await prepare(kase);
    const type = kase === 'answer' ? 'assistant_message' : 'user_message';
    const ttft = kase === 'answer' ? 640 : null;
    const body = data(type);
    const cpu0 = cpuMs(pid);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < inserts; i++) await client.query(insert, [`${tag}_m${i}`, type, body, ttft, threads[i % threads.length], workflowId]);
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    return { cpuUs: ((cpuMs(pid) - cpu0) * 1000) / inserts, wallUs: (wall * 1000) / inserts };
  };

  const results = { before: new Map(CASES.map((c) => [c, []])), after: new Map(CASES.map((c) => [c, []])) };
  const loadBefore = loadavgText();
  let current = 'after';
  for (let r = 0; r < rounds; r++) {
    for (const variant of r % 2 ? ['before', 'after'] : ['after', 'before']) {
      if (variant !== current) {
        await (variant === 'before' ? migration.down(runner) : migration.up(runner));
        current = variant;
      }
      for (const kase of CASES) results[variant].get(kase).push(await run(kase));
    }
  }
  if (current !== 'after') await migration.up(runner);
  const loadAfter = loadavgText();
  await client.end();

  const median = (values) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(`\n## Write cost: one INSERT into chat_items with the analytics triggers (${rounds} rounds × ${inserts} inserts per case and variant)\n`);
  console.log(`load average (1/5/15 min) before ${loadBefore}, after ${loadAfter}; medians over the rounds; "before" = WorkflowAnalytics triggers only, "after" = with AnalyticsPeopleReach\n`);
  console.log(
    table(
      ['INSERT (one row)', 'PG CPU before (µs)', 'PG CPU after (µs)', 'after / before', 'client time before (µs)', 'client time after (µs)'],
      CASES.map((kase) => {
        const b = results.before.get(kase);
        const a = results.after.get(kase);
        const [cb, ca] = [median(b.map((x) => x.cpuUs)), median(a.map((x) => x.cpuUs))];
        return [kase, fmt(cb, 0), fmt(ca, 0), fmt(ca / cb, 2), fmt(median(b.map((x) => x.wallUs)), 0), fmt(median(a.map((x) => x.wallUs)), 0)];
      }),
      'l',
    ),
  );
}
