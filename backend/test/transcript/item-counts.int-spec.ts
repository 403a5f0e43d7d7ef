import { randomUUID } from 'node:crypto';
import { createTestApp, TestApp } from '../setup/test-app';
import { seedThread } from '../factories/transcripts';

/**
 * `chat_threads.visible_item_count` (migration ThreadItemCounts) must equal a real count of the
 * thread's visible items after every kind of write the gateway and retention make.
 */
describe('maintained visible item counts', () => {
  let t: TestApp;
  let workflowId: string;
  beforeAll(async () => {
    t = await createTestApp();
    const owner = randomUUID();
    await t.dataSource.query(`INSERT INTO users (id, email) VALUES ($1, $2)`, [owner, `${owner}@example.com`]);
    workflowId = ((await t.dataSource.query(`INSERT INTO workflows (owner_id, name) VALUES ($1, 'wf') RETURNING id`, [owner])) as Array<{ id: string }>)[0].id;
  });
  afterAll(() => t.close());

  /** [maintained, counted] for every thread of the workflow. */
  async function counts(): Promise<Array<[number, number]>> {
    const rows = await t.dataSource.query<Array<{ kept: number; real: number }>>(
      `SELECT t.visible_item_count AS kept, (SELECT count(*)::int FROM chat_items i WHERE i.thread_id = t.id AND NOT i.hidden) AS real
         FROM chat_threads t WHERE t.workflow_id = $1 ORDER BY t.ordinal`,
      [workflowId],
    );
    return rows.map((r) => [Number(r.kept), Number(r.real)]);
  }

  it('follows inserts (single and multi-row), hidden items, upserts, hidden-flag changes and deletes', async () => {
    const a = await seedThread(t.dataSource, { workflowId, principalKind: 'user', principalId: 'u1', messages: [{ role: 'user', text: 'hi' }, { role: 'assistant', text: 'hello' }] });
    const b = await seedThread(t.dataSource, { workflowId, principalKind: 'visitor', principalId: 'v1', messages: [{ role: 'user', text: 'x' }] });
    expect(await counts()).toEqual([[2, 2], [1, 1]]);

    // One statement inserting into two threads, one of the rows hidden.
    await t.dataSource.query(
      `INSERT INTO chat_items (id, thread_id, type, hidden, data) VALUES ('i1', $1, 'assistant_message', false, '{}'), ('i2', $1, 'hidden_context_item', true, '{}'), ('i3', $2, 'assistant_message', false, '{}')`,
      [a.threadId, b.threadId],
    );
    expect(await counts()).toEqual([[3, 3], [2, 2]]);

    // Upsert of an existing item (the gateway's saveItem) changes nothing; hiding one decrements.
    await t.dataSource.query(`INSERT INTO chat_items (id, thread_id, type, hidden, data) VALUES ('i1', $1, 'assistant_message', false, '{"v":2}') ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data`, [a.threadId]);
    await t.dataSource.query(`UPDATE chat_items SET hidden = true WHERE id = 'i3'`);
    expect(await counts()).toEqual([[3, 3], [1, 1]]);

    // Retry deletes everything after an item; deleting a thread cascades to its items.
    await t.dataSource.query(`DELETE FROM chat_items WHERE thread_id = $1 AND id <> $2`, [a.threadId, a.itemIds[0]]);
    expect(await counts()).toEqual([[1, 1], [1, 1]]);
    await t.dataSource.query(`DELETE FROM chat_threads WHERE id = $1`, [b.threadId]);
    expect(await counts()).toEqual([[1, 1]]);
  });
});
