import type { ChatContext } from '../../src/runners/chat-context';
import type { Runner } from '../../src/chat-protocol/runner';
import type { ChatStore } from '../../src/chat-protocol/store';
import { RunnerDefinition, RunnerFactory } from '../../src/runners/runner.factory';
import { FAKE_UPSTREAM_SECRET, FakeOpenAI, startFakeOpenAI } from '../fakes/fake-openai-server';
import { createOwner } from '../factories/owners';
import type { TestApp } from '../setup/test-app';
import { chatkit, chatter, chatToken, createChatApp, createThread, createWorkflow, input } from './helpers';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ChatKit flows through the app', () => {
  let t: TestApp;
  let fake: FakeOpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await createChatApp({
      env: { OPENAI_API_KEY: 'sk-server-openai', OPENAI_BASE_URL: fake.baseUrl, GEMINI_API_KEY: 'gemini-server-key', GEMINI_BASE_URL: `${fake.origin}/v1beta/openai/` },
    });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  async function openaiChatter(provider: 'openai' | 'gemini' | 'compatible' = 'openai') {
    const owner = await createOwner(t.app);
    const workflowId = await createWorkflow(t, owner, {
      kind: 'openai',
      provider,
      model: 'fake-model',
      instructions: 'Answer briefly.',
      ...(provider === 'compatible' ? { baseUrl: `${fake.origin}/compat/v1` } : {}),
    });
    return { owner, workflowId, token: await chatToken(t, owner, workflowId) };
  }

  describe('cancellation', () => {
    it('stops the runner upstream when the client aborts, keeps the partial answer and records the hidden note', async () => {
      const { token } = await openaiChatter();
      const client = new AbortController();
      const res = await fetch(`${t.baseUrl}/api/chatkit`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'threads.create', params: { input: input('/slow 100 50') } }),
        signal: client.signal,
      });
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let text = '';
      while (!text.includes('"delta":" w3"')) {
        const chunk = await reader.read();
        if (chunk.done) throw new Error(`stream ended early: ${text}`);
        text += decoder.decode(chunk.value, { stream: true });
      }
      const threadId = JSON.parse(text.split('\n\n')[0].slice('data: '.length)).thread.id as string;
      client.abort();

      // The upstream model request is cancelled, not left running.
      await fake.waitForAborts(1);
      let rows: Array<{ type: string; hidden: boolean; data: { content: unknown } }> = [];
      for (let attempt = 0; attempt < 100; attempt++) {
        rows = (await t.dataSource.query(`SELECT type, hidden, data FROM chat_items WHERE thread_id = $1 ORDER BY ordinal`, [threadId])) as typeof rows;
        if (rows.some((row) => row.type === 'sdk_hidden_context')) break;
        await sleep(20);
      }
      expect(rows.map((row) => [row.type, row.hidden])).toEqual([
        ['user_message', false],
        ['assistant_message', false],
        ['sdk_hidden_context', true],
      ]);
      const partial = (rows[1].data.content as Array<{ text: string }>)[0].text;
      expect(partial).toMatch(/^w1 w2 w3( w\d+)*$/);
      expect(partial).not.toContain('w50');
      expect(rows[2].data.content).toBe('The user cancelled the stream. Stop responding to the prior request.');

      // The client sees the partial answer, never the hidden note; the next turn tells the model.
      const listed = await chatkit(t.baseUrl, token, { type: 'items.list', params: { thread_id: threadId, order: 'asc' } });
      expect(listed.body.data.map((item: { type: string }) => item.type)).toEqual(['user_message', 'assistant_message']);
      fake.reset();
      await chatkit(t.baseUrl, token, { type: 'threads.add_user_message', params: { thread_id: threadId, input: input('go on') } });
      expect((fake.requests[0].body as { messages: Array<{ role: string; content: string }> }).messages).toEqual([
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: '/slow 100 50' },
        { role: 'assistant', content: partial },
        { role: 'system', content: 'The user cancelled the stream. Stop responding to the prior request.' },
        { role: 'user', content: 'go on' },
      ]);
    });
  });

  describe('model providers', () => {
    it('sends each provider its own server-side key and never the OpenAI key to a workflow URL', async () => {
      for (const [provider, path, auth] of [
        ['openai', '/v1/chat/completions', 'Bearer sk-server-openai'],
        ['gemini', '/v1beta/openai/chat/completions', 'Bearer gemini-server-key'],
        ['compatible', '/compat/v1/chat/completions', 'Bearer not-needed'],
      ] as const) {
        fake.reset();
        const { token } = await openaiChatter(provider);
        const { events } = await createThread(t.baseUrl, token, 'ping');
        expect(events.find((e) => e.type === 'thread.item.done' && e.item.type === 'assistant_message').item.content[0].text).toBe('Fake: ping');
        expect([fake.requests[0].path, fake.requests[0].headers.authorization]).toEqual([path, auth]);
      }
    });

    it('turns an upstream failure into an in-band error event, never leaking the provider’s message', async () => {
      const { token } = await openaiChatter();
      const { events } = await createThread(t.baseUrl, token, '/status 503');
      expect(events.map((e) => e.type)).toEqual(['thread.created', 'thread.item.done', 'stream_options', 'error', 'thread.updated']);
      expect(events[3]).toEqual({ type: 'error', code: 'custom', message: 'The model provider returned an error (HTTP 503). Please try again.', allow_retry: true });
      expect(JSON.stringify(events)).not.toContain(FAKE_UPSTREAM_SECRET);
    });
  });

  describe('retry', () => {
    it('deletes every item after the retried user message and answers it again', async () => {
      const { token } = await chatter(t);
      const { threadId, events } = await createThread(t.baseUrl, token, 'one');
      const user1 = events[1].item.id as string;
      const second = await chatkit(t.baseUrl, token, { type: 'threads.add_user_message', params: { thread_id: threadId, input: input('two') } });
      const user2 = second.events![0].item.id as string;
      const oldAnswer = second.events!.find((e) => e.type === 'thread.item.done' && e.item.type === 'assistant_message').item.id as string;
      await chatkit(t.baseUrl, token, { type: 'threads.add_user_message', params: { thread_id: threadId, input: input('three') } });

      const retry = await chatkit(t.baseUrl, token, { type: 'threads.retry_after_item', params: { thread_id: threadId, item_id: user2 } });
      expect(retry.events!.map((e) => e.type)).toEqual(['stream_options', 'thread.item.added', 'thread.item.updated', 'thread.item.updated', 'thread.item.done']);
      const newAnswer = retry.events![4].item;
      expect(newAnswer).toMatchObject({ type: 'assistant_message', content: [{ text: 'Echo: two' }] });
      expect(newAnswer.id).not.toBe(oldAnswer);

      const items = await chatkit(t.baseUrl, token, { type: 'items.list', params: { thread_id: threadId, order: 'asc' } });
      expect(items.body.data.map((item: { id: string; type: string }) => (item.type === 'user_message' ? item.id : item.type))).toEqual([
        user1,
        'assistant_message',
        user2,
        'assistant_message',
      ]);
      expect(items.body.data[3].id).toBe(newAnswer.id);
    });
  });

  describe('client tool output', () => {
    it('completes the pending call silently (output kept verbatim) and streams the answer', async () => {
      const { token } = await chatter(t);
      const { threadId, events } = await createThread(t.baseUrl, token, '/tool lookup');
      const call = events.find((e) => e.type === 'thread.item.done' && e.item.type === 'client_tool_call').item;
      expect(call).toMatchObject({ status: 'pending', name: 'echo_tool', arguments: { text: '/tool lookup' } });
      const output = await chatkit(t.baseUrl, token, { type: 'threads.add_client_tool_output', params: { thread_id: threadId, result: { rows: 2, ok: true } } });
      expect(output.events!.map((e) => e.type)).toEqual(['stream_options', 'thread.item.added', 'thread.item.updated', 'thread.item.updated', 'thread.item.updated', 'thread.item.done']);
      expect(output.events![5].item.content[0].text).toBe('Tool result: {"rows":2,"ok":true}');
      const stored = await chatkit(t.baseUrl, token, { type: 'items.list', params: { thread_id: threadId, order: 'asc' } });
      expect(stored.body.data.map((item: { type: string }) => item.type)).toEqual(['user_message', 'client_tool_call', 'assistant_message']);
      expect(JSON.stringify(stored.body.data[1])).toBe(JSON.stringify({ ...call, status: 'completed', output: { rows: 2, ok: true } }));
      // A second output has no pending call to complete.
      const again = await chatkit(t.baseUrl, token, { type: 'threads.add_client_tool_output', params: { thread_id: threadId, result: {} } });
      expect([again.status, again.body.code]).toEqual([400, 'invalid_request']);
    });
  });

  describe('input.transcribe', () => {
    const audio = { type: 'input.transcribe', params: { audio_base64: Buffer.from('fake-opus-audio').toString('base64'), mime_type: 'audio/webm;codecs=opus' } };

    it('transcribes for openai workflows through the provider', async () => {
      const { token } = await openaiChatter('openai');
      const answer = await chatkit(t.baseUrl, token, audio);
      expect([answer.status, answer.body]).toEqual([200, { text: 'Heard 15 bytes of audio/webm in dictation.webm with gpt-4o-mini-transcribe' }]);
    });

    it.each([
      ['echo', "Dictation (input.transcribe) is not supported by this workflow's runner."],
      ['gemini', 'Dictation is not available for this workflow: its model provider (gemini) does not offer transcription through Parley.'],
    ])('answers 400 not_supported for %s workflows, with a clear message', async (kind, message) => {
      const { token } = kind === 'echo' ? await chatter(t) : await openaiChatter('gemini');
      const answer = await chatkit(t.baseUrl, token, audio);
      expect([answer.status, answer.body]).toEqual([400, { statusCode: 400, code: 'not_supported', message, requestId: expect.any(String) }]);
      expect(fake.requests).toHaveLength(0);
    });
  });
});

/** A runner factory whose runners edit the sender widget on a sync action (echo leaves it unchanged). */
class EditingRunnerFactory extends RunnerFactory {
  override create(definition: RunnerDefinition, store: ChatStore<ChatContext>): Runner<ChatContext> {
    const base = super.create(definition, store);
    return {
      respond: (...args) => base.respond(...args),
      action: (...args) => base.action(...args),
      syncAction: async (_thread, action, sender) =>
        sender ? { updated_item: { ...sender, widget: { type: 'Card', children: [{ type: 'Text', value: `Done: ${action.type}` }] } } } : {},
    };
  }
}

describe('threads.sync_custom_action', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createChatApp({ override: (b) => b.overrideProvider(RunnerFactory).useClass(EditingRunnerFactory) });
  });
  afterAll(() => t.close());

  it('persists the updated item in place', async () => {
    const { token } = await chatter(t);
    const { threadId, events } = await createThread(t.baseUrl, token, '/widget');
    const widget = events.find((e) => e.type === 'thread.item.done' && e.item.type === 'widget').item;
    const answer = await chatkit(t.baseUrl, token, { type: 'threads.sync_custom_action', params: { thread_id: threadId, item_id: widget.id, action: { type: 'echo.approve' } } });
    const updated = { ...widget, widget: { type: 'Card', children: [{ type: 'Text', value: 'Done: echo.approve' }] } };
    expect(answer.body).toEqual({ updated_item: updated });
    const thread = await chatkit(t.baseUrl, token, { type: 'threads.get_by_id', params: { thread_id: threadId } });
    expect(thread.body.items.data.map((item: { id: string }) => item.id)).toEqual([events[1].item.id, widget.id]);
    expect(thread.body.items.data[1]).toEqual(updated);
  });
});
