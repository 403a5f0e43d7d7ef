import { CHATKIT_INPUT_LIMITS } from '../../src/chatkit/protocol/request-validation';
import type { TestApp } from '../setup/test-app';
import { chatkit, chatter, createChatApp, createThread, input } from './helpers';

/**
 * Unbounded inputs (issue 17): each limit answers 400 `invalid_request` before any work — nothing
 * is stored, no stream opens — and the value at the limit is accepted.
 */
describe('ChatKit input limits', () => {
  let t: TestApp;
  let token: string;
  let workflowId: string;

  beforeAll(async () => {
    t = await createChatApp({ env: { RATE_LIMIT_PER_PRINCIPAL: '1000', RATE_LIMIT_PER_IP: '1000' } });
    ({ token, workflowId } = await chatter(t));
  });
  afterAll(() => t.close());

  const invalid = (field: string) => ({
    statusCode: 400,
    code: 'invalid_request',
    message: expect.any(String),
    requestId: expect.any(String),
    details: { fields: { [field]: [expect.stringMatching(/at most/)] } },
  });
  const count = async (table: string) =>
    ((await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE workflow_id = $1`, [workflowId])) as Array<{ n: number }>)[0].n;

  it('caps thread titles (threads.update)', async () => {
    const { threadId } = await createThread(t.baseUrl, token);
    const long = await chatkit(t.baseUrl, token, { type: 'threads.update', params: { thread_id: threadId, title: 'x'.repeat(1024 * 1024) } });
    expect([long.status, long.body]).toEqual([400, invalid('params.title')]);
    const max = 'x'.repeat(CHATKIT_INPUT_LIMITS.threadTitleLength);
    const ok = await chatkit(t.baseUrl, token, { type: 'threads.update', params: { thread_id: threadId, title: max } });
    expect([ok.status, ok.body.title]).toEqual([200, max]);
  });

  it('caps attachment names (attachments.create) and creates nothing', async () => {
    const before = await count('chat_attachments');
    const long = await chatkit(t.baseUrl, token, { type: 'attachments.create', params: { name: 'n'.repeat(1024 * 1024), size: 3, mime_type: 'text/plain' } });
    expect([long.status, long.body]).toEqual([400, invalid('params.name')]);
    expect(await count('chat_attachments')).toBe(before);
    const ok = await chatkit(t.baseUrl, token, {
      type: 'attachments.create',
      params: { name: 'n'.repeat(CHATKIT_INPUT_LIMITS.attachmentNameLength), size: 3, mime_type: 'text/plain' },
    });
    expect(ok.status).toBe(200);
  });

  it('caps items.feedback ids, records a batch in one go, and records nothing when one id is unknown', async () => {
    const { threadId, events } = await createThread(t.baseUrl, token, 'rate this');
    const userId = events[1].item.id as string;
    const assistantId = events.find((e) => e.type === 'thread.item.done' && e.item.type === 'assistant_message').item.id as string;

    const flood = await chatkit(t.baseUrl, token, {
      type: 'items.feedback',
      params: { thread_id: threadId, item_ids: Array.from({ length: 10_000 }, (_, i) => `msg_${i}`), kind: 'positive' },
    });
    expect([flood.status, flood.body]).toEqual([400, invalid('params.item_ids')]);
    const longId = await chatkit(t.baseUrl, token, { type: 'items.feedback', params: { thread_id: threadId, item_ids: ['m'.repeat(10_000)], kind: 'positive' } });
    expect([longId.status, longId.body]).toEqual([400, invalid('params.item_ids.0')]);

    const full = Array.from({ length: CHATKIT_INPUT_LIMITS.feedbackItemIds }, (_, i) => (i % 2 ? userId : assistantId));
    const ok = await chatkit(t.baseUrl, token, { type: 'items.feedback', params: { thread_id: threadId, item_ids: full, kind: 'positive' } });
    expect([ok.status, ok.body]).toEqual([200, {}]);
    const unknown = await chatkit(t.baseUrl, token, { type: 'items.feedback', params: { thread_id: threadId, item_ids: [assistantId, 'msg_nope'], kind: 'negative' } });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found']);
    const rows = (await t.dataSource.query(`SELECT kind, cardinality(item_ids) AS n FROM chat_feedback WHERE thread_id = $1`, [threadId])) as unknown[];
    expect(rows).toEqual([{ kind: 'positive', n: CHATKIT_INPUT_LIMITS.feedbackItemIds }]);
  });

  it('caps attachments per user message before creating the thread', async () => {
    const threads = await count('chat_threads');
    const ids = Array.from({ length: CHATKIT_INPUT_LIMITS.messageAttachments + 1 }, (_, i) => `atc_${i}`);
    const many = await chatkit(t.baseUrl, token, { type: 'threads.create', params: { input: input('files', ids) } });
    expect([many.status, many.body]).toEqual([400, invalid('params.input.attachments')]);
    expect(await count('chat_threads')).toBe(threads);
  });

  it('caps user message text (all parts and quoted_text together), separately from the body limit', async () => {
    const threads = await count('chat_threads');
    const half = 'y'.repeat(CHATKIT_INPUT_LIMITS.messageTextLength / 2);
    const big = await chatkit(t.baseUrl, token, {
      type: 'threads.create',
      params: { input: { content: [{ type: 'input_text', text: half }, { type: 'input_text', text: half }], quoted_text: 'q', attachments: [] } },
    });
    expect([big.status, big.body]).toEqual([400, invalid('params.input.content')]);
    const { threadId } = await createThread(t.baseUrl, token);
    const huge = await chatkit(t.baseUrl, token, { type: 'threads.add_user_message', params: { thread_id: threadId, input: input('z'.repeat(5 * 1024 * 1024)) } });
    expect([huge.status, huge.body]).toEqual([400, invalid('params.input.content')]);
    expect(await count('chat_threads')).toBe(threads + 1);
    const items = (await t.dataSource.query(`SELECT count(*)::int AS n FROM chat_items WHERE thread_id = $1 AND type = 'user_message'`, [threadId])) as Array<{ n: number }>;
    expect(items[0].n).toBe(1);

    const atLimit = await chatkit(t.baseUrl, token, { type: 'threads.add_user_message', params: { thread_id: threadId, input: input(half + half) } });
    expect(atLimit.status).toBe(200);
  });
});
