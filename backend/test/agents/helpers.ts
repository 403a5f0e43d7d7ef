import request from 'supertest';
import { chatkit, ChatKitAnswer, WireJson } from '../chatkit/helpers';
import type { Owner } from '../factories/owners';
import type { TestApp } from '../setup/test-app';

/** The secret header value every test tool carries; it must never come back out. */
export const TOOL_SECRET = 'Bearer tool-secret-9c41d7e2';

/** An agent workflow on the fake model, created through the API. */
export async function createAgent(t: TestApp, owner: Owner, modelBaseUrl: string, tools: unknown[], extra: Record<string, unknown> = {}): Promise<string> {
  const res = await request(t.app.getHttpServer())
    .post('/api/workflows')
    .set('Authorization', owner.auth)
    .send({ name: 'Agent', runner: { kind: 'agent', provider: 'compatible', model: 'fake-model', baseUrl: modelBaseUrl, instructions: 'Use tools.', tools, ...extra } });
  if (res.status !== 201) throw new Error(`create agent answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

export const create = (text: string) => ({ type: 'threads.create', params: { input: { content: [{ type: 'input_text', text }], attachments: [], inference_options: {} } } });
export const message = (threadId: string, text: string) => ({
  type: 'threads.add_user_message',
  params: { thread_id: threadId, input: { content: [{ type: 'input_text', text }], attachments: [], inference_options: {} } },
});
export const decide = (threadId: string, itemId: string, callId: string, decision: 'approve' | 'deny') => ({
  type: 'threads.custom_action',
  params: { thread_id: threadId, item_id: itemId, action: { type: 'parley.approval', payload: { callId, decision } } },
});

/** Sends a streaming request and fails unless it answered a stream. */
export async function stream(baseUrl: string, token: string, body: unknown, headers: Record<string, string> = {}): Promise<WireJson[]> {
  const answer: ChatKitAnswer = await chatkit(baseUrl, token, body, headers);
  if (answer.status !== 200 || !answer.events) throw new Error(`expected a stream, got ${answer.status}: ${answer.text}`);
  return answer.events;
}

/** The final assistant text of a stream. */
export function finalText(events: WireJson[]): string {
  const done = events.filter((e) => e.type === 'thread.item.done' && e.item.type === 'assistant_message');
  return done.length ? (done[done.length - 1].item.content[0].text as string) : '';
}

export const doneItems = (events: WireJson[], type: string): WireJson[] => events.filter((e) => e.type === 'thread.item.done' && e.item.type === type).map((e) => e.item);

/** Tool-call rows of a thread, oldest first. */
export async function toolCalls(t: TestApp, threadId: string): Promise<WireJson[]> {
  return t.dataSource.query(`SELECT * FROM agent_tool_calls WHERE thread_id = $1 ORDER BY created_at, position`, [threadId]);
}
