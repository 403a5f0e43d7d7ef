import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Queryable, TranscriptRepository } from '../../src/transcript/transcript.repository';
import { MAX_TRANSCRIPT_PAGE, TranscriptService } from '../../src/transcript/transcript.service';
import { TranscriptModule } from '../../src/transcript/transcript.module';
import type { TranscriptScope } from '../../src/transcript/transcript.types';
import { createTestApp, TestApp } from '../setup/test-app';
import { describeChatStoreContract } from './chat-store-contract';

/** Inserts an owner and a workflow straight into the tables (the transcript only needs the FK targets). */
async function insertWorkflow(dataSource: DataSource, ownerId?: string): Promise<{ ownerId: string; workflowId: string }> {
  const owner = ownerId ?? randomUUID();
  if (!ownerId) await dataSource.query(`INSERT INTO users (id, email) VALUES ($1, $2)`, [owner, `${owner}@example.com`]);
  const rows = (await dataSource.query(`INSERT INTO workflows (owner_id, name) VALUES ($1, 'wf') RETURNING id`, [owner])) as Array<{ id: string }>;
  return { ownerId: owner, workflowId: rows[0].id };
}

let t: TestApp;
let service: TranscriptService;
let wf1: { ownerId: string; workflowId: string };
let wf2: { ownerId: string; workflowId: string };

beforeAll(async () => {
  t = await createTestApp({ imports: [TranscriptModule] });
  service = t.app.get(TranscriptService);
  wf1 = await insertWorkflow(t.dataSource);
  wf2 = await insertWorkflow(t.dataSource, wf1.ownerId);
});

afterAll(() => t.close());

const scope = (workflowId: string, kind: TranscriptScope['principal']['kind'], id: string): TranscriptScope => ({ workflowId, principal: { kind, id } });

describeChatStoreContract<TranscriptScope>('TranscriptService on Postgres', async () => {
  await t.dataSource.query(`TRUNCATE agent_tool_calls, chat_threads, chat_items, chat_attachments, chat_feedback, chat_answer_errors, chat_rollup, chat_rollup_people CASCADE`);
  const alice = scope(wf1.workflowId, 'user', wf1.ownerId);
  return {
    store: service,
    alice,
    strangers: [
      { label: 'another user, same workflow', ctx: scope(wf1.workflowId, 'user', randomUUID()) },
      { label: 'same user, another workflow', ctx: scope(wf2.workflowId, 'user', wf1.ownerId) },
      { label: 'a visitor with the same id', ctx: scope(wf1.workflowId, 'visitor', wf1.ownerId) },
      { label: 'an OIDC user with the same id', ctx: scope(wf1.workflowId, 'oauth', wf1.ownerId) },
    ],
    feedbackOf: async (ctx) => {
      const rows = (await t.dataSource.query(
        `SELECT thread_id, item_ids, kind FROM chat_feedback
          WHERE workflow_id = $1 AND principal_kind = $2 AND principal_id = $3 ORDER BY id`,
        [ctx.workflowId, ctx.principal.kind, ctx.principal.id],
      )) as Array<{ thread_id: string; item_ids: string[]; kind: 'positive' | 'negative' }>;
      return rows.map((row) => ({ threadId: row.thread_id, itemIds: row.item_ids, kind: row.kind }));
    },
  };
});

describe('TranscriptService on Postgres: beyond the contract', () => {
  const alice = () => scope(wf1.workflowId, 'user', wf1.ownerId);

  beforeEach(async () => {
    await t.dataSource.query(`TRUNCATE agent_tool_calls, chat_threads, chat_items, chat_attachments, chat_feedback, chat_answer_errors, chat_rollup, chat_rollup_people CASCADE`);
  });

  it('marks hidden items in their own column and keeps them out of nothing the store returns', async () => {
    await service.saveThread({ id: 'thr_h', created_at: new Date().toISOString(), status: { type: 'active' }, metadata: {} }, alice());
    await service.addThreadItem('thr_h', { id: 'h1', thread_id: 'thr_h', created_at: new Date().toISOString(), type: 'sdk_hidden_context', content: 'note' }, alice());
    const rows = (await t.dataSource.query(`SELECT id, type, hidden FROM chat_items`)) as unknown[];
    expect(rows).toEqual([{ id: 'h1', type: 'sdk_hidden_context', hidden: true }]);
  });

  it('caps a page at MAX_TRANSCRIPT_PAGE and still offers the cursor', async () => {
    await service.saveThread({ id: 'thr_big', created_at: new Date().toISOString(), status: { type: 'active' }, metadata: {} }, alice());
    await t.dataSource.query(
      `INSERT INTO chat_items (id, thread_id, type, data) SELECT 'big_' || g, 'thr_big', 'end_of_turn', json_build_object('id', 'big_' || g) FROM generate_series(1, $1) g`,
      [MAX_TRANSCRIPT_PAGE + 5],
    );
    const page = await service.loadThreadItems('thr_big', undefined, 10_000, 'asc', alice());
    expect(page.data).toHaveLength(MAX_TRANSCRIPT_PAGE);
    expect(page).toMatchObject({ has_more: true, after: `big_${MAX_TRANSCRIPT_PAGE}` });
  });

  it('keeps the declared size, stores uploads with the sniffed type and drops the upload descriptor', async () => {
    const attachment = {
      id: 'atc_u',
      type: 'file' as const,
      name: 'n.txt',
      mime_type: 'text/plain',
      upload_descriptor: { url: 'http://x/u/atc_u', method: 'PUT' as const, headers: {} },
      metadata: { size: 5 },
    };
    await service.saveAttachment(attachment, alice());
    expect(await service.attachmentUploadState('atc_u', alice())).toEqual({ id: 'atc_u', mimeType: 'text/plain', declaredSize: 5, uploadedAt: null, threadId: null });
    const uploaded = await service.storeUpload('atc_u', Buffer.from('hello'), 'text/plain', alice());
    expect(uploaded).not.toHaveProperty('upload_descriptor');
    expect(await service.loadAttachment('atc_u', alice())).toEqual(uploaded);
    expect((await service.attachmentUploadState('atc_u', alice())).uploadedAt).toBeInstanceOf(Date);
    expect(await service.previewBytes('atc_u')).toEqual({ bytes: Buffer.from('hello'), contentType: 'text/plain' });
    await expect(service.storeUpload('atc_u', Buffer.from('x'), 'text/plain', scope(wf2.workflowId, 'user', wf1.ownerId))).rejects.toThrow('not found');
    // Write-once, also at the store: the same scope cannot replace the bytes.
    await expect(service.storeUpload('atc_u', Buffer.from('HELLO'), 'text/plain', alice())).rejects.toThrow('write-once');
  });

  it('deletes transcripts with their workflow', async () => {
    const { workflowId, ownerId } = await insertWorkflow(t.dataSource);
    const own = scope(workflowId, 'user', ownerId);
    await service.saveThread({ id: 'thr_wf', created_at: new Date().toISOString(), status: { type: 'active' }, metadata: {} }, own);
    await service.saveAttachment({ id: 'atc_wf', type: 'file', name: 'n', mime_type: 'text/plain' }, own);
    await t.dataSource.query(`DELETE FROM workflows WHERE id = $1`, [workflowId]);
    expect(await t.dataSource.query(`SELECT id FROM chat_threads UNION ALL SELECT id FROM chat_attachments`)).toEqual([]);
  });
});

/**
 * List and page queries must not get slower as the tables grow: with many threads and items in
 * the table, their plans read through indexes only, never a sequential scan.
 */
describe('transcript query plans', () => {
  const repo = () => t.app.get(TranscriptRepository);

  beforeAll(async () => {
    await t.dataSource.query(`TRUNCATE agent_tool_calls, chat_threads, chat_items, chat_attachments, chat_feedback, chat_answer_errors, chat_rollup, chat_rollup_people CASCADE`);
    // 200 principals × 5 threads × 40 items = 1000 threads, 40 000 items, spread over two workflows.
    await t.dataSource.query(
      `INSERT INTO chat_threads (id, workflow_id, principal_kind, principal_id)
       SELECT 'thr_' || p || '_' || n, CASE WHEN p % 2 = 0 THEN $1::uuid ELSE $2::uuid END, 'user', 'user_' || p
         FROM generate_series(1, 200) p, generate_series(1, 5) n`,
      [wf1.workflowId, wf2.workflowId],
    );
    await t.dataSource.query(
      `INSERT INTO chat_items (id, thread_id, type, data)
       SELECT t.id || '_i' || n, t.id, 'assistant_message', json_build_object('id', t.id || '_i' || n)
         FROM chat_threads t, generate_series(1, 40) n ORDER BY n, t.id`,
    );
    await t.dataSource.query(`ANALYZE chat_threads`);
    await t.dataSource.query(`ANALYZE chat_items`);
  });

  /** Captures the SQL a repository method sends, then EXPLAINs it with the same parameters. */
  async function planOf(call: (q: Queryable) => Promise<unknown>): Promise<string[]> {
    const captured: Array<{ sql: string; params: unknown[] }> = [];
    const recorder: Queryable = {
      query: async (sql, params) => {
        captured.push({ sql, params: params ?? [] });
        return [];
      },
    };
    await call(recorder).catch(() => undefined);
    const nodes: string[] = [];
    for (const { sql, params } of captured) {
      const [row] = (await t.dataSource.query(`EXPLAIN (FORMAT JSON) ${sql}`, params)) as Array<{ 'QUERY PLAN': unknown }>;
      const raw = row['QUERY PLAN'];
      const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: PlanNode }>;
      collect(plan[0].Plan, nodes);
    }
    return nodes;
  }

  interface PlanNode {
    'Node Type': string;
    'Relation Name'?: string;
    'Index Name'?: string;
    Plans?: PlanNode[];
  }

  function collect(node: PlanNode, into: string[]): void {
    into.push(`${node['Node Type']}${node['Relation Name'] ? ` on ${node['Relation Name']}` : ''}${node['Index Name'] ? ` using ${node['Index Name']}` : ''}`);
    for (const child of node.Plans ?? []) collect(child, into);
  }

  const owner = () => scope(wf1.workflowId, 'user', 'user_2');

  it.each([
    ['items page asc', (q: Queryable) => repo().pageItems(owner(), 'thr_2_1', null, 21, 'asc', q)],
    ['items page desc after a cursor', (q: Queryable) => repo().pageItems(owner(), 'thr_2_1', 'thr_2_1_i20', 21, 'desc', q)],
    ['one item', (q: Queryable) => repo().findItem(owner(), 'thr_2_1', 'thr_2_1_i3', q)],
    ['threads page', (q: Queryable) => repo().listThreads(owner(), 21, 'desc', null, q)],
    ['threads page after a cursor', (q: Queryable) => repo().listThreads(owner(), 21, 'asc', '3', q)],
    ['retry deletion', (q: Queryable) => repo().deleteItemsAfter(owner(), 'thr_2_1', 'thr_2_1_i3', q)],
  ])('%s uses indexes only', async (_name, call) => {
    const nodes = await planOf(call);
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes.filter((node) => node.startsWith('Seq Scan'))).toEqual([]);
    expect(nodes.some((node) => /Index|Bitmap/.test(node))).toBe(true);
  });

  it('pages a thread among 40 000 items correctly', async () => {
    const first = await service.loadThreadItems('thr_2_1', undefined, 20, 'asc', owner());
    expect(first.data.map((i) => i.id)).toEqual(Array.from({ length: 20 }, (_, n) => `thr_2_1_i${n + 1}`));
    const next = await service.loadThreadItems('thr_2_1', first.after, 20, 'asc', owner());
    expect(next).toMatchObject({ has_more: false });
    expect(next.data.map((i) => i.id)).toEqual(Array.from({ length: 20 }, (_, n) => `thr_2_1_i${n + 21}`));
  });
});
