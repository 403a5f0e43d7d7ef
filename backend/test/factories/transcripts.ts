import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';

export interface SeedThread {
  workflowId: string;
  principalKind: 'user' | 'visitor' | 'oauth';
  principalId: string;
  title?: string | null;
  messages: { role: 'user' | 'assistant'; text: string }[];
  hidden?: string[];
  createdAt?: Date;
  updatedAt?: Date;
}

const id = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;

/** Writes a thread in the same shape the ChatKit gateway stores (wire items as JSON). */
export async function seedThread(ds: DataSource, t: SeedThread): Promise<{ threadId: string; itemIds: string[] }> {
  const threadId = id('thr');
  const created = t.createdAt ?? new Date();
  await ds.query(
    `INSERT INTO chat_threads (id, workflow_id, principal_kind, principal_id, title, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [threadId, t.workflowId, t.principalKind, t.principalId, t.title ?? null, created, t.updatedAt ?? created],
  );
  const itemIds: string[] = [];
  for (const m of t.messages) {
    const itemId = id('msg');
    const item =
      m.role === 'user'
        ? { id: itemId, thread_id: threadId, created_at: created.toISOString(), type: 'user_message', content: [{ type: 'input_text', text: m.text }], attachments: [], inference_options: {} }
        : { id: itemId, thread_id: threadId, created_at: created.toISOString(), type: 'assistant_message', content: [{ type: 'output_text', text: m.text, annotations: [] }] };
    await ds.query(`INSERT INTO chat_items (id, thread_id, type, hidden, data, created_at) VALUES ($1, $2, $3, false, $4, $5)`, [
      itemId,
      threadId,
      item.type,
      JSON.stringify(item),
      created,
    ]);
    itemIds.push(itemId);
  }
  for (const h of t.hidden ?? []) {
    const itemId = id('shcx');
    await ds.query(`INSERT INTO chat_items (id, thread_id, type, hidden, data) VALUES ($1, $2, 'sdk_hidden_context', true, $3)`, [
      itemId,
      threadId,
      JSON.stringify({ id: itemId, thread_id: threadId, type: 'sdk_hidden_context', content: h }),
    ]);
  }
  return { threadId, itemIds };
}
