import { createOwner, Owner } from '../factories/owners';
import type { TestApp } from '../setup/test-app';
import { chatkit, chatToken, createChatApp, createThread, createWorkflow, input } from './helpers';

const notFound = { statusCode: 404, code: 'not_found', message: expect.any(String), requestId: expect.any(String) };

/**
 * Two users × two workflows. Alice's thread in her first workflow is tried from the three other
 * (user, workflow) pairs with every request type that names a thread, an item or an attachment:
 * each answers exactly what a missing one answers, and nothing of Alice's changes.
 */
describe('principal isolation on /api/chatkit', () => {
  let t: TestApp;
  let alice: Owner;
  let bob: Owner;
  let home: string;
  let tokens: Record<string, string>;
  let threadId: string;
  let ids: { user: string; widget: string; ask: string; tool: string; attachment: string };

  beforeAll(async () => {
    t = await createChatApp();
    alice = await createOwner(t.app, 'alice');
    bob = await createOwner(t.app, 'bob');
    home = await createWorkflow(t, alice);
    const aliceOther = await createWorkflow(t, alice);
    const bobFirst = await createWorkflow(t, bob);
    const bobSecond = await createWorkflow(t, bob);
    tokens = {
      'alice@home': await chatToken(t, alice, home),
      'alice@other-workflow': await chatToken(t, alice, aliceOther),
      'bob@own-workflow': await chatToken(t, bob, bobFirst),
      'bob@second-workflow': await chatToken(t, bob, bobSecond),
    };
    const owner = tokens['alice@home'];
    const created = await createThread(t.baseUrl, owner, 'first');
    threadId = created.threadId;
    const user = created.events[1].item.id as string;
    const widget = (await chatkit(t.baseUrl, owner, { type: 'threads.add_user_message', params: { thread_id: threadId, input: input('/widget') } })).events!.find(
      (e) => e.type === 'thread.item.done' && e.item.type === 'widget',
    ).item.id as string;
    const ask = (await chatkit(t.baseUrl, owner, { type: 'threads.add_user_message', params: { thread_id: threadId, input: input('/ask') } })).events!.find(
      (e) => e.type === 'thread.item.done' && e.item.type === 'structured_input',
    ).item.id as string;
    const tool = (await chatkit(t.baseUrl, owner, { type: 'threads.add_user_message', params: { thread_id: threadId, input: input('/tool') } })).events!.find(
      (e) => e.type === 'thread.item.done' && e.item.type === 'client_tool_call',
    ).item.id as string;
    const attachment = (await chatkit(t.baseUrl, owner, { type: 'attachments.create', params: { name: 'a.txt', size: 2, mime_type: 'text/plain' } })).body.id as string;
    ids = { user, widget, ask, tool, attachment };
  });

  afterAll(() => t.close());

  const requests = () => [
    { type: 'threads.add_user_message', params: { thread_id: threadId, input: input('hijack') } },
    { type: 'threads.add_client_tool_output', params: { thread_id: threadId, result: { x: 1 } } },
    { type: 'threads.add_structured_input', params: { thread_id: threadId, item_id: ids.ask, input: { status: 'skipped', answers: {} } } },
    { type: 'threads.retry_after_item', params: { thread_id: threadId, item_id: ids.user } },
    { type: 'threads.custom_action', params: { thread_id: threadId, item_id: ids.widget, action: { type: 'x' } } },
    { type: 'threads.custom_action', params: { thread_id: threadId, action: { type: 'x' } } },
    { type: 'threads.get_by_id', params: { thread_id: threadId } },
    { type: 'threads.update', params: { thread_id: threadId, title: 'hijacked' } },
    { type: 'threads.delete', params: { thread_id: threadId } },
    { type: 'items.list', params: { thread_id: threadId } },
    { type: 'items.feedback', params: { thread_id: threadId, item_ids: [ids.user], kind: 'negative' } },
    { type: 'threads.sync_custom_action', params: { thread_id: threadId, item_id: ids.widget, action: { type: 'x' } } },
    { type: 'threads.create', params: { input: input('steal', [ids.attachment]) } },
  ];

  it.each(['alice@other-workflow', 'bob@own-workflow', 'bob@second-workflow'])('%s gets 404 for every request naming alice@home’s data', async (who) => {
    for (const body of requests()) {
      const answer = await chatkit(t.baseUrl, tokens[who], body);
      expect({ type: body.type, status: answer.status, body: answer.body }).toEqual({ type: body.type, status: 404, body: notFound });
    }
    // Same answers as for ids that do not exist at all.
    const missing = await chatkit(t.baseUrl, tokens[who], { type: 'threads.get_by_id', params: { thread_id: 'thr_does_not_exist' } });
    expect(missing.body).toEqual(notFound);

    // Listing shows nothing of alice's, and her thread is no cursor here.
    const listed = await chatkit(t.baseUrl, tokens[who], { type: 'threads.list', params: { limit: 100 } });
    expect(JSON.stringify(listed.body)).not.toContain(threadId);
    const cursor = await chatkit(t.baseUrl, tokens[who], { type: 'threads.list', params: { after: threadId } });
    expect([cursor.status, cursor.body.code]).toEqual([400, 'invalid_request']);

    // Attachment deletion is idempotent ({}), but must not touch alice's attachment; uploads are 404.
    expect((await chatkit(t.baseUrl, tokens[who], { type: 'attachments.delete', params: { attachment_id: ids.attachment } })).body).toEqual({});
    const upload = await fetch(`${t.baseUrl}/api/chatkit/uploads/${ids.attachment}`, { method: 'PUT', headers: { authorization: `Bearer ${tokens[who]}` }, body: 'hi' });
    expect([upload.status, await upload.json()]).toEqual([404, notFound]);
  });

  it('left everything of alice@home unchanged', async () => {
    const owner = tokens['alice@home'];
    const thread = await chatkit(t.baseUrl, owner, { type: 'threads.get_by_id', params: { thread_id: threadId } });
    expect(thread.status).toBe(200);
    expect(thread.body.title).toBe('first');
    expect(thread.body.items.data.map((item: { type: string }) => item.type)).toEqual([
      'user_message',
      'assistant_message',
      'user_message',
      'widget',
      'user_message',
      'structured_input',
      'user_message',
      'client_tool_call',
    ]);
    expect(thread.body.items.data.find((item: { id: string }) => item.id === ids.ask).status).toBe('pending');
    const feedback = (await t.dataSource.query(`SELECT count(*)::int AS n FROM chat_feedback`)) as Array<{ n: number }>;
    expect(feedback[0].n).toBe(0);
    const upload = await fetch(`${t.baseUrl}/api/chatkit/uploads/${ids.attachment}`, { method: 'PUT', headers: { authorization: `Bearer ${owner}` }, body: 'hi' });
    expect(upload.status).toBe(200);
  });
});
