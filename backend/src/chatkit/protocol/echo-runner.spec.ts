import { ECHO_WIDGET, EchoRunner, titleFrom } from './echo-runner';
import { IdGenerator } from './ids';
import { MemoryChatStore } from './memory-store';
import type { ThreadItem, ThreadMetadata, ThreadStreamEvent, UserMessageContent, UserMessageItem, WidgetItem } from './types';

type Ctx = { user: string };
const ctx: Ctx = { user: 'u' };
const NOW = '2026-01-02T03:04:05.000Z';
const signal = new AbortController().signal;

function sequentialIds(): IdGenerator {
  let n = 0;
  return (kind) => `${kind}_${++n}`;
}

async function collect(events: AsyncIterable<ThreadStreamEvent>): Promise<ThreadStreamEvent[]> {
  const out: ThreadStreamEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

function userMessage(content: UserMessageContent[] | string): UserMessageItem {
  return {
    id: 'msg_user',
    thread_id: 'thr_1',
    created_at: NOW,
    type: 'user_message',
    content: typeof content === 'string' ? [{ type: 'input_text', text: content }] : content,
    attachments: [],
    inference_options: {},
  };
}

describe('EchoRunner', () => {
  let store: MemoryChatStore<Ctx>;
  let runner: EchoRunner<Ctx>;
  let thread: ThreadMetadata;

  beforeEach(async () => {
    store = new MemoryChatStore<Ctx>({ scopeOf: (c) => c.user });
    runner = new EchoRunner<Ctx>({ store, ids: sequentialIds(), clock: () => new Date(NOW) });
    thread = { id: 'thr_1', created_at: NOW, status: { type: 'active' }, metadata: {} };
    await store.saveThread(thread, ctx);
  });

  const respond = (message: UserMessageItem | null): Promise<ThreadStreamEvent[]> => collect(runner.respond(thread, message, ctx, signal));

  it('streams "Echo: T" as added, one delta per whitespace token, done; then titles the thread', async () => {
    expect(await respond(userMessage('Hello   big\tworld'))).toEqual([
      {
        type: 'thread.item.added',
        item: { id: 'message_1', thread_id: 'thr_1', created_at: NOW, type: 'assistant_message', content: [{ type: 'output_text', text: '', annotations: [] }] },
      },
      ...['Echo:', ' Hello', ' big', ' world'].map((delta) => ({
        type: 'thread.item.updated',
        item_id: 'message_1',
        update: { type: 'assistant_message.content_part.text_delta', content_index: 0, delta },
      })),
      {
        type: 'thread.item.done',
        item: {
          id: 'message_1',
          thread_id: 'thr_1',
          created_at: NOW,
          type: 'assistant_message',
          content: [{ type: 'output_text', text: 'Echo: Hello   big\tworld', annotations: [] }],
        },
      },
    ]);
    expect(thread.title).toBe('Hello   big\tworld');
  });

  it('builds T from input_text parts only', async () => {
    const events = await respond(
      userMessage([
        { type: 'input_text', text: 'Summarise ' },
        { type: 'input_tag', id: 'd', text: '@Doc', data: {}, interactive: true },
        { type: 'input_text', text: 'for me' },
      ]),
    );
    expect(events.at(-1)).toMatchObject({ item: { content: [{ text: 'Echo: Summarise for me' }] } });
    expect(thread.title).toBe('Summarise for me');
  });

  it('titles with at most 40 code points, never splitting a surrogate pair, with an ellipsis when cut', async () => {
    const text = `${'😀'.repeat(39)}ab`;
    await respond(userMessage(text));
    expect(Array.from(thread.title ?? '')).toHaveLength(40);
    expect(thread.title).toBe(`${'😀'.repeat(39)}…`);
  });

  it('cuts a long title at a word, never mid-word', () => {
    expect(titleFrom('How do I change the delivery address of my order?')).toBe('How do I change the delivery address of…');
    expect(titleFrom(`https://example.com/${'x'.repeat(60)}`)).toHaveLength(40);
    expect(Array.from(titleFrom('a'.repeat(39) + ' tail and more'))).toHaveLength(40);
  });

  it('replaces an empty title but never overwrites one', async () => {
    thread.title = '';
    await respond(userMessage('first'));
    expect(thread.title).toBe('first');
    await respond(userMessage('second'));
    expect(thread.title).toBe('first');
  });

  it('/widget emits one done widget item without copy_text', async () => {
    const events = await respond(userMessage('/widget please'));
    expect(events).toEqual([{ type: 'thread.item.done', item: { id: 'message_1', thread_id: 'thr_1', created_at: NOW, type: 'widget', widget: ECHO_WIDGET } }]);
    expect(ECHO_WIDGET).toEqual({
      type: 'Card',
      children: [
        { type: 'Text', value: 'Pick one' },
        { type: 'Button', label: 'Approve', onClickAction: { type: 'echo.approve', payload: { choice: 'yes' }, handler: 'server', loadingBehavior: 'auto', streaming: true } },
      ],
    });
  });

  it('/tool emits a pending client tool call with T as arguments and no output', async () => {
    expect(await respond(userMessage('/tool lookup'))).toEqual([
      {
        type: 'thread.item.done',
        item: { id: 'tool_call_1', thread_id: 'thr_1', created_at: NOW, type: 'client_tool_call', status: 'pending', call_id: 'call_1', name: 'echo_tool', arguments: { text: '/tool lookup' } },
      },
    ]);
  });

  it('/error emits the custom error event and still titles the thread', async () => {
    expect(await respond(userMessage('/error please'))).toEqual([{ type: 'error', code: 'custom', message: 'Echo failure', allow_retry: true }]);
    expect(thread.title).toBe('/error please');
  });

  it('/ask emits a pending structured input', async () => {
    expect(await respond(userMessage('/ask'))).toEqual([
      {
        type: 'thread.item.done',
        item: {
          id: 'message_1',
          thread_id: 'thr_1',
          created_at: NOW,
          type: 'structured_input',
          status: 'pending',
          inputs: [
            { id: 'color', question: 'Pick a color', type: 'multiple_choice', options: [{ value: 'red' }, { value: 'blue' }], multiple: false },
            { id: 'note', question: 'Anything else?', type: 'freeform' },
          ],
        },
      },
    ]);
  });

  it('/progress emits progress (no icon) then the default echo', async () => {
    const events = await respond(userMessage('/progress go'));
    expect(events[0]).toEqual({ type: 'progress_update', text: 'Thinking' });
    expect(events.slice(1).map((event) => event.type)).toEqual(['thread.item.added', 'thread.item.updated', 'thread.item.updated', 'thread.item.updated', 'thread.item.done']);
  });

  it('/hidden emits a hidden context item then the default echo', async () => {
    const events = await respond(userMessage('/hidden secret'));
    expect(events[0]).toEqual({ type: 'thread.item.done', item: { id: 'message_1', thread_id: 'thr_1', created_at: NOW, type: 'hidden_context_item', content: 'hidden: /hidden secret' } });
    expect(events.at(-1)).toMatchObject({ item: { content: [{ text: 'Echo: /hidden secret' }] } });
  });

  describe('respond(thread, null)', () => {
    const add = (item: ThreadItem): Promise<void> => store.addThreadItem('thr_1', item, ctx);

    it('answers the newest visible tool call with its output as compact JSON, skipping hidden items', async () => {
      await add({ id: 'tc', thread_id: 'thr_1', created_at: NOW, type: 'client_tool_call', status: 'completed', call_id: 'c', name: 'n', arguments: {}, output: { rows: 2, ok: true } });
      await add({ id: 'h', thread_id: 'thr_1', created_at: NOW, type: 'sdk_hidden_context', content: 'x' });
      const events = await respond(null);
      expect(events.at(-1)).toMatchObject({ item: { content: [{ text: 'Tool result: {"rows":2,"ok":true}' }] } });
      expect(thread.title).toBeUndefined();
    });

    it('treats a missing tool output as null', async () => {
      await add({ id: 'tc', thread_id: 'thr_1', created_at: NOW, type: 'client_tool_call', status: 'completed', call_id: 'c', name: 'n', arguments: {} });
      expect((await respond(null)).at(-1)).toMatchObject({ item: { content: [{ text: 'Tool result: null' }] } });
    });

    it('answers a structured input with the answer values in input order', async () => {
      await add({
        id: 'ask',
        thread_id: 'thr_1',
        created_at: NOW,
        type: 'structured_input',
        status: 'answered',
        inputs: [
          { id: 'color', question: 'q', type: 'multiple_choice', options: [], multiple: false, answer: { values: ['blue'], skipped: false } },
          { id: 'note', question: 'q', type: 'freeform', answer: { values: [], skipped: true } },
        ],
      });
      expect((await respond(null)).at(-1)).toMatchObject({ item: { content: [{ text: 'Answers: {"color":["blue"],"note":[]}' }] } });
    });

    it('emits nothing after anything else', async () => {
      await add(userMessage('hi'));
      expect(await respond(null)).toEqual([]);
    });
  });

  it('action streams "Action: <type> <JSON(payload)>", null without payload', async () => {
    const withPayload = await collect(runner.action(thread, { type: 'echo.save', payload: { n: 1, tags: ['a', 'b'] } }, null, ctx, signal));
    expect(withPayload.at(-1)).toMatchObject({ item: { content: [{ text: 'Action: echo.save {"n":1,"tags":["a","b"]}' }] } });
    const without = await collect(runner.action(thread, { type: 'echo.ping' }, null, ctx, signal));
    expect(without.at(-1)).toMatchObject({ item: { content: [{ text: 'Action: echo.ping null' }] } });
    expect(without.filter((event) => event.type === 'thread.item.updated')).toHaveLength(3);
  });

  it('syncAction returns the unchanged sender, or nothing without one', async () => {
    const sender: WidgetItem = { id: 'w', thread_id: 'thr_1', created_at: NOW, type: 'widget', widget: ECHO_WIDGET };
    expect(await runner.syncAction(thread, { type: 'x' }, sender, ctx)).toEqual({ updated_item: sender });
    expect(await runner.syncAction(thread, { type: 'x' }, null, ctx)).toEqual({});
  });
});
