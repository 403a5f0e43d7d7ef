import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AnalyticsService } from '../../src/analytics/analytics.service';
import { AnalyticsPeopleReach1797000000000 } from '../../src/database/migrations/1797000000000-AnalyticsPeopleReach';
import { TranscriptRetentionService } from '../../src/transcript/owner/transcript-retention.service';
import { createTestApp, TestApp } from '../setup/test-app';

const HOUR = 3_600_000;
const KINDS = ['visitor', 'oauth', 'host', 'user'] as const;

let seq = 0;
const id = (prefix: string) => `${prefix}_${Date.now().toString(36)}${(seq++).toString(36)}`;

/** A small deterministic generator (the history is the same on every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Query = { from: string; to: string; granularity: 'hour' | 'day' | 'week' };

/**
 * The distinct-people counters (`chat_rollup_reach`) against a recount of the transcripts, over a
 * generated history of people who come back at all sorts of gaps (within the hour, the day, the
 * week, and beyond), on several channels and days, with buckets starting at UTC midnight and at
 * other hours, for hour, day and week buckets, for ranges that end after the latest activity and
 * before it — then again after thread deletions, deleted and hidden items, messages added between
 * a person's earlier hours, concurrent writers, a retention sweep, and the migration's backfill.
 */
describe('analytics: distinct people counters (integration)', () => {
  let t: TestApp;
  let ds: DataSource;
  let analytics: AnalyticsService;
  let ownerId: string;
  let wf: string;
  let otherWf: string;
  const threads: Array<{ id: string; principal: string; kind: string }> = [];

  const START = Date.parse('2026-04-01T00:00:00Z');
  const iso = (ms: number) => new Date(ms).toISOString();

  async function thread(workflowId: string, kind: string, principal: string, channel: string, at: number): Promise<string> {
    const threadId = id('thr');
    await ds.query(
      `INSERT INTO chat_threads (id, workflow_id, principal_kind, principal_id, channel, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)`,
      [threadId, workflowId, kind, principal, channel, iso(at)],
    );
    return threadId;
  }

  async function message(threadId: string, at: number, type = 'user_message'): Promise<string> {
    const itemId = id('msg');
    const data = { id: itemId, thread_id: threadId, created_at: iso(at), type, content: [{ type: 'input_text', text: 'q' }], attachments: [], inference_options: {} };
    await ds.query(`INSERT INTO chat_items (id, thread_id, type, hidden, data, created_at) VALUES ($1, $2, $3, false, $4, $5)`, [itemId, threadId, type, JSON.stringify(data), iso(at)]);
    return itemId;
  }

  /** Distinct people per bucket and kind, and over the range, counted from the transcripts. */
  async function recount(workflowId: string, q: Query): Promise<{ buckets: Array<Record<string, number>>; total: Record<string, number> }> {
    const step = { hour: HOUR, day: 24 * HOUR, week: 168 * HOUR }[q.granularity];
    const from = Math.floor(Date.parse(q.from) / HOUR) * HOUR;
    const to = Math.ceil(Date.parse(q.to) / HOUR) * HOUR;
    const rows = await ds.query<Array<{ b: number; kind: string; n: number }>>(
      `SELECT floor(extract(epoch FROM i.created_at - $2::timestamptz) * 1000 / $4)::int AS b, t.principal_kind AS kind,
              count(DISTINCT t.principal_id)::int AS n
         FROM chat_items i JOIN chat_threads t ON t.id = i.thread_id
        WHERE t.workflow_id = $1 AND i.type = 'user_message' AND NOT i.hidden AND i.created_at >= $2 AND i.created_at < $3
        GROUP BY GROUPING SETS ((1, 2), (2))`,
      [workflowId, iso(from), iso(to), step],
    );
    const empty = () => Object.fromEntries(KINDS.map((k) => [k, 0]));
    const buckets = Array.from({ length: Math.ceil((to - from) / step) }, empty);
    const total = empty();
    for (const r of rows) {
      if (r.b === null) total[r.kind] = r.n;
      else buckets[r.b][r.kind] = r.n;
    }
    return { buckets, total };
  }

  async function expectExact(workflowId: string, q: Query): Promise<void> {
    const res = await analytics.forWorkflow(ownerId, workflowId, q);
    const expected = await recount(workflowId, q);
    expect({ q, buckets: res.buckets.map((b) => b.people.byKind), total: res.totals.people.byKind }).toEqual({ q, ...expected });
  }

  const QUERIES: Query[] = [
    // Days from UTC midnight, from 05:00 and from 21:00 (local midnights), over the whole history and beyond it.
    { from: '2026-04-01T00:00:00Z', to: '2026-04-16T00:00:00Z', granularity: 'day' },
    { from: '2026-03-31T05:00:00Z', to: '2026-04-15T05:00:00Z', granularity: 'day' },
    { from: '2026-04-02T21:00:00Z', to: '2026-04-13T21:00:00Z', granularity: 'day' },
    // A range that ends before the latest activity (the range total is counted another way).
    { from: '2026-04-03T07:00:00Z', to: '2026-04-08T07:00:00Z', granularity: 'day' },
    // Weeks from a Wednesday 13:00, a partial last week; hours over two days.
    { from: '2026-03-31T13:00:00Z', to: '2026-04-16T02:00:00Z', granularity: 'week' },
    { from: '2026-04-04T00:00:00Z', to: '2026-04-06T00:00:00Z', granularity: 'hour' },
    { from: '2026-04-09T10:00:00Z', to: '2026-04-10T03:00:00Z', granularity: 'hour' },
  ];

  async function expectAllExact(): Promise<void> {
    for (const q of QUERIES) await expectExact(wf, q);
    await expectExact(otherWf, QUERIES[0]);
    expect(await maintained()).toEqual(await recomputed());
  }

  /** chat_rollup_reach rows (non-zero), as text: fresh(j) = far_n + near[j + 1] for j = 0…167, and last_n. */
  async function maintained(): Promise<string[]> {
    const rows = await ds.query<{ line: string }[]>(
      `SELECT concat_ws('|', workflow_id, hour::text, principal_kind, fresh::text, last_n) AS line
         FROM (SELECT workflow_id, hour, principal_kind, last_n,
                      ARRAY(SELECT far_n + coalesce(near[j], 0) FROM generate_series(1, 168) j ORDER BY j) AS fresh
                 FROM chat_rollup_reach WHERE workflow_id IN ($1, $2)) r
        WHERE last_n <> 0 OR fresh <> array_fill(0, ARRAY[168]) ORDER BY 1`,
      [wf, otherWf],
    );
    return rows.map((r) => r.line);
  }

  /** The same rows computed from the transcripts: each person's active hours in order. */
  async function recomputed(): Promise<string[]> {
    const rows = await ds.query<{ line: string }[]>(
      `WITH h AS (
         SELECT DISTINCT t.workflow_id, date_bin('1 hour', i.created_at, timestamptz '2000-01-01Z') AS hour, t.principal_kind, t.principal_id
           FROM chat_items i JOIN chat_threads t ON t.id = i.thread_id
          WHERE t.workflow_id IN ($1, $2) AND i.type = 'user_message' AND NOT i.hidden
       ), a AS (
         SELECT workflow_id, hour, principal_kind,
                coalesce(extract(epoch FROM hour - lag(hour) OVER w)::int / 3600, 1000000) AS gap, lead(hour) OVER w IS NULL AS last
           FROM h WINDOW w AS (PARTITION BY workflow_id, principal_kind, principal_id ORDER BY hour)
       ), g AS (
         SELECT workflow_id, hour, principal_kind, array_agg(gap) AS gaps, count(*) FILTER (WHERE last) AS last_n FROM a GROUP BY 1, 2, 3
       )
       SELECT concat_ws('|', workflow_id, hour::text, principal_kind,
                (SELECT array_agg((SELECT count(*) FROM unnest(gaps) x WHERE x > j)::int ORDER BY j) FROM generate_series(0, 167) j)::text,
                last_n) AS line
         FROM g ORDER BY 1`,
      [wf, otherWf],
    );
    return rows.map((r) => r.line);
  }

  beforeAll(async () => {
    t = await createTestApp();
    ds = t.dataSource;
    analytics = t.app.get(AnalyticsService);
    ownerId = randomUUID();
    await ds.query(`INSERT INTO users (id, email) VALUES ($1, $2)`, [ownerId, `${ownerId}@example.com`]);
    const mk = async (name: string) => ((await ds.query(`INSERT INTO workflows (owner_id, name) VALUES ($1, $2) RETURNING id`, [ownerId, name])) as Array<{ id: string }>)[0].id;
    wf = await mk('people');
    otherWf = await mk('other');

    // 14 days; 10 visitors, 3 signed-in people, 2 host users and the owner; 70 threads, each 1–3 messages
    // (sometimes an hour or two apart, so a thread spans hours); gaps between a person's hours of every size.
    const random = rng(19);
    const people = [
      ...Array.from({ length: 10 }, (_, i) => ({ kind: 'visitor', principal: `v${i}` })),
      ...Array.from({ length: 3 }, (_, i) => ({ kind: 'oauth', principal: `iss|s${i}` })),
      ...Array.from({ length: 2 }, (_, i) => ({ kind: 'host', principal: `app:h${i}` })),
      { kind: 'user', principal: ownerId },
    ];
    const channels = ['page', 'embed', 'canvas', 'host'];
    for (let n = 0; n < 70; n++) {
      // Squared: people skewed towards the first ones (who come back often), times skewed to clusters.
      const who = people[Math.floor(random() ** 2 * people.length)];
      const at = START + Math.floor(random() * 14 * 24) * HOUR + Math.floor(random() * 50) * 60_000;
      const th = await thread(wf, who.kind, who.principal, channels[n % 4], at);
      threads.push({ id: th, ...who });
      const messages = 1 + Math.floor(random() * 3);
      for (let m = 0; m < messages; m++) await message(th, at + m * Math.floor(random() * 3) * HOUR + m * 1000);
      if (n % 7 === 0) await message(th, at + 2000, 'assistant_message');
    }
    // Bulk writes (one statement, many people and hours: the general path of the counters): 12 more threads,
    // their 2–4 messages each inserted by one INSERT … SELECT, hours apart.
    const bulk: string[] = [];
    for (let n = 0; n < 12; n++) {
      const who = people[(n * 5) % people.length];
      const th = await thread(wf, who.kind, who.principal, channels[n % 4], START + Math.floor(random() * 14 * 24) * HOUR);
      threads.push({ id: th, ...who });
      bulk.push(th);
    }
    await ds.query(
      `INSERT INTO chat_items (id, thread_id, type, hidden, data, created_at)
       SELECT t.id || '_b' || m, t.id, 'user_message', false, '{}', t.created_at + (m * m) * interval '1 hour' + m * interval '1 second'
         FROM chat_threads t, generate_series(0, 1 + (t.ordinal::int % 3)) m WHERE t.id = ANY ($1)`,
      [bulk],
    );
    // The same people in another workflow: never mixed in.
    const foreign = await thread(otherWf, 'visitor', 'v0', 'page', START + 30 * HOUR);
    await message(foreign, START + 30 * HOUR);
    await message(foreign, START + 100 * HOUR);
  });
  afterAll(() => t.close());

  it('equal a recount of the transcripts for every bucket size and start, and over each range', async () => {
    expect(await maintained()).not.toEqual([]);
    await expectAllExact();
  });

  it('stay exact after thread deletions, deleted and hidden items, and messages between earlier hours', async () => {
    // Owner deletes threads (whole contributions go, including a person's only hour, or their last one).
    for (const th of threads.filter((_, i) => i % 9 === 4)) await ds.query(`DELETE FROM chat_threads WHERE id = $1`, [th.id]);
    // Threads spanning several hours of a person, deleted (one statement, several hours of one person): one in the
    // middle of their history, one holding their last hours.
    for (const [h, hours] of [
      [40, [0, 1, 4, 30]],
      [330, [0, 2, 3]],
    ] as const) {
      const th = await thread(wf, 'visitor', 'v1', 'page', START + h * HOUR);
      for (const x of hours) await message(th, START + (h + x) * HOUR + 5000);
      await expectExact(wf, QUERIES[0]);
      await ds.query(`DELETE FROM chat_threads WHERE id = $1`, [th]);
    }
    // Several people's items in one DELETE.
    await ds.query(
      `DELETE FROM chat_items WHERE id IN (SELECT i.id FROM chat_items i JOIN chat_threads t ON t.id = i.thread_id WHERE t.workflow_id = $1 AND i.type = 'user_message' ORDER BY md5(i.id) LIMIT 8)`,
      [wf],
    );
    // A retried question: its items after it go (a multi-row DELETE statement).
    const [retried] = await ds.query<Array<{ id: string; thread_id: string }>>(
      `SELECT i.id, i.thread_id FROM chat_items i JOIN chat_threads t ON t.id = i.thread_id WHERE t.workflow_id = $1 AND i.type = 'user_message' ORDER BY i.created_at LIMIT 1 OFFSET 5`,
      [wf],
    );
    await ds.query(`DELETE FROM chat_items i USING chat_items a WHERE a.id = $1 AND i.thread_id = a.thread_id AND i.ordinal >= a.ordinal`, [retried.id]);
    // Items hidden and shown again, in one multi-row UPDATE each.
    await ds.query(
      `UPDATE chat_items SET hidden = true WHERE id IN (SELECT i.id FROM chat_items i JOIN chat_threads t ON t.id = i.thread_id WHERE t.workflow_id = $1 AND i.type = 'user_message' ORDER BY i.id LIMIT 6)`,
      [wf],
    );
    await expectAllExact();
    await ds.query(
      `UPDATE chat_items SET hidden = false WHERE id IN (SELECT i.id FROM chat_items i JOIN chat_threads t ON t.id = i.thread_id WHERE t.workflow_id = $1 AND i.type = 'user_message' AND i.hidden ORDER BY i.id LIMIT 3)`,
      [wf],
    );
    // Messages back in time, between a person's earlier active hours (and at hours they were already active).
    const v0 = threads.find((x) => x.principal === 'v0')!;
    for (const h of [3, 50, 51, 120, 200, 333]) {
      const th = await thread(wf, 'visitor', 'v0', 'embed', START + h * HOUR);
      await message(th, START + h * HOUR + 60_000);
    }
    await message(v0.id, START + 77 * HOUR);
    await expectAllExact();
  });

  it('stay exact under concurrent writers and deleters of the same person', async () => {
    const th = await Promise.all([5, 29, 53, 77, 101, 125].map((h) => thread(wf, 'oauth', 'iss|busy', 'page', START + h * HOUR)));
    await Promise.all(th.flatMap((x, i) => [message(x, START + (5 + 24 * i) * HOUR + 1000), message(x, START + (6 + 24 * i) * HOUR)]));
    await Promise.all([
      ds.query(`DELETE FROM chat_threads WHERE id = $1`, [th[2]]),
      message(th[3], START + (78 + 1) * HOUR),
      ds.query(`DELETE FROM chat_threads WHERE id = $1`, [th[5]]),
      thread(wf, 'oauth', 'iss|busy', 'embed', START + 300 * HOUR).then((x) => message(x, START + 300 * HOUR)),
    ]);
    await expectAllExact();
  });

  it('stay exact after a retention sweep, and the migration rebuilds them from the person-hour rows', async () => {
    await ds.query(`UPDATE workflows SET transcript_retention_days = 1 WHERE id = $1`, [wf]);
    await ds.query(`UPDATE chat_threads SET updated_at = created_at WHERE workflow_id = $1`, [wf]);
    await t.app.get(TranscriptRetentionService).sweep(new Date(START + 8 * 24 * HOUR));
    await ds.query(`UPDATE workflows SET transcript_retention_days = NULL WHERE id = $1`, [wf]);
    const left = await recount(wf, QUERIES[0]);
    expect(left.total.visitor).toBeGreaterThan(0);
    await expectAllExact();

    const before = await maintained();
    const runner = ds.createQueryRunner();
    try {
      const migration = new AnalyticsPeopleReach1797000000000();
      await migration.down(runner);
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    expect(await maintained()).toEqual(before);
    await expectAllExact();
  });

  it('a deleted workflow leaves no people counters', async () => {
    await ds.query(`DELETE FROM workflows WHERE id = $1`, [otherWf]);
    expect(await ds.query(`SELECT count(*)::int AS n FROM chat_rollup_reach WHERE workflow_id = $1`, [otherWf])).toEqual([{ n: 0 }]);
  });
});
