import request from 'supertest';
import { TranscriptRetentionService } from '../../src/transcript/owner/transcript-retention.service';
import { createTestApp, TestApp } from '../setup/test-app';
import { createOwner, Owner } from '../factories/owners';
import { seedThread } from '../factories/transcripts';

describe('owner transcript API', () => {
  let t: TestApp;
  let owner: Owner;
  let other: Owner;
  let wfId: string;
  let otherWfId: string;
  const http = () => request(t.app.getHttpServer());
  const base = () => `/api/workflows/${wfId}/transcripts`;

  beforeAll(async () => {
    t = await createTestApp();
    owner = await createOwner(t.app, 'owner');
    other = await createOwner(t.app, 'other');
    wfId = (await http().post('/api/workflows').set('Authorization', owner.auth).send({ name: 'T' }).expect(201)).body.id;
    otherWfId = (await http().post('/api/workflows').set('Authorization', other.auth).send({ name: 'O' }).expect(201)).body.id;
  });
  afterAll(() => t.close());

  it('lists every principal’s threads newest first with readable labels (no raw ids), counts and feedback', async () => {
    const a = await seedThread(t.dataSource, {
      workflowId: wfId,
      principalKind: 'visitor',
      principalId: 'vis_0123456789abcdef',
      title: 'Refund question',
      messages: [
        { role: 'user', text: 'I want a refund' },
        { role: 'assistant', text: 'Echo: I want a refund' },
      ],
      hidden: ['The user cancelled the stream.'],
      createdAt: new Date('2026-01-01T10:00:00Z'),
    });
    await t.dataSource.query(
      `INSERT INTO chat_feedback (thread_id, item_ids, kind, workflow_id, principal_kind, principal_id) VALUES ($1, $2, 'positive', $3, 'visitor', 'vis_0123456789abcdef'), ($1, $2, 'negative', $3, 'visitor', 'vis_0123456789abcdef'), ($1, $2, 'negative', $3, 'visitor', 'vis_0123456789abcdef')`,
      [a.threadId, [a.itemIds[1]], wfId],
    );
    await seedThread(t.dataSource, {
      workflowId: wfId,
      principalKind: 'oauth',
      principalId: 'https://idp.example|alice-subject-42',
      messages: [{ role: 'user', text: 'Shipping times?' }],
      createdAt: new Date('2026-01-02T10:00:00Z'),
    });
    await seedThread(t.dataSource, { workflowId: otherWfId, principalKind: 'user', principalId: other.id, messages: [{ role: 'user', text: 'not yours' }] });

    const res = await http().get(base()).set('Authorization', owner.auth).expect(200);
    expect(res.body).toEqual({
      data: [
        {
          id: expect.stringMatching(/^thr_/),
          title: null,
          principalKind: 'oauth',
          principalLabel: 'sub_…ct42',
          hostUser: null,
          itemCount: 1,
          feedback: { positive: 0, negative: 0 },
          createdAt: '2026-01-02T10:00:00.000Z',
          updatedAt: '2026-01-02T10:00:00.000Z',
        },
        {
          id: a.threadId,
          title: 'Refund question',
          principalKind: 'visitor',
          principalLabel: 'Visitor #1',
          hostUser: null,
          itemCount: 2,
          feedback: { positive: 1, negative: 2 },
          createdAt: '2026-01-01T10:00:00.000Z',
          updatedAt: '2026-01-01T10:00:00.000Z',
        },
      ],
      nextCursor: null,
    });
    expect(res.text).not.toContain('0123456789ab');
  });

  it('labels who wrote each conversation: You, the signed-in email or name, Visitor #n by first visit', async () => {
    const wf = (await http().post('/api/workflows').set('Authorization', owner.auth).send({ name: 'Who' }).expect(201)).body.id as string;
    const seed = (principalKind: 'user' | 'visitor' | 'oauth', principalId: string, createdAt: string) =>
      seedThread(t.dataSource, { workflowId: wf, principalKind, principalId, messages: [{ role: 'user', text: 'hi' }], createdAt: new Date(createdAt) });
    await seed('visitor', 'vis_second_visitor', '2026-02-02T10:00:00Z');
    await seed('visitor', 'vis_first_visitor', '2026-02-01T10:00:00Z');
    await seed('visitor', 'vis_second_visitor', '2026-02-03T10:00:00Z');
    await seed('user', owner.id, '2026-02-04T10:00:00Z');
    await seed('oauth', 'https://idp.example|bob-subject', '2026-02-05T10:00:00Z');
    await seed('oauth', 'https://idp.example|carol-subject', '2026-02-06T10:00:00Z');
    await t.dataSource.query(
      `INSERT INTO oauth_sessions (token_hash, issuer, subject, email, email_verified, name, expires_at)
       VALUES ($1, 'https://idp.example', 'bob-subject', 'bob@example.com', true, 'Bob', now() + interval '1 hour'),
              ($2, 'https://idp.example', 'carol-subject', NULL, false, 'Carol', now() + interval '1 hour')`,
      [Buffer.from('a'.repeat(32)), Buffer.from('b'.repeat(32))],
    );
    const res = await http().get(`/api/workflows/${wf}/transcripts`).set('Authorization', owner.auth).expect(200);
    expect(res.body.data.map((d: { principalLabel: string }) => d.principalLabel)).toEqual(['Carol', 'bob@example.com', 'You', 'Visitor #2', 'Visitor #1', 'Visitor #2']);
    const exported = (await http().get(`/api/workflows/${wf}/transcripts/export?format=jsonl`).set('Authorization', owner.auth).expect(200)).text;
    const labels = exported.trim().split('\n').map((l) => (JSON.parse(l) as { principalLabel: string }).principalLabel);
    expect(new Set(labels)).toEqual(new Set(['Carol', 'bob@example.com', 'You', 'Visitor #2', 'Visitor #1']));
  });

  it('filters by time, principal kind and message text, and pages with a cursor', async () => {
    const get = async (qs: string) => (await http().get(`${base()}?${qs}`).set('Authorization', owner.auth).expect(200)).body;
    expect((await get('principalKind=visitor')).data.map((d: { title: string }) => d.title)).toEqual(['Refund question']);
    expect((await get('q=REFUND')).data).toHaveLength(1);
    expect((await get('q=shipping')).data[0].principalKind).toBe('oauth');
    expect((await get('q=%25')).data).toHaveLength(0); // a literal %, not a wildcard
    expect((await get('from=2026-01-02T00:00:00Z')).data).toHaveLength(1);
    expect((await get('to=2026-01-02T00:00:00Z')).data).toHaveLength(1);
    const page1 = await get('limit=1');
    expect(page1.data).toHaveLength(1);
    const page2 = await get(`limit=1&cursor=${page1.nextCursor}`);
    expect(page2.data).toHaveLength(1);
    expect(page2.data[0].id).not.toBe(page1.data[0].id);
    expect(page2.nextCursor).toBeNull();
  });

  it('shows one thread’s visible items with feedback, and 404s across workflows', async () => {
    const list = (await http().get(`${base()}?principalKind=visitor`).set('Authorization', owner.auth)).body;
    const threadId = list.data[0].id;
    const res = await http().get(`${base()}/${threadId}`).set('Authorization', owner.auth).expect(200);
    expect(res.body.items.map((i: { type: string }) => i.type)).toEqual(['user_message', 'assistant_message']);
    expect(res.body.feedbackEntries).toHaveLength(3);
    expect(JSON.stringify(res.body)).not.toContain('cancelled');
    await http().get(`/api/workflows/${otherWfId}/transcripts/${threadId}`).set('Authorization', other.auth).expect(404);
    await http().get(`${base()}/${threadId}`).set('Authorization', other.auth).expect(404);
    await http().get(`${base()}/thr_missing`).set('Authorization', owner.auth).expect(404);
  });

  it('pages one thread\'s items with a cursor, skipping hidden items, until nextCursor is null', async () => {
    // A workflow of its own: the export test below counts every item of the shared one.
    const wf = (await http().post('/api/workflows').set('Authorization', owner.auth).send({ name: 'Paged' }).expect(201)).body.id as string;
    const paged = `/api/workflows/${wf}/transcripts`;
    const messages = Array.from({ length: 7 }, (_, i) => ({ role: i % 2 ? ('assistant' as const) : ('user' as const), text: `m${i + 1}` }));
    const { threadId, itemIds } = await seedThread(t.dataSource, { workflowId: wf, principalKind: 'user', principalId: owner.id, messages });
    // A hidden item in the middle is never shown and never counted in a page.
    await t.dataSource.query(`UPDATE chat_items SET hidden = true WHERE id = $1`, [itemIds[3]]);
    const texts: string[][] = [];
    const cursors: Array<string | null> = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const res = await http().get(`${paged}/${threadId}${query}`).set('Authorization', owner.auth).expect(200);
      texts.push(res.body.items.map((i: { content: Array<{ text: string }> }) => i.content[0].text));
      cursor = res.body.nextCursor as string | null;
      cursors.push(cursor);
    } while (cursor);
    expect(texts).toEqual([['m1', 'm2'], ['m3', 'm5'], ['m6', 'm7']]);
    expect(cursors).toEqual([itemIds[1], itemIds[4], null]);
    // Without a limit, the default page (500) holds this thread whole.
    const whole = await http().get(`${paged}/${threadId}`).set('Authorization', owner.auth).expect(200);
    expect([whole.body.items.length, whole.body.nextCursor]).toEqual([6, null]);
    // A cursor of another thread, and bad limits, are refused.
    const other = await seedThread(t.dataSource, { workflowId: wf, principalKind: 'user', principalId: owner.id, messages: [{ role: 'user', text: 'x' }] });
    const foreign = await http().get(`${paged}/${threadId}?cursor=${other.itemIds[0]}`).set('Authorization', owner.auth).expect(400);
    expect(foreign.body).toMatchObject({ code: 'validation_failed', details: { fields: { cursor: [expect.any(String)] } } });
    await http().get(`${paged}/${threadId}?limit=0`).set('Authorization', owner.auth).expect(400);
    await http().get(`${paged}/${threadId}?limit=1001`).set('Authorization', owner.auth).expect(400);
  });

  it('exports JSON Lines and CSV with stable columns, streamed', async () => {
    const jsonl = await http().get(`${base()}/export?format=jsonl`).set('Authorization', owner.auth).buffer(true).parse((res, cb) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => cb(null, data));
    }).expect(200);
    expect(jsonl.headers['content-type']).toContain('application/x-ndjson');
    expect(jsonl.headers['content-disposition']).toBe(`attachment; filename="transcripts-${wfId}.jsonl"`);
    const lines = (jsonl.body as string).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(Object.keys(lines[0])).toEqual(['threadId', 'threadTitle', 'principalKind', 'principalLabel', 'hostUser', 'threadCreatedAt', 'itemId', 'itemType', 'itemCreatedAt', 'role', 'text', 'item']);
    expect(lines.map((l) => l.text)).toEqual(['I want a refund', 'Echo: I want a refund', 'Shipping times?']);
    const csv = await http().get(`${base()}/export?format=csv`).set('Authorization', owner.auth).expect(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const rows = csv.text.trim().split('\r\n');
    expect(rows[0]).toBe('thread_id,thread_title,principal_kind,principal_label,thread_created_at,item_id,item_type,item_created_at,role,text');
    expect(rows).toHaveLength(4);
    await http().get(`${base()}/export?format=xml`).set('Authorization', owner.auth).expect(400);
    await http().get(`/api/workflows/${otherWfId}/transcripts/export?format=csv`).set('Authorization', owner.auth).expect(404);
  });

  it('neutralises spreadsheet formulas in CSV cells', async () => {
    const wf = (await http().post('/api/workflows').set('Authorization', owner.auth).send({ name: 'csv' }).expect(201)).body.id;
    await seedThread(t.dataSource, { workflowId: wf, principalKind: 'visitor', principalId: 'vis_x', title: '=HYPERLINK("x")', messages: [{ role: 'user', text: 'a,"b"' }] });
    const csv = await http().get(`/api/workflows/${wf}/transcripts/export?format=csv`).set('Authorization', owner.auth).expect(200);
    const line = csv.text.trim().split('\r\n')[1];
    expect(line).toContain(`"'=HYPERLINK(""x"")"`);
    expect(line.endsWith(',user,"a,""b"""')).toBe(true);
  });

  it('deletes a thread with its items; others cannot', async () => {
    const { threadId } = await seedThread(t.dataSource, { workflowId: wfId, principalKind: 'user', principalId: owner.id, messages: [{ role: 'user', text: 'bye' }] });
    await http().delete(`${base()}/${threadId}`).set('Authorization', other.auth).expect(404);
    await http().delete(`${base()}/${threadId}`).set('Authorization', owner.auth).expect(204);
    await http().delete(`${base()}/${threadId}`).set('Authorization', owner.auth).expect(404);
    expect(await t.dataSource.query(`SELECT 1 FROM chat_items WHERE thread_id = $1`, [threadId])).toEqual([]);
  });

  it('requires an owner credential and validates input', async () => {
    expect((await http().get(base()).expect(401)).body.code).toBe('unauthenticated');
    const bad = await http().get(`${base()}?principalKind=robot&from=yesterday`).set('Authorization', owner.auth).expect(400);
    expect(Object.keys(bad.body.details.fields).sort()).toEqual(['from', 'principalKind']);
  });

  it('retention deletes threads past the workflow override or the global default', async () => {
    const wf = (await http().post('/api/workflows').set('Authorization', owner.auth).send({ name: 'short', transcriptRetentionDays: 7 }).expect(201)).body;
    expect(wf.transcriptRetentionDays).toBe(7);
    const old = await seedThread(t.dataSource, { workflowId: wf.id, principalKind: 'visitor', principalId: 'vis_old', messages: [{ role: 'user', text: 'old' }], createdAt: new Date(Date.now() - 10 * 86400_000) });
    const fresh = await seedThread(t.dataSource, { workflowId: wf.id, principalKind: 'visitor', principalId: 'vis_new', messages: [{ role: 'user', text: 'new' }] });
    const keep = await seedThread(t.dataSource, { workflowId: wfId, principalKind: 'visitor', principalId: 'vis_keep', messages: [{ role: 'user', text: 'kept' }], createdAt: new Date(Date.now() - 400 * 86400_000) });
    const deleted = await t.app.get(TranscriptRetentionService).sweep();
    expect(deleted).toBe(1);
    const ids = (await t.dataSource.query(`SELECT id FROM chat_threads`)).map((r: { id: string }) => r.id);
    expect(ids).not.toContain(old.threadId);
    expect(ids).toEqual(expect.arrayContaining([fresh.threadId, keep.threadId]));
  });
});

describe('global transcript retention', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { TRANSCRIPT_RETENTION_DAYS: '30' } });
  });
  afterAll(() => t.close());

  it('applies TRANSCRIPT_RETENTION_DAYS when a workflow has no override', async () => {
    const owner = await createOwner(t.app);
    const wf = (await request(t.app.getHttpServer()).post('/api/workflows').set('Authorization', owner.auth).send({ name: 'g' }).expect(201)).body.id;
    const old = await seedThread(t.dataSource, { workflowId: wf, principalKind: 'visitor', principalId: 'vis_a', messages: [], createdAt: new Date(Date.now() - 31 * 86400_000) });
    await seedThread(t.dataSource, { workflowId: wf, principalKind: 'visitor', principalId: 'vis_b', messages: [], createdAt: new Date(Date.now() - 29 * 86400_000) });
    expect(await t.app.get(TranscriptRetentionService).sweep()).toBe(1);
    expect(await t.dataSource.query(`SELECT 1 FROM chat_threads WHERE id = $1`, [old.threadId])).toEqual([]);
  });
});
