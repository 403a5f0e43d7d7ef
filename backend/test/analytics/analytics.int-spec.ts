import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ttftBucketOf, ttftBucketValue } from '../../src/analytics/analytics-range';
import { AnalyticsService } from '../../src/analytics/analytics.service';
import { TranscriptRetentionService } from '../../src/transcript/owner/transcript-retention.service';
import { createTestApp, TestApp } from '../setup/test-app';

/** The value the API reports for a TTFT (the middle of its 10 % histogram bucket). */
const p = (ms: number) => ttftBucketValue(ttftBucketOf(ms));

let seq = 0;
const id = (prefix: string) => `${prefix}_${Date.now().toString(36)}${(seq++).toString(36)}`;

interface ThreadSpec {
  workflowId: string;
  kind: string;
  principal: string;
  channel: string;
  at: string;
  title?: string;
}

async function thread(ds: DataSource, s: ThreadSpec): Promise<string> {
  const threadId = id('thr');
  await ds.query(
    `INSERT INTO chat_threads (id, workflow_id, principal_kind, principal_id, title, channel, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
    [threadId, s.workflowId, s.kind, s.principal, s.title ?? null, s.channel, s.at],
  );
  return threadId;
}

async function item(ds: DataSource, threadId: string, type: 'user_message' | 'assistant_message' | 'sdk_hidden_context', at: string, opts: { ttft?: number; text?: string } = {}): Promise<string> {
  const itemId = id('msg');
  const data =
    type === 'user_message'
      ? { id: itemId, thread_id: threadId, created_at: at, type, content: [{ type: 'input_text', text: opts.text ?? 'question' }], attachments: [], inference_options: {} }
      : type === 'assistant_message'
        ? { id: itemId, thread_id: threadId, created_at: at, type, content: [{ type: 'output_text', text: opts.text ?? 'answer', annotations: [] }] }
        : { id: itemId, thread_id: threadId, created_at: at, type, content: 'hidden note' };
  await ds.query(`INSERT INTO chat_items (id, thread_id, type, hidden, data, created_at, ttft_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
    itemId,
    threadId,
    type,
    type === 'sdk_hidden_context',
    JSON.stringify(data),
    at,
    opts.ttft ?? null,
  ]);
  return itemId;
}

async function feedback(ds: DataSource, threadId: string, itemId: string, kind: 'positive' | 'negative', at: string): Promise<void> {
  await ds.query(
    `INSERT INTO chat_feedback (thread_id, item_ids, kind, workflow_id, principal_kind, principal_id, created_at)
     SELECT id, $2, $3, workflow_id, principal_kind, principal_id, $4 FROM chat_threads WHERE id = $1`,
    [threadId, [itemId], kind, at],
  );
}

async function answerError(ds: DataSource, threadId: string, code: string, at: string): Promise<void> {
  await ds.query(`INSERT INTO chat_answer_errors (thread_id, workflow_id, code, created_at) SELECT id, workflow_id, $2, $3 FROM chat_threads WHERE id = $1`, [threadId, code, at]);
}

/**
 * Every figure of the analytics API against a seeded history whose answers are known: two days
 * of a workflow with visitors (one coming back the next day on another channel), a signed-in
 * person, the owner's canvas chat, hidden items, a retried answer, a deleted thread, feedback,
 * errors, and another workflow's data that must never show.
 */
describe('workflow analytics (integration, seeded history)', () => {
  let t: TestApp;
  let ds: DataSource;
  let analytics: AnalyticsService;
  let ownerId: string;
  let wf: string;
  let otherWf: string;
  let t1Answer2: string;

  const D1 = '2026-03-01';
  const D2 = '2026-03-02';

  beforeAll(async () => {
    t = await createTestApp();
    ds = t.dataSource;
    analytics = t.app.get(AnalyticsService);
    ownerId = randomUUID();
    await ds.query(`INSERT INTO users (id, email) VALUES ($1, $2)`, [ownerId, `${ownerId}@example.com`]);
    const mk = async (name: string) => ((await ds.query(`INSERT INTO workflows (owner_id, name) VALUES ($1, $2) RETURNING id`, [ownerId, name])) as Array<{ id: string }>)[0].id;
    wf = await mk('measured');
    otherWf = await mk('other');

    // Day 1 — T1: visitor v1 on the share-link page, two questions, two answers, rated up then down.
    const t1 = await thread(ds, { workflowId: wf, kind: 'visitor', principal: 'v1', channel: 'page', at: `${D1}T10:00:00Z`, title: 'Refunds' });
    await item(ds, t1, 'user_message', `${D1}T10:00:01Z`);
    const t1Answer1 = await item(ds, t1, 'assistant_message', `${D1}T10:00:02Z`, { ttft: 100 });
    await item(ds, t1, 'user_message', `${D1}T10:05:00Z`);
    t1Answer2 = await item(ds, t1, 'assistant_message', `${D1}T10:05:02Z`, { ttft: 200, text: 'Refunds take 90 days.' });
    await feedback(ds, t1, t1Answer1, 'positive', `${D1}T10:01:00Z`);
    await feedback(ds, t1, t1Answer2, 'negative', `${D1}T10:06:00Z`);
    // T3: a signed-in person on the page; a hidden item; an answer, then a rate-limited one.
    const t3 = await thread(ds, { workflowId: wf, kind: 'oauth', principal: 'iss|alice', channel: 'page', at: `${D1}T11:00:00Z` });
    await item(ds, t3, 'user_message', `${D1}T11:00:01Z`);
    await item(ds, t3, 'sdk_hidden_context', `${D1}T11:00:02Z`);
    await item(ds, t3, 'assistant_message', `${D1}T11:00:03Z`, { ttft: 300 });
    await answerError(ds, t3, 'rate_limited', `${D1}T11:10:00Z`);
    // T5: visitor v2 from an embed — deleted later with everything it held.
    const t5 = await thread(ds, { workflowId: wf, kind: 'visitor', principal: 'v2', channel: 'embed', at: `${D1}T13:00:00Z` });
    await item(ds, t5, 'user_message', `${D1}T13:00:01Z`);
    const t5Answer = await item(ds, t5, 'assistant_message', `${D1}T13:00:02Z`, { ttft: 5000 });
    await feedback(ds, t5, t5Answer, 'negative', `${D1}T13:01:00Z`);
    await answerError(ds, t5, 'provider_unavailable', `${D1}T13:02:00Z`);

    // Day 2 — T2: visitor v1 comes back, this time through an embed.
    const t2 = await thread(ds, { workflowId: wf, kind: 'visitor', principal: 'v1', channel: 'embed', at: `${D2}T09:00:00Z` });
    await item(ds, t2, 'user_message', `${D2}T09:00:01Z`);
    await item(ds, t2, 'assistant_message', `${D2}T09:00:02Z`, { ttft: 400 });
    // T4: the owner in the canvas; an answer without a recorded TTFT and a timeout.
    const t4 = await thread(ds, { workflowId: wf, kind: 'user', principal: ownerId, channel: 'canvas', at: `${D2}T12:00:00Z` });
    await item(ds, t4, 'user_message', `${D2}T12:00:01Z`);
    await item(ds, t4, 'assistant_message', `${D2}T12:00:02Z`);
    await answerError(ds, t4, 'provider_timeout', `${D2}T12:01:00Z`);
    // T6: visitor v3 retries an answer: the first answer is deleted (retry_after_item), a new one replaces it.
    const t6 = await thread(ds, { workflowId: wf, kind: 'visitor', principal: 'v3', channel: 'page', at: `${D2}T15:00:00Z` });
    const q6 = await item(ds, t6, 'user_message', `${D2}T15:00:01Z`);
    await item(ds, t6, 'assistant_message', `${D2}T15:00:02Z`, { ttft: 1000 });
    await ds.query(`DELETE FROM chat_items i USING chat_items a WHERE a.id = $1 AND i.thread_id = a.thread_id AND i.ordinal > a.ordinal`, [q6]);
    await item(ds, t6, 'assistant_message', `${D2}T15:01:00Z`, { ttft: 500 });

    // Outside the range, and another workflow of the same owner: never counted.
    const before = await thread(ds, { workflowId: wf, kind: 'visitor', principal: 'v9', channel: 'page', at: '2026-02-27T10:00:00Z' });
    await item(ds, before, 'user_message', '2026-02-27T10:00:01Z');
    const foreign = await thread(ds, { workflowId: otherWf, kind: 'visitor', principal: 'v1', channel: 'page', at: `${D1}T10:00:00Z` });
    await item(ds, foreign, 'user_message', `${D1}T10:00:01Z`);
    const foreignAnswer = await item(ds, foreign, 'assistant_message', `${D1}T10:00:02Z`, { ttft: 50 });
    await feedback(ds, foreign, foreignAnswer, 'negative', `${D1}T10:00:03Z`);

    // Tool calls of an agent answer (agent_tool_calls): in T1, T5 (deleted: they go with it) and the other workflow.
    const call = (threadId: string, workflowId: string, n: number, tool: string, type: string, approval: string, status: string, at: string) =>
      ds.query(
        `INSERT INTO agent_tool_calls (workflow_id, thread_id, call_id, batch_id, tool_name, tool_type, arguments, approval, status, created_at)
         VALUES ($1, $2, $3, 'b1', $4, $5, '{}', $6, $7, $8)`,
        [workflowId, threadId, `call_${n}`, tool, type, approval, status, at],
      );
    await call(t1, wf, 1, 'lookup_order', 'http', 'none', 'completed', `${D1}T10:00:03Z`);
    await call(t1, wf, 2, 'lookup_order', 'http', 'none', 'failed', `${D1}T10:05:01Z`);
    await call(t1, wf, 3, 'refund', 'mcp', 'approved', 'completed', `${D1}T10:05:01Z`);
    await call(t3, wf, 4, 'refund', 'mcp', 'denied', 'denied', `${D1}T11:00:02Z`);
    await call(t3, wf, 5, 'refund', 'mcp', 'pending', 'pending', `${D1}T11:00:02Z`);
    await call(t3, wf, 6, 'get_location', 'client', 'none', 'completed', `${D1}T11:00:02Z`);
    await call(t5, wf, 7, 'refund', 'mcp', 'approved', 'completed', `${D1}T13:00:01Z`);
    await call(foreign, otherWf, 8, 'secret_tool', 'http', 'approved', 'completed', `${D1}T10:00:02Z`);

    await ds.query(`DELETE FROM chat_threads WHERE id = $1`, [t5]);
  });
  afterAll(() => t.close());

  const query = { from: `${D1}T00:00:00Z`, to: '2026-03-04T00:00:00Z', granularity: 'day' };

  it('answers every figure per day and over the range', async () => {
    const res = await analytics.forWorkflow(ownerId, wf, query);
    expect(res).toMatchObject({ workflowId: wf, from: '2026-03-01T00:00:00.000Z', to: '2026-03-04T00:00:00.000Z', granularity: 'day' });
    expect(res.buckets.map((b) => [b.start, b.end])).toEqual([
      ['2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z'],
      ['2026-03-02T00:00:00.000Z', '2026-03-03T00:00:00.000Z'],
      ['2026-03-03T00:00:00.000Z', '2026-03-04T00:00:00.000Z'],
    ]);
    const [d1, d2, d3] = res.buckets;
    const { start: _s1, end: _e1, ...day1 } = d1;
    expect(day1).toEqual({
      conversations: { total: 2, byChannel: { canvas: 0, page: 2, embed: 0, host: 0 } },
      userMessages: { total: 3, byChannel: { canvas: 0, page: 3, embed: 0, host: 0 } },
      people: { total: 2, byKind: { visitor: 1, oauth: 1, host: 0, user: 0 } },
      answers: 3,
      feedback: { positive: 1, negative: 1, ratio: 0.5 },
      errors: { total: 1, byCode: { rate_limited: 1 } },
      ttftMs: { count: 3, p50: p(200), p95: p(300) },
    });
    const { start: _s2, end: _e2, ...day2 } = d2;
    expect(day2).toEqual({
      conversations: { total: 3, byChannel: { canvas: 1, page: 1, embed: 1, host: 0 } },
      userMessages: { total: 3, byChannel: { canvas: 1, page: 1, embed: 1, host: 0 } },
      people: { total: 3, byKind: { visitor: 2, oauth: 0, host: 0, user: 1 } },
      answers: 3,
      feedback: { positive: 0, negative: 0, ratio: null },
      errors: { total: 1, byCode: { provider_timeout: 1 } },
      ttftMs: { count: 2, p50: p(400), p95: p(500) },
    });
    expect(d3).toMatchObject({ conversations: { total: 0 }, userMessages: { total: 0 }, people: { total: 0 }, answers: 0, errors: { total: 0, byCode: {} }, ttftMs: { count: 0, p50: null, p95: null } });
    // v1 came back on day 2: one person over the range, not two.
    expect(res.totals).toEqual({
      conversations: { total: 5, byChannel: { canvas: 1, page: 3, embed: 1, host: 0 } },
      userMessages: { total: 6, byChannel: { canvas: 1, page: 4, embed: 1, host: 0 } },
      people: { total: 4, byKind: { visitor: 2, oauth: 1, host: 0, user: 1 } },
      answers: 6,
      feedback: { positive: 1, negative: 1, ratio: 0.5 },
      errors: { total: 2, byCode: { provider_timeout: 1, rate_limited: 1 } },
      ttftMs: { count: 5, p50: p(300), p95: p(500) },
    });
  });

  it('counts tool calls by tool and approval outcomes, of this workflow only', async () => {
    const res = await analytics.forWorkflow(ownerId, wf, query);
    expect(res.tools).toEqual({
      byTool: [
        { tool: 'refund', type: 'mcp', calls: 3, completed: 1, failed: 0, denied: 1 },
        { tool: 'lookup_order', type: 'http', calls: 2, completed: 1, failed: 1, denied: 0 },
        { tool: 'get_location', type: 'client', calls: 1, completed: 1, failed: 0, denied: 0 },
      ],
      approvals: { approved: 1, denied: 1, pending: 1 },
    });
    const day2 = await analytics.forWorkflow(ownerId, wf, { from: `${D2}T00:00:00Z`, to: `${D2}T23:00:00Z`, granularity: 'hour' });
    expect(day2.tools).toEqual({ byTool: [], approvals: { approved: 0, denied: 0, pending: 0 } });
  });

  it('lists recent thumbs-down answers of this workflow only, with the answer text', async () => {
    const res = await analytics.forWorkflow(ownerId, wf, query);
    expect(res.recentThumbsDown).toEqual([
      {
        threadId: expect.stringMatching(/^thr_/),
        itemId: t1Answer2,
        threadTitle: 'Refunds',
        principalKind: 'visitor',
        channel: 'page',
        answerText: 'Refunds take 90 days.',
        createdAt: `${D1}T10:06:00.000Z`,
      },
    ]);
  });

  it('hour buckets start at `from`; a range rounds out to whole hours', async () => {
    const res = await analytics.forWorkflow(ownerId, wf, { from: `${D1}T10:30:00Z`, to: `${D1}T11:20:00Z`, granularity: 'hour' });
    expect([res.from, res.to]).toEqual([`${D1}T10:00:00.000Z`, `${D1}T12:00:00.000Z`]);
    expect(res.buckets.map((b) => [b.userMessages.total, b.answers, b.errors.total])).toEqual([
      [2, 2, 0],
      [1, 1, 1],
    ]);
  });

  it('never crosses owners: another owner’s request is a 404', async () => {
    await expect(analytics.forWorkflow(randomUUID(), wf, query)).rejects.toMatchObject({ code: 'not_found' });
  });

  /** chat_rollup recomputed from the transcript tables, for one workflow. */
  async function recomputed(workflowId: string): Promise<string[]> {
    const rows = await ds.query<{ line: string }[]>(
      `WITH h AS (SELECT date_bin('1 hour', x, timestamptz '2000-01-01Z') AS f FROM (SELECT now() AS x) s),
       facts AS (
         SELECT t.workflow_id, date_bin('1 hour', t.created_at, timestamptz '2000-01-01Z') AS hour, 'conversations' AS metric, t.channel AS key FROM chat_threads t
         UNION ALL SELECT t.workflow_id, date_bin('1 hour', i.created_at, timestamptz '2000-01-01Z'), 'user_messages', t.channel FROM chat_items i JOIN chat_threads t ON t.id = i.thread_id WHERE i.type = 'user_message' AND NOT i.hidden
         UNION ALL SELECT t.workflow_id, date_bin('1 hour', i.created_at, timestamptz '2000-01-01Z'), 'answers', '' FROM chat_items i JOIN chat_threads t ON t.id = i.thread_id WHERE i.type = 'assistant_message' AND NOT i.hidden
         UNION ALL SELECT t.workflow_id, date_bin('1 hour', i.created_at, timestamptz '2000-01-01Z'), 'ttft', chat_ttft_bucket(i.ttft_ms)::text FROM chat_items i JOIN chat_threads t ON t.id = i.thread_id WHERE i.ttft_ms IS NOT NULL AND NOT i.hidden
         UNION ALL SELECT workflow_id, date_bin('1 hour', created_at, timestamptz '2000-01-01Z'), 'feedback', kind FROM chat_feedback
         UNION ALL SELECT workflow_id, date_bin('1 hour', created_at, timestamptz '2000-01-01Z'), 'errors', code FROM chat_answer_errors
       )
       SELECT concat_ws('|', hour::text, metric, key, count(*)) AS line FROM facts WHERE workflow_id = $1 GROUP BY hour, metric, key ORDER BY 1`,
      [workflowId],
    );
    return rows.map((r) => r.line);
  }

  async function maintained(workflowId: string): Promise<string[]> {
    const rows = await ds.query<{ line: string }[]>(
      `SELECT concat_ws('|', hour::text, metric, key, n) AS line FROM chat_rollup WHERE workflow_id = $1 AND n <> 0 ORDER BY 1`,
      [workflowId],
    );
    return rows.map((r) => r.line);
  }

  it('the rollup equals a recount of the transcript tables (after retries, deletions, hidden items)', async () => {
    expect(await maintained(wf)).toEqual(await recomputed(wf));
    expect((await maintained(wf)).length).toBeGreaterThan(10);
    expect(await maintained(otherWf)).toEqual(await recomputed(otherWf));
  });

  it('stays exact under concurrent writers on the same counters', async () => {
    const hot = await thread(ds, { workflowId: otherWf, kind: 'visitor', principal: 'v-hot', channel: 'embed', at: `${D1}T20:00:00Z` });
    await Promise.all(Array.from({ length: 24 }, () => item(ds, hot, 'user_message', `${D1}T20:10:00Z`)));
    const res = await analytics.forWorkflow(ownerId, otherWf, { from: `${D1}T20:00:00Z`, to: `${D1}T21:00:00Z`, granularity: 'hour' });
    expect(res.totals.userMessages.byChannel.embed).toBe(24);
    expect(res.totals.people.byKind.visitor).toBe(1);
    expect(await maintained(otherWf)).toEqual(await recomputed(otherWf));
  });

  it('retention deletes take their counts (and people) with them; a deleted workflow leaves no rollup rows', async () => {
    const kept = await ds.query(`INSERT INTO workflows (owner_id, name, transcript_retention_days) VALUES ($1, 'short', 1) RETURNING id`, [ownerId]);
    const short = (kept as Array<{ id: string }>)[0].id;
    const old = await thread(ds, { workflowId: short, kind: 'visitor', principal: 'v-old', channel: 'page', at: `${D1}T08:00:00Z` });
    await item(ds, old, 'user_message', `${D1}T08:00:01Z`);
    await answerError(ds, old, 'rate_limited', `${D1}T08:00:02Z`);
    expect((await analytics.forWorkflow(ownerId, short, query)).totals.people.total).toBe(1);
    await t.app.get(TranscriptRetentionService).sweep(new Date('2026-03-10T00:00:00Z'));
    const after = await analytics.forWorkflow(ownerId, short, query);
    expect([after.totals.conversations.total, after.totals.userMessages.total, after.totals.people.total, after.totals.errors.total]).toEqual([0, 0, 0, 0]);
    expect(await maintained(short)).toEqual([]);

    const doomed = await thread(ds, { workflowId: short, kind: 'visitor', principal: 'v-d', channel: 'page', at: `${D1}T08:00:00Z` });
    const q = await item(ds, doomed, 'user_message', `${D1}T08:00:01Z`);
    await feedback(ds, doomed, q, 'positive', `${D1}T08:00:03Z`);
    await ds.query(`DELETE FROM workflows WHERE id = $1`, [short]);
    const left = await ds.query<{ n: number }[]>(
      `SELECT (SELECT count(*) FROM chat_rollup WHERE workflow_id = $1)::int + (SELECT count(*) FROM chat_rollup_people WHERE workflow_id = $1)::int AS n`,
      [short],
    );
    expect([left[0].n, await ds.query(`SELECT metric, key, n FROM chat_rollup WHERE workflow_id = $1`, [short])]).toEqual([0, []]);
  });
});
