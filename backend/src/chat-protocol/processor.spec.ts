import { EchoRunner } from './echo-runner';
import {
  ChatKitCancelledError,
  ChatKitCustomStreamError,
  ChatKitInvalidRequestError,
  ChatKitNotFoundError,
  ChatKitNotSupportedError,
  ChatKitStreamError,
} from './errors';
import { IdGenerator } from './ids';
import { MemoryChatStore } from '../../test/fakes/memory-store';
import { applyStructuredInput, CANCELLED_STREAM_NOTE, ChatKitProcessor, ChatKitProcessorOptions, ChatKitResult } from './processor';
import type { Runner } from './runner';
import type {
  Action,
  AssistantMessageItem,
  StructuredInputItem,
  ThreadItem,
  ThreadMetadata,
  ThreadStreamEvent,
  UserMessageItem,
  WidgetItem,
} from './types';

type Ctx = { user: string };
const alice: Ctx = { user: 'alice' };
const bob: Ctx = { user: 'bob' };
const NOW = '2026-01-02T03:04:05.000Z';

function sequentialIds(): IdGenerator {
  let n = 0;
  return (kind) => `${kind}_${++n}`;
}

type RespondFn = (thread: ThreadMetadata, message: UserMessageItem | null, ctx: Ctx, signal: AbortSignal) => AsyncIterable<ThreadStreamEvent>;

/** A runner whose behaviour each test scripts; unscripted methods fall back to the echo runner. */
function scriptedRunner(echo: EchoRunner<Ctx>, script: Partial<Runner<Ctx>> & { respond?: RespondFn }): Runner<Ctx> {
  return {
    respond: script.respond ?? ((thread, message, ctx, signal) => echo.respond(thread, message, ctx, signal)),
    action: script.action ?? ((thread, action, sender, ctx, signal) => echo.action(thread, action, sender, ctx, signal)),
    syncAction: script.syncAction ?? ((thread, action, sender, ctx) => echo.syncAction(thread, action, sender, ctx)),
    ...(script.transcribe ? { transcribe: script.transcribe } : {}),
    ...(script.prepareAction ? { prepareAction: script.prepareAction } : {}),
  };
}

interface Harness {
  store: MemoryChatStore<Ctx>;
  processor: ChatKitProcessor<Ctx>;
  streamErrors: unknown[];
  deletedBytes: string[];
}

function harness(script: Partial<Runner<Ctx>> & { respond?: RespondFn } = {}, overrides: Partial<ChatKitProcessorOptions<Ctx>> = {}): Harness {
  const store = new MemoryChatStore<Ctx>({ scopeOf: (ctx) => ctx.user });
  const ids = sequentialIds();
  const clock = (): Date => new Date(NOW);
  const echo = new EchoRunner<Ctx>({ store, ids, clock });
  const runner = scriptedRunner(echo, script);
  const streamErrors: unknown[] = [];
  const deletedBytes: string[] = [];
  const processor = new ChatKitProcessor<Ctx>({
    store,
    runners: () => runner,
    ids,
    clock,
    attachments: {
      uploadUrl: (id) => `https://parley.test/api/chatkit/uploads/${id}`,
      deleteBytes: async (attachment) => {
        deletedBytes.push(attachment.id);
      },
    },
    onStreamError: (error) => streamErrors.push(error),
    ...overrides,
  });
  return { store, processor, streamErrors, deletedBytes };
}

async function collect(result: ChatKitResult): Promise<ThreadStreamEvent[]> {
  if (result.kind !== 'stream') throw new Error(`expected a stream, got ${JSON.stringify(result)}`);
  const events: ThreadStreamEvent[] = [];
  for await (const event of result.events) events.push(event);
  return events;
}

async function json(result: ChatKitResult): Promise<Record<string, unknown>> {
  if (result.kind !== 'json') throw new Error('expected a JSON result');
  return result.body;
}

const input = (text: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  content: [{ type: 'input_text', text }],
  attachments: [],
  inference_options: {},
  ...extra,
});

async function createThread(h: Harness, text: string, ctx: Ctx = alice): Promise<{ threadId: string; events: ThreadStreamEvent[] }> {
  const events = await collect(await h.processor.process({ type: 'threads.create', params: { input: input(text) } }, ctx));
  const created = events[0];
  if (created.type !== 'thread.created') throw new Error('no thread.created');
  return { threadId: created.thread.id, events };
}

async function storedItems(h: Harness, threadId: string): Promise<ThreadItem[]> {
  return (await h.store.loadThreadItems(threadId, undefined, 100, 'asc', alice)).data;
}

const types = (events: ThreadStreamEvent[]): string[] => events.map((event) => event.type);

describe('ChatKitProcessor', () => {
  describe('threads.create', () => {
    it('streams thread.created, the user message, stream_options, the runner events and a final thread.updated', async () => {
      const h = harness();
      const { threadId, events } = await createThread(h, 'Hello world');
      expect(threadId).toBe('thread_1');
      expect(events).toEqual([
        { type: 'thread.created', thread: { id: 'thread_1', created_at: NOW, status: { type: 'active' }, metadata: {}, items: { data: [], has_more: false } } },
        {
          type: 'thread.item.done',
          item: { id: 'message_2', thread_id: 'thread_1', created_at: NOW, type: 'user_message', content: [{ type: 'input_text', text: 'Hello world' }], attachments: [], inference_options: {} },
        },
        { type: 'stream_options', stream_options: { allow_cancel: true } },
        expect.objectContaining({ type: 'thread.item.added' }),
        expect.objectContaining({ type: 'thread.item.updated' }),
        expect.objectContaining({ type: 'thread.item.updated' }),
        expect.objectContaining({ type: 'thread.item.updated' }),
        expect.objectContaining({ type: 'thread.item.done' }),
        {
          type: 'thread.updated',
          thread: { id: 'thread_1', title: 'Hello world', created_at: NOW, status: { type: 'active' }, metadata: {}, items: { data: [], has_more: false } },
        },
      ]);
      expect((await h.store.loadThread(threadId, alice)).title).toBe('Hello world');
      expect((await storedItems(h, threadId)).map((item) => item.type)).toEqual(['user_message', 'assistant_message']);
    });

    it('keeps quoted_text and inference options on the user message', async () => {
      const h = harness();
      const events = await collect(
        await h.processor.process({ type: 'threads.create', params: { input: input('q', { quoted_text: 'Q3', inference_options: { model: 'm' } }) } }, alice),
      );
      expect(events[1]).toMatchObject({ item: { quoted_text: 'Q3', inference_options: { model: 'm' } } });
    });

    it('fails before any stream (and creates nothing) when an attachment is unknown', async () => {
      const h = harness();
      await expect(h.processor.process({ type: 'threads.create', params: { input: input('x', { attachments: ['atc_nope'] }) } }, alice)).rejects.toBeInstanceOf(
        ChatKitNotFoundError,
      );
      expect((await h.store.loadThreads(20, undefined, 'desc', alice)).data).toEqual([]);
    });

    it('creates nothing until the stream is consumed (lazy like the reference generator)', async () => {
      const h = harness();
      const result = await h.processor.process({ type: 'threads.create', params: { input: input('x') } }, alice);
      expect(result.kind).toBe('stream');
      expect((await h.store.loadThreads(20, undefined, 'desc', alice)).data).toEqual([]);
    });
  });

  describe('request errors are thrown before a stream exists', () => {
    it.each([
      ['threads.add_user_message', { thread_id: 'thr_x', input: input('hi') }],
      ['threads.add_client_tool_output', { thread_id: 'thr_x', result: {} }],
      ['threads.retry_after_item', { thread_id: 'thr_x', item_id: 'msg_x' }],
      ['threads.custom_action', { thread_id: 'thr_x', action: { type: 'a' } }],
      ['threads.add_structured_input', { thread_id: 'thr_x', item_id: 'msg_x', input: { answers: {} } }],
      ['threads.get_by_id', { thread_id: 'thr_x' }],
      ['threads.update', { thread_id: 'thr_x', title: 't' }],
      ['threads.delete', { thread_id: 'thr_x' }],
      ['items.list', { thread_id: 'thr_x' }],
      ['items.feedback', { thread_id: 'thr_x', item_ids: [], kind: 'positive' }],
      ['threads.sync_custom_action', { thread_id: 'thr_x', action: { type: 'a' } }],
    ])('%s on an unknown thread → not_found', async (type, params) => {
      const h = harness();
      await expect(h.processor.process({ type, params }, alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
    });

    it('hides another principal’s thread exactly like a missing one', async () => {
      const h = harness();
      const { threadId } = await createThread(h, 'mine');
      await expect(h.processor.process({ type: 'threads.get_by_id', params: { thread_id: threadId } }, bob)).rejects.toBeInstanceOf(ChatKitNotFoundError);
      await expect(h.processor.process({ type: 'threads.add_user_message', params: { thread_id: threadId, input: input('x') } }, bob)).rejects.toBeInstanceOf(
        ChatKitNotFoundError,
      );
    });

    it.each([
      ['threads.custom_action', { action: { type: 'a' }, item_id: 'msg_x' }],
      ['threads.sync_custom_action', { action: { type: 'a' }, item_id: 'msg_x' }],
      ['threads.add_structured_input', { item_id: 'msg_x', input: { answers: {} } }],
      ['threads.retry_after_item', { item_id: 'msg_x' }],
      ['items.feedback', { item_ids: ['msg_x'], kind: 'positive' }],
    ])('%s naming an unknown item → not_found', async (type, params) => {
      const h = harness();
      const { threadId } = await createThread(h, 'x');
      await expect(h.processor.process({ type, params: { thread_id: threadId, ...params } }, alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
    });

    it('rejects an invalid body with per-field details', async () => {
      const h = harness();
      await expect(h.processor.process({ type: 'threads.list', params: { limit: 'ten' } }, alice)).rejects.toMatchObject({
        code: 'invalid_request',
        details: { fields: { 'params.limit': ['must be an integer, got a string'] } },
      });
    });

    it('turns an unknown list cursor into invalid_request', async () => {
      const h = harness();
      const { threadId } = await createThread(h, 'x');
      for (const body of [
        { type: 'threads.list', params: { after: 'thr_nope' } },
        { type: 'items.list', params: { thread_id: threadId, after: 'msg_nope' } },
      ]) {
        await expect(h.processor.process(body, alice)).rejects.toMatchObject({
          code: 'invalid_request',
          details: { fields: { 'params.after': [expect.any(String)] } },
        });
      }
    });
  });

  describe('stream pipeline', () => {
    it('persists done items, swallows hidden ones, and filters them from lists', async () => {
      const h = harness();
      const { threadId, events } = await createThread(h, '/hidden note');
      expect(events.some((event) => 'item' in event && event.item.type === 'hidden_context_item')).toBe(false);
      expect((await storedItems(h, threadId)).map((item) => item.type)).toEqual(['user_message', 'hidden_context_item', 'assistant_message']);
      const list = await json(await h.processor.process({ type: 'items.list', params: { thread_id: threadId, order: 'asc' } }, alice));
      expect((list.data as ThreadItem[]).map((item) => item.type)).toEqual(['user_message', 'assistant_message']);
      const thread = await json(await h.processor.process({ type: 'threads.get_by_id', params: { thread_id: threadId } }, alice));
      expect((thread.items as { data: ThreadItem[] }).data.map((item) => item.type)).toEqual(['user_message', 'assistant_message']);
    });

    it('filters hidden items after paging, so a page can be shorter than limit', async () => {
      const h = harness();
      const { threadId } = await createThread(h, '/hidden note');
      const page = await json(await h.processor.process({ type: 'items.list', params: { thread_id: threadId, order: 'asc', limit: 2 } }, alice));
      expect(page).toEqual({ data: [expect.objectContaining({ type: 'user_message' })], has_more: true, after: 'message_3' });
    });

    it('applies replaced (upsert) and removed (delete) events to the store', async () => {
      const h = harness({
        respond: async function* (thread) {
          const base = { thread_id: thread.id, created_at: NOW };
          yield { type: 'thread.item.done', item: { ...base, id: 'w1', type: 'widget', widget: { type: 'Card', children: [] } } };
          yield { type: 'thread.item.done', item: { ...base, id: 'w2', type: 'widget', widget: { type: 'Card', children: [] } } };
          yield { type: 'thread.item.replaced', item: { ...base, id: 'w1', type: 'widget', widget: { type: 'Basic' } } };
          yield { type: 'thread.item.removed', item_id: 'w2' };
        },
      });
      const { threadId, events } = await createThread(h, 'x');
      expect(types(events)).toContain('thread.item.removed');
      const items = await storedItems(h, threadId);
      expect(items.map((item) => item.id)).toEqual(['message_2', 'w1']);
      expect((items[1] as WidgetItem).widget).toEqual({ type: 'Basic' });
    });

    it('emits thread.updated right after the event during which the thread changed, and not again', async () => {
      const h = harness({
        respond: async function* (thread) {
          yield { type: 'progress_update', text: 'one' };
          thread.status = { type: 'locked', reason: 'done' };
          yield { type: 'progress_update', text: 'two' };
          yield { type: 'progress_update', text: 'three' };
        },
      });
      const { threadId, events } = await createThread(h, 'x');
      expect(types(events).slice(2)).toEqual(['stream_options', 'progress_update', 'progress_update', 'thread.updated', 'progress_update']);
      expect(events[5]).toMatchObject({ thread: { status: { type: 'locked', reason: 'done' } } });
      expect((await h.store.loadThread(threadId, alice)).status).toEqual({ type: 'locked', reason: 'done' });
    });

    it('emits no thread.updated when the thread did not change', async () => {
      const h = harness();
      const { threadId } = await createThread(h, 'titled');
      const events = await collect(await h.processor.process({ type: 'threads.add_user_message', params: { thread_id: threadId, input: input('again') } }, alice));
      expect(types(events)).not.toContain('thread.updated');
    });

    it('never exposes server-side thread metadata, but saves it', async () => {
      const h = harness({
        respond: async function* (thread) {
          thread.metadata = { secret: 'workflow-42' };
          yield { type: 'progress_update', text: 'x' };
        },
      });
      const { threadId, events } = await createThread(h, 'x');
      expect(events.find((event) => event.type === 'thread.updated')).toMatchObject({ thread: { metadata: {} } });
      expect((await h.store.loadThread(threadId, alice)).metadata).toEqual({ secret: 'workflow-42' });
      const thread = await json(await h.processor.process({ type: 'threads.get_by_id', params: { thread_id: threadId } }, alice));
      expect(thread.metadata).toEqual({});
    });

    it.each([
      ['a plain Error', new Error('boom'), { type: 'error', code: 'stream.error', allow_retry: true }],
      ['ChatKitCustomStreamError', new ChatKitCustomStreamError('Quota exceeded'), { type: 'error', code: 'custom', message: 'Quota exceeded', allow_retry: false }],
      ['ChatKitStreamError', new ChatKitStreamError('stream.error', false), { type: 'error', code: 'stream.error', allow_retry: false }],
    ])('turns a thrown %s into one error event, then thread.updated, then ends', async (_name, error, expected) => {
      const h = harness({
        respond: async function* (thread) {
          yield { type: 'progress_update', text: 'working' };
          thread.title = 'changed before failing';
          throw error;
        },
      });
      const { events } = await createThread(h, 'x');
      expect(events.slice(3)).toEqual([
        { type: 'progress_update', text: 'working' },
        expected,
        { type: 'thread.updated', thread: expect.objectContaining({ title: 'changed before failing' }) as unknown },
      ]);
      expect(h.streamErrors).toEqual([error]);
    });

    it('reports a failing store write in-stream as stream.error', async () => {
      const h = harness({
        respond: async function* (thread) {
          yield { type: 'thread.item.done', item: { id: 'message_2', thread_id: thread.id, created_at: NOW, type: 'end_of_turn' } };
        },
      });
      const { events } = await createThread(h, 'x');
      // message_2 is the user message's id: inserting it again fails inside the pipeline.
      expect(events.slice(3)).toEqual([{ type: 'error', code: 'stream.error', allow_retry: true }]);
      expect(h.streamErrors).toHaveLength(1);
    });
  });

  describe('threads.retry_after_item', () => {
    it('deletes every later item (hidden ones too) without removed events and re-runs the runner', async () => {
      const h = harness();
      const { threadId } = await createThread(h, 'first');
      await collect(await h.processor.process({ type: 'threads.add_user_message', params: { thread_id: threadId, input: input('/hidden second') } }, alice));
      const events = await collect(await h.processor.process({ type: 'threads.retry_after_item', params: { thread_id: threadId, item_id: 'message_2' } }, alice));
      expect(types(events)).toEqual(['stream_options', 'thread.item.added', 'thread.item.updated', 'thread.item.updated', 'thread.item.done']);
      const items = await storedItems(h, threadId);
      expect(items.map((item) => item.type)).toEqual(['user_message', 'assistant_message']);
      expect(items[1].id).not.toBe('message_3');
    });

    it('rejects a non-user item before streaming and deletes nothing', async () => {
      const h = harness();
      const { threadId } = await createThread(h, 'first');
      await expect(h.processor.process({ type: 'threads.retry_after_item', params: { thread_id: threadId, item_id: 'message_3' } }, alice)).rejects.toBeInstanceOf(
        ChatKitInvalidRequestError,
      );
      expect(await storedItems(h, threadId)).toHaveLength(2);
    });
  });

  describe('threads.add_client_tool_output', () => {
    it('completes the newest pending call silently, drops other pending calls, then streams the answer', async () => {
      const h = harness({
        respond: async function* (thread, message, ctx, signal) {
          if (message?.content[0]?.type === 'input_text' && message.content[0].text === 'two calls') {
            const base = { thread_id: thread.id, created_at: NOW, type: 'client_tool_call' as const, status: 'pending' as const, name: 'n', arguments: {} };
            yield { type: 'thread.item.done', item: { ...base, id: 'tc_old', call_id: 'c0' } };
            yield { type: 'thread.item.done', item: { ...base, id: 'tc_new', call_id: 'c1' } };
            return;
          }
          yield* new EchoRunner<Ctx>({ store: h.store }).respond(thread, message, ctx, signal);
        },
      });
      const { threadId } = await createThread(h, 'two calls');
      const events = await collect(await h.processor.process({ type: 'threads.add_client_tool_output', params: { thread_id: threadId, result: { ok: 1 } } }, alice));
      expect(types(events)).toEqual(['stream_options', 'thread.item.added', 'thread.item.updated', 'thread.item.updated', 'thread.item.updated', 'thread.item.done']);
      expect(events.at(-1)).toMatchObject({ item: { content: [{ text: 'Tool result: {"ok":1}' }] } });
      const items = await storedItems(h, threadId);
      expect(items.map((item) => item.id)).toEqual(['message_2', 'tc_new', expect.any(String)]);
      expect(items[1]).toMatchObject({ status: 'completed', output: { ok: 1 } });
    });

    it('rejects when the newest item is not a pending tool call (even if an older one is)', async () => {
      const h = harness();
      const { threadId } = await createThread(h, '/tool x');
      await collect(await h.processor.process({ type: 'threads.add_user_message', params: { thread_id: threadId, input: input('later') } }, alice));
      await expect(h.processor.process({ type: 'threads.add_client_tool_output', params: { thread_id: threadId, result: 1 } }, alice)).rejects.toBeInstanceOf(
        ChatKitInvalidRequestError,
      );
    });
  });

  describe('threads.add_structured_input', () => {
    it('streams stream_options, the replaced item (persisted), then the answer that sees it', async () => {
      const h = harness();
      const { threadId } = await createThread(h, '/ask');
      const events = await collect(
        await h.processor.process(
          { type: 'threads.add_structured_input', params: { thread_id: threadId, item_id: 'message_3', input: { answers: { color: { values: ['blue', 'red'] } } } } },
          alice,
        ),
      );
      expect(types(events).slice(0, 3)).toEqual(['stream_options', 'thread.item.replaced', 'thread.item.added']);
      expect(events.at(-1)).toMatchObject({ item: { content: [{ text: 'Answers: {"color":["blue"],"note":[]}' }] } });
      expect(await h.store.loadItem(threadId, 'message_3', alice)).toMatchObject({ status: 'answered' });
    });

    it('rejects an item that is not pending', async () => {
      const h = harness();
      const { threadId } = await createThread(h, '/ask');
      const body = { type: 'threads.add_structured_input', params: { thread_id: threadId, item_id: 'message_3', input: { status: 'skipped' } } };
      await collect(await h.processor.process(body, alice));
      await expect(h.processor.process(body, alice)).rejects.toBeInstanceOf(ChatKitInvalidRequestError);
    });
  });

  describe('applyStructuredInput', () => {
    const item: StructuredInputItem = {
      id: 'ask',
      thread_id: 't',
      created_at: NOW,
      type: 'structured_input',
      status: 'pending',
      inputs: [
        { id: 'single', question: 'q', type: 'multiple_choice', options: [], multiple: false },
        { id: 'multi', question: 'q', type: 'multiple_choice', options: [], multiple: true },
        { id: 'free', question: 'q', type: 'freeform' },
        { id: 'empty', question: 'q', type: 'freeform' },
        { id: 'skip', question: 'q', type: 'freeform' },
        { id: 'missing', question: 'q', type: 'freeform' },
      ],
    };
    const answers = {
      single: { values: ['a', 'b'], skipped: false },
      multi: { values: ['a', 'b'], skipped: false },
      free: { values: ['text'], skipped: false },
      empty: { values: [], skipped: false },
      skip: { values: ['ignored'], skipped: true },
      unknown: { values: ['x'], skipped: false },
    };

    it('truncates single choice, keeps multi choice, skips missing/empty/skipped, ignores unknown ids', () => {
      const answered = applyStructuredInput(item, { status: 'answered', answers });
      expect(answered.status).toBe('answered');
      expect(answered.inputs.map((input) => [input.id, input.answer])).toEqual([
        ['single', { values: ['a'], skipped: false }],
        ['multi', { values: ['a', 'b'], skipped: false }],
        ['free', { values: ['text'], skipped: false }],
        ['empty', { values: [], skipped: true }],
        ['skip', { values: [], skipped: true }],
        ['missing', { values: [], skipped: true }],
      ]);
      expect(item.inputs[0]).not.toHaveProperty('answer');
    });

    it('skips everything when the status is skipped', () => {
      const skipped = applyStructuredInput(item, { status: 'skipped', answers });
      expect(skipped.status).toBe('skipped');
      expect(skipped.inputs.every((input) => input.answer?.skipped === true && input.answer.values.length === 0)).toBe(true);
    });
  });

  describe('custom actions', () => {
    it('answers a non-widget sender with exactly one stream.error event (no stream_options)', async () => {
      const h = harness();
      const { threadId } = await createThread(h, 'x');
      const events = await collect(
        await h.processor.process({ type: 'threads.custom_action', params: { thread_id: threadId, item_id: 'message_2', action: { type: 'a' } } }, alice),
      );
      expect(events).toEqual([{ type: 'error', code: 'stream.error', allow_retry: false }]);
    });

    it('passes the widget sender and the action to the runner', async () => {
      const seen: Array<[Action, WidgetItem | null]> = [];
      const h = harness({
        action: async function* (_thread, action, sender) {
          seen.push([action, sender]);
          yield { type: 'progress_update', text: 'ok' };
        },
      });
      const { threadId } = await createThread(h, '/widget');
      const events = await collect(
        await h.processor.process({ type: 'threads.custom_action', params: { thread_id: threadId, item_id: 'message_3', action: { type: 'a', payload: { k: 1 } } } }, alice),
      );
      expect(types(events)).toEqual(['stream_options', 'progress_update']);
      expect(seen).toEqual([[{ type: 'a', payload: { k: 1 } }, expect.objectContaining({ id: 'message_3', type: 'widget' })]]);
    });

    it('lets the runner refuse an action before the stream opens (prepareAction), and never calls action then', async () => {
      let acted = false;
      const h = harness({
        prepareAction: async (_thread, action, sender) => {
          if (action.type === 'refused') throw new ChatKitInvalidRequestError(`no ${action.type} from ${sender?.id}`);
        },
        action: async function* () {
          acted = true;
          yield { type: 'progress_update', text: 'ok' };
        },
      });
      const { threadId } = await createThread(h, '/widget');
      await expect(h.processor.process({ type: 'threads.custom_action', params: { thread_id: threadId, item_id: 'message_3', action: { type: 'refused' } } }, alice)).rejects.toThrow(
        'no refused from message_3',
      );
      expect(acted).toBe(false);
      const events = await collect(await h.processor.process({ type: 'threads.custom_action', params: { thread_id: threadId, item_id: 'message_3', action: { type: 'fine' } } }, alice));
      expect(types(events)).toEqual(['stream_options', 'progress_update']);
    });

    it('sync: persists the updated item (Parley deviation) and returns it; {} without one', async () => {
      const h = harness({
        syncAction: async (_thread, _action, sender) => (sender ? { updated_item: { ...sender, widget: { type: 'Basic', children: [] } } } : {}),
      });
      const { threadId } = await createThread(h, '/widget');
      const body = await json(
        await h.processor.process({ type: 'threads.sync_custom_action', params: { thread_id: threadId, item_id: 'message_3', action: { type: 'a' } } }, alice),
      );
      expect(body).toEqual({ updated_item: expect.objectContaining({ id: 'message_3', widget: { type: 'Basic', children: [] } }) });
      expect(await h.store.loadItem(threadId, 'message_3', alice)).toMatchObject({ widget: { type: 'Basic', children: [] } });
      expect(await json(await h.processor.process({ type: 'threads.sync_custom_action', params: { thread_id: threadId, action: { type: 'a' } } }, alice))).toEqual({});
    });

    it('sync: rejects a non-widget sender', async () => {
      const h = harness();
      const { threadId } = await createThread(h, 'x');
      await expect(
        h.processor.process({ type: 'threads.sync_custom_action', params: { thread_id: threadId, item_id: 'message_2', action: { type: 'a' } } }, alice),
      ).rejects.toBeInstanceOf(ChatKitInvalidRequestError);
    });
  });

  describe('JSON requests', () => {
    it('get_by_id embeds the oldest 20 items ascending with has_more and after', async () => {
      const h = harness();
      const { threadId } = await createThread(h, 'm1');
      for (let n = 2; n <= 11; n++) {
        await collect(await h.processor.process({ type: 'threads.add_user_message', params: { thread_id: threadId, input: input(`m${n}`) } }, alice));
      }
      const thread = await json(await h.processor.process({ type: 'threads.get_by_id', params: { thread_id: threadId } }, alice));
      const items = thread.items as { data: ThreadItem[]; has_more: boolean; after?: string };
      expect(items.data).toHaveLength(20);
      expect(items.data[0]).toMatchObject({ type: 'user_message', content: [{ text: 'm1' }] });
      expect(items.has_more).toBe(true);
      expect(items.after).toBe(items.data[19].id);
    });

    it('lists threads newest first with empty item pages and omits after on the last page', async () => {
      const h = harness();
      await createThread(h, 'a');
      await createThread(h, 'b');
      const page = await json(await h.processor.process({ type: 'threads.list', params: {} }, alice));
      expect(page).toEqual({
        data: [expect.objectContaining({ title: 'b', items: { data: [], has_more: false } }), expect.objectContaining({ title: 'a', items: { data: [], has_more: false } })],
        has_more: false,
      });
      expect(Object.keys(page)).toEqual(['data', 'has_more']);
    });

    it('update sets the title and returns the thread; delete answers {} and removes it', async () => {
      const h = harness();
      const { threadId } = await createThread(h, 'a');
      expect(await json(await h.processor.process({ type: 'threads.update', params: { thread_id: threadId, title: 'Renamed' } }, alice))).toMatchObject({
        id: threadId,
        title: 'Renamed',
        items: { data: [], has_more: false },
      });
      expect(await json(await h.processor.process({ type: 'threads.delete', params: { thread_id: threadId } }, alice))).toEqual({});
      await expect(h.processor.process({ type: 'threads.get_by_id', params: { thread_id: threadId } }, alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
    });

    it('records feedback and answers {}', async () => {
      const h = harness();
      const { threadId } = await createThread(h, 'a');
      expect(await json(await h.processor.process({ type: 'items.feedback', params: { thread_id: threadId, item_ids: ['message_3'], kind: 'positive' } }, alice))).toEqual({});
      expect(h.store.feedback).toEqual([{ scope: 'alice', threadId, itemIds: ['message_3'], kind: 'positive' }]);
    });

    it('refuses a feedback batch naming an unknown item (404) and records none of it', async () => {
      const h = harness();
      const { threadId } = await createThread(h, 'a');
      await expect(
        h.processor.process({ type: 'items.feedback', params: { thread_id: threadId, item_ids: ['message_3', 'msg_nope'], kind: 'negative' } }, alice),
      ).rejects.toBeInstanceOf(ChatKitNotFoundError);
      expect(h.store.feedback).toEqual([]);
    });

    it('does no work for a JSON request whose client already left (aborted signal)', async () => {
      const h = harness();
      const { threadId } = await createThread(h, 'a');
      const gone = new AbortController();
      gone.abort();
      await expect(
        h.processor.process({ type: 'items.feedback', params: { thread_id: threadId, item_ids: ['message_3'], kind: 'positive' } }, alice, { signal: gone.signal }),
      ).rejects.toBeInstanceOf(ChatKitCancelledError);
      await expect(h.processor.process({ type: 'threads.delete', params: { thread_id: threadId } }, alice, { signal: gone.signal })).rejects.toBeInstanceOf(
        ChatKitCancelledError,
      );
      expect(h.store.feedback).toEqual([]);
      expect(await json(await h.processor.process({ type: 'threads.get_by_id', params: { thread_id: threadId } }, alice))).toMatchObject({ id: threadId });
    });
  });

  describe('attachments', () => {
    it('creates a two-phase file attachment with an injected PUT url and never serialises metadata', async () => {
      const h = harness();
      const body = await json(await h.processor.process({ type: 'attachments.create', params: { name: 'notes.txt', size: 12, mime_type: 'text/plain' } }, alice));
      expect(body).toEqual({
        id: 'attachment_1',
        type: 'file',
        name: 'notes.txt',
        mime_type: 'text/plain',
        upload_descriptor: { url: 'https://parley.test/api/chatkit/uploads/attachment_1', method: 'PUT', headers: {} },
      });
      expect(await h.store.loadAttachment('attachment_1', alice)).toEqual(body);
    });

    it('creates image attachments only when a preview url is configured', async () => {
      const withPreview = harness({}, { attachments: { uploadUrl: (id) => `/u/${id}`, previewUrl: (id) => `https://cdn.test/${id}` } });
      const withoutPreview = harness();
      const params = { name: 'a.png', size: 1, mime_type: 'image/png' };
      const image = await json(await withPreview.processor.process({ type: 'attachments.create', params }, alice));
      expect(image).toMatchObject({ type: 'image', preview_url: 'https://cdn.test/attachment_1' });
      const file = await json(await withoutPreview.processor.process({ type: 'attachments.create', params }, alice));
      expect(file).toMatchObject({ type: 'file' });
      expect(file).not.toHaveProperty('preview_url');
    });

    it('stamps thread_id on attachments sent in a message, upserts them, and strips metadata', async () => {
      const h = harness();
      await h.store.saveAttachment({ id: 'atc_1', type: 'file', name: 'a.txt', mime_type: 'text/plain', metadata: { storageKey: 's3://secret' } }, alice);
      const events = await collect(await h.processor.process({ type: 'threads.create', params: { input: input('see', { attachments: ['atc_1'] }) } }, alice));
      expect(events[1]).toMatchObject({ item: { attachments: [{ id: 'atc_1', thread_id: 'thread_1' }] } });
      expect(JSON.stringify(events)).not.toContain('secret');
      expect(await h.store.loadAttachment('atc_1', alice)).toMatchObject({ thread_id: 'thread_1', metadata: { storageKey: 's3://secret' } });
      const list = await json(await h.processor.process({ type: 'items.list', params: { thread_id: 'thread_1' } }, alice));
      expect(JSON.stringify(list)).not.toContain('secret');
    });

    it('deletes bytes then metadata for an owned attachment; unknown or foreign ids answer {} and touch nothing', async () => {
      const h = harness();
      await h.store.saveAttachment({ id: 'atc_1', type: 'file', name: 'a', mime_type: 'text/plain' }, alice);
      expect(await json(await h.processor.process({ type: 'attachments.delete', params: { attachment_id: 'atc_1' } }, bob))).toEqual({});
      expect(h.deletedBytes).toEqual([]);
      expect(await json(await h.processor.process({ type: 'attachments.delete', params: { attachment_id: 'atc_1' } }, alice))).toEqual({});
      expect(h.deletedBytes).toEqual(['atc_1']);
      await expect(h.store.loadAttachment('atc_1', alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
    });

    it('answers not_supported when attachments are not configured', async () => {
      const h = harness({}, { attachments: undefined });
      await expect(h.processor.process({ type: 'attachments.create', params: { name: 'a', size: 1, mime_type: 'text/plain' } }, alice)).rejects.toBeInstanceOf(
        ChatKitNotSupportedError,
      );
    });
  });

  describe('input.transcribe', () => {
    it('delegates decoded audio to the runner', async () => {
      const received: Array<[number[], string]> = [];
      const h = harness({
        transcribe: async (audio) => {
          received.push([[...audio.data], audio.mime_type]);
          return { text: 'hello' };
        },
      });
      expect(await json(await h.processor.process({ type: 'input.transcribe', params: { audio_base64: 'AQID', mime_type: 'audio/ogg' } }, alice))).toEqual({ text: 'hello' });
      expect(received).toEqual([[[1, 2, 3], 'audio/ogg']]);
    });

    it('answers not_supported without a transcriber', async () => {
      const h = harness();
      await expect(h.processor.process({ type: 'input.transcribe', params: { audio_base64: 'AQID', mime_type: 'audio/ogg' } }, alice)).rejects.toBeInstanceOf(
        ChatKitNotSupportedError,
      );
    });
  });

  describe('done items stored together (one store call per batch)', () => {
    /** Store calls that write items or threads, in order. */
    function recordWrites(h: Harness): string[] {
      const calls: string[] = [];
      const store = h.store;
      const wrap = <K extends 'saveThread' | 'addThreadItem' | 'addThreadItems' | 'createThreadWithItems'>(name: K, describe: (...args: never[]) => string): void => {
        const original = (store[name] as (...args: unknown[]) => Promise<void>).bind(store);
        (store as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
          calls.push(`${name}(${(describe as (...a: unknown[]) => string)(...args)})`);
          return original(...args);
        };
      };
      wrap('saveThread', (thread: ThreadMetadata) => thread.title ?? '');
      wrap('addThreadItem', (_threadId: string, item: ThreadItem) => item.id);
      wrap('addThreadItems', (_threadId: string, items: { item: ThreadItem }[], thread: ThreadMetadata | null) => `${items.map(({ item }) => item.id).join(',')}${thread ? ` +thread ${thread.title}` : ''}`);
      wrap('createThreadWithItems', (thread: ThreadMetadata, items: { item: ThreadItem }[]) => `${thread.id},${items.map(({ item }) => item.id).join(',')}${thread.title ? ` +title ${thread.title}` : ''}`);
      return calls;
    }

    const assistant = (thread: ThreadMetadata, id: string, text = id): AssistantMessageItem => ({
      id,
      thread_id: thread.id,
      created_at: NOW,
      type: 'assistant_message',
      content: [{ type: 'output_text', text, annotations: [] }],
    });

    it('threads.create on a runner that needs the message stored: thread + message in one call, the answer + the new title in one call', async () => {
      const h = harness();
      const calls = recordWrites(h);
      const { events } = await createThread(h, 'hello');
      expect(calls).toEqual(['createThreadWithItems(thread_1,message_2)', 'addThreadItems(message_3 +thread hello)']);
      expect(types(events)).toEqual(['thread.created', 'thread.item.done', 'stream_options', 'thread.item.added', 'thread.item.updated', 'thread.item.updated', 'thread.item.done', 'thread.updated']);
    });

    it('threads.create on the echo runner (startsBeforeStored): the whole turn in one call, events as the reference', async () => {
      const h = harness();
      const plain = await createThread(harness(), 'hello');
      const calls = recordWrites(h);
      const ids = sequentialIds();
      const echo = new EchoRunner<Ctx>({ store: h.store, ids, clock: () => new Date(NOW) });
      const processor = new ChatKitProcessor<Ctx>({ store: h.store, runners: () => echo, ids, clock: () => new Date(NOW) });
      const events = await collect(await processor.process({ type: 'threads.create', params: { input: input('hello') } }, alice));
      expect(calls).toEqual(['createThreadWithItems(thread_1,message_2,message_3 +title hello)']);
      expect(types(events)).toEqual(types(plain.events));
      expect(events[0]).toEqual(plain.events[0]);
      expect((await storedItems(h, 'thread_1')).map((item) => item.type)).toEqual(['user_message', 'assistant_message']);
      // The next message: the user message, the answer in one call (the title is set already).
      calls.length = 0;
      await collect(await processor.process({ type: 'threads.add_user_message', params: { thread_id: 'thread_1', input: input('again') } }, alice));
      expect(calls).toEqual(['addThreadItems(message_4,message_5)']);
      expect((await storedItems(h, 'thread_1')).map((item) => item.type)).toEqual(['user_message', 'assistant_message', 'user_message', 'assistant_message']);
    });

    it('done items ready back to back go in one call, thread.updated where the reference sends it', async () => {
      const h = harness({
        respond: async function* (thread) {
          yield { type: 'thread.item.done', item: { id: 'wf_1', thread_id: thread.id, created_at: NOW, type: 'workflow', workflow: { type: 'custom', tasks: [], expanded: false } } };
          thread.title = 'Between';
          yield { type: 'thread.item.done', item: assistant(thread, 'a_1') };
          thread.title = 'At the end';
        },
      });
      const calls = recordWrites(h);
      const { threadId, events } = await createThread(h, 'x');
      expect(calls).toEqual(['createThreadWithItems(thread_1,message_2)', 'addThreadItems(wf_1,a_1 +thread At the end)']);
      // The reference checks the thread after each event: the change made before a_1 shows after a_1.
      expect(events.slice(3).map((e) => (e.type === 'thread.updated' ? `updated:${e.thread.title}` : e.type === 'thread.item.done' ? `done:${e.item.id}` : e.type))).toEqual([
        'done:wf_1',
        'done:a_1',
        'updated:Between',
        'updated:At the end',
      ]);
      expect((await storedItems(h, threadId)).map((item) => item.id)).toEqual(['message_2', 'wf_1', 'a_1']);
      expect((await h.store.loadThread(threadId, alice)).title).toBe('At the end');
    });

    it('a done item is stored and sent while the runner waits for I/O (no waiting for the next step)', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const h = harness({
        respond: async function* (thread) {
          yield { type: 'thread.item.done', item: assistant(thread, 'a_1') };
          await gate;
          yield { type: 'thread.item.done', item: assistant(thread, 'a_2') };
        },
      });
      const result = await h.processor.process({ type: 'threads.create', params: { input: input('x') } }, alice);
      if (result.kind !== 'stream') throw new Error('expected a stream');
      const seen: string[] = [];
      for await (const event of result.events) {
        if (event.type !== 'thread.item.done') continue;
        seen.push(event.item.id);
        if (event.item.id === 'a_1') {
          // Sent only once stored; the runner is still waiting.
          expect((await storedItems(h, 'thread_1')).map((item) => item.id)).toEqual(['message_2', 'a_1']);
          release();
        }
      }
      expect(seen).toEqual(['message_2', 'a_1', 'a_2']);
    });

    it('events the runner produced in one go are sent together, once its done items are stored', async () => {
      const h = harness();
      const result = await h.processor.process({ type: 'threads.create', params: { input: input('hello') } }, alice);
      if (result.kind !== 'stream') throw new Error('expected a stream');
      for await (const event of result.events) {
        if (event.type === 'thread.item.added') {
          // The echo answer (added, deltas, done) came in one go: its done item is already stored.
          expect((await storedItems(h, 'thread_1')).map((item) => item.type)).toEqual(['user_message', 'assistant_message']);
        }
      }
    });

    it('an event followed by a wait for I/O is sent before the runner goes on', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const h = harness({
        respond: async function* () {
          yield { type: 'progress_update', text: 'first' };
          await gate;
          yield { type: 'progress_update', text: 'second' };
        },
      });
      const result = await h.processor.process({ type: 'threads.create', params: { input: input('x') } }, alice);
      if (result.kind !== 'stream') throw new Error('expected a stream');
      const seen: string[] = [];
      for await (const event of result.events) {
        if (event.type !== 'progress_update') continue;
        seen.push(event.text);
        if (event.text === 'first') release();
      }
      expect(seen).toEqual(['first', 'second']);
    });

    it('a runner failing right after a done item: the item is stored and sent, then the error event', async () => {
      const h = harness({
        respond: async function* (thread) {
          yield { type: 'thread.item.done', item: assistant(thread, 'a_1') };
          throw new ChatKitCustomStreamError('boom', true);
        },
      });
      const { threadId, events } = await createThread(h, 'x');
      expect(types(events).slice(-2)).toEqual(['thread.item.done', 'error']);
      expect((await storedItems(h, threadId)).map((item) => item.id)).toEqual(['message_2', 'a_1']);
    });

    it('aborted while gathering a batch: the done items gathered are stored, then the cancellation note', async () => {
      const controller = new AbortController();
      const h = harness({
        respond: async function* (thread) {
          yield { type: 'thread.item.done', item: assistant(thread, 'a_1') };
          controller.abort(); // the client leaves while the processor looks ahead
          yield { type: 'thread.item.done', item: assistant(thread, 'a_2') };
        },
      });
      const result = await h.processor.process({ type: 'threads.create', params: { input: input('x') } }, alice, { signal: controller.signal });
      const events = await collect(result);
      expect(types(events)).toEqual(['thread.created', 'thread.item.done', 'stream_options']);
      const stored = await storedItems(h, 'thread_1');
      expect(stored.map((item) => item.type)).toEqual(['user_message', 'assistant_message', 'sdk_hidden_context']);
      expect(stored[1].id).toBe('a_1');
    });

    it('a client that stops reading after the first of two done items still leaves both stored, then the note', async () => {
      const h = harness({
        respond: async function* (thread) {
          yield { type: 'thread.item.done', item: assistant(thread, 'a_1') };
          yield { type: 'thread.item.done', item: assistant(thread, 'a_2') };
        },
      });
      const result = await h.processor.process({ type: 'threads.create', params: { input: input('x') } }, alice);
      if (result.kind !== 'stream') throw new Error('expected a stream');
      for await (const event of result.events) if (event.type === 'thread.item.done' && event.item.id === 'a_1') break;
      expect((await storedItems(h, 'thread_1')).map((item) => item.id)).toEqual(['message_2', 'a_1', 'a_2', 'sdk_hidden_context_3']);
    });

    it('a store without the batch methods gets the same calls one by one, and the same events', async () => {
      const plain = harness();
      const batched = harness();
      const calls = recordWrites(plain);
      const store = plain.store as unknown as Record<string, unknown>;
      store.addThreadItems = undefined;
      store.createThreadWithItems = undefined;
      const a = await createThread(plain, 'hello');
      const b = await createThread(batched, 'hello');
      expect(a.events).toEqual(b.events);
      expect(calls).toEqual(['saveThread()', 'addThreadItem(message_2)', 'addThreadItem(message_3)', 'saveThread(hello)']);
      expect(await storedItems(plain, a.threadId)).toEqual(await storedItems(batched, b.threadId));
    });
  });

  describe('a runner that starts before the new thread is stored (startsBeforeStored)', () => {
    /** A harness whose store holds `createThreadWithItem` until `release`, or fails it. */
    function gated(respond: RespondFn, outcome: 'store' | 'fail' = 'store') {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const h = harness({ respond });
      const original = h.store.createThreadWithItems.bind(h.store);
      h.store.createThreadWithItems = async (...args: Parameters<typeof original>) => {
        await gate;
        if (outcome === 'fail') throw new Error('database down');
        return original(...args);
      };
      return { h, release };
    }
    const early = (respond: RespondFn): RespondFn => respond;

    async function processEarly(h: Harness, signal?: AbortSignal): Promise<AsyncIterable<ThreadStreamEvent>> {
      // The scripted runner of the harness gets the flag through `runners`.
      const runner = (h.processor as unknown as { options: { runners: (ctx: Ctx) => Runner<Ctx> } }).options.runners(alice);
      (runner as { startsBeforeStored?: boolean }).startsBeforeStored = true;
      const result = await h.processor.process({ type: 'threads.create', params: { input: input('x') } }, alice, signal ? { signal } : {});
      if (result.kind !== 'stream') throw new Error('expected a stream');
      return result.events;
    }

    it('its request starts while the write is in flight; nothing is sent before the thread and message are stored', async () => {
      const calls: string[] = [];
      const { h, release } = gated(
        early(async function* (thread) {
          calls.push('respond started');
          yield { type: 'thread.item.done', item: { id: 'a_1', thread_id: thread.id, created_at: NOW, type: 'assistant_message', content: [{ type: 'output_text', text: 'hi', annotations: [] }] } };
        }),
      );
      const events = (await processEarly(h))[Symbol.asyncIterator]();
      const first = events.next();
      await new Promise((resolve) => setImmediate(resolve));
      expect(calls).toEqual(['respond started']);
      await expect(h.store.loadThread('thread_1', alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
      release();
      expect((await first).value).toMatchObject({ type: 'thread.created' });
      const rest: ThreadStreamEvent[] = [];
      for (let step = await events.next(); !step.done; step = await events.next()) rest.push(step.value);
      expect(types(rest)).toEqual(['thread.item.done', 'stream_options', 'thread.item.done']);
      expect((await storedItems(h, 'thread_1')).map((item) => item.id)).toEqual(['message_2', 'a_1']);
    });

    it('a failed write aborts the runner and sends nothing', async () => {
      let runnerSignal: AbortSignal | undefined;
      const { h, release } = gated(
        early(async function* (_thread, _message, _ctx, signal) {
          runnerSignal = signal;
          await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
          yield { type: 'progress_update', text: 'never sent' };
        }),
        'fail',
      );
      const events = await processEarly(h);
      release();
      const seen: ThreadStreamEvent[] = [];
      await expect(
        (async () => {
          for await (const event of events) seen.push(event);
        })(),
      ).rejects.toThrow('database down');
      expect(seen).toEqual([]);
      expect(runnerSignal?.aborted).toBe(true);
    });

    it('a client leaving before the runner took over aborts the runner', async () => {
      let runnerSignal: AbortSignal | undefined;
      const { h, release } = gated(
        early(async function* (_thread, _message, _ctx, signal) {
          runnerSignal = signal;
          yield { type: 'progress_update', text: 'x' };
        }),
      );
      const events = await processEarly(h);
      release();
      for await (const event of events) if (event.type === 'thread.created') break;
      expect(runnerSignal?.aborted).toBe(true);
    });

    it('a change the runner makes to the thread at once still ends in thread.updated', async () => {
      const { h, release } = gated(
        early(async function* (thread) {
          thread.title = 'Set at the start';
          yield { type: 'progress_update', text: 'x' };
        }),
      );
      const events = await processEarly(h);
      release();
      const seen: ThreadStreamEvent[] = [];
      for await (const event of events) seen.push(event);
      expect(seen.at(-1)).toMatchObject({ type: 'thread.updated', thread: { title: 'Set at the start' } });
      expect((await h.store.loadThread('thread_1', alice)).title).toBe('Set at the start');
    });
  });

  describe('cancellation', () => {
    /** A runner that streams a partial answer, then blocks until the request is aborted. */
    function partialThenBlock(opts: { honourSignal: boolean }): RespondFn {
      return async function* (thread, _message, _ctx, signal) {
        const base = { thread_id: thread.id, created_at: NOW };
        const text: AssistantMessageItem = { ...base, id: 'asst_text', type: 'assistant_message', content: [] };
        const blank: AssistantMessageItem = { ...base, id: 'asst_blank', type: 'assistant_message', content: [{ type: 'output_text', text: '', annotations: [] }] };
        yield { type: 'thread.item.added', item: text };
        yield { type: 'thread.item.updated', item_id: 'asst_text', update: { type: 'assistant_message.content_part.added', content_index: 0, content: { type: 'output_text', text: '', annotations: [] } } };
        yield { type: 'thread.item.updated', item_id: 'asst_text', update: { type: 'assistant_message.content_part.text_delta', content_index: 0, delta: 'Hel' } };
        yield { type: 'thread.item.updated', item_id: 'asst_text', update: { type: 'assistant_message.content_part.text_delta', content_index: 0, delta: 'lo' } };
        yield { type: 'thread.item.added', item: blank };
        yield { type: 'thread.item.updated', item_id: 'asst_blank', update: { type: 'assistant_message.content_part.text_delta', content_index: 0, delta: '  ' } };
        yield { type: 'thread.item.added', item: { ...base, id: 'wf', type: 'workflow', workflow: { type: 'reasoning', tasks: [], expanded: false } } };
        yield { type: 'thread.item.added', item: { ...base, id: 'wd', type: 'widget', widget: { type: 'Card' } } };
        yield { type: 'progress_update', text: 'last before blocking' };
        await new Promise<void>((resolve) => {
          if (opts.honourSignal) signal.addEventListener('abort', () => resolve(), { once: true });
        });
        yield { type: 'progress_update', text: 'must never be sent' };
      };
    }

    async function runUntilBlocked(h: Harness, controller: AbortController): Promise<{ threadId: string; events: ThreadStreamEvent[] }> {
      const result = await h.processor.process({ type: 'threads.create', params: { input: input('x') } }, alice, { signal: controller.signal });
      if (result.kind !== 'stream') throw new Error('expected a stream');
      const events: ThreadStreamEvent[] = [];
      for await (const event of result.events) {
        events.push(event);
        if (event.type === 'progress_update') setImmediate(() => controller.abort());
      }
      const created = events[0] as Extract<ThreadStreamEvent, { type: 'thread.created' }>;
      return { threadId: created.thread.id, events };
    }

    it.each([true, false])('on abort keeps non-blank pending assistant text, drops the rest, notes the cancellation (runner honours signal: %s)', async (honourSignal) => {
      const h = harness({ respond: partialThenBlock({ honourSignal }) });
      const controller = new AbortController();
      const { threadId, events } = await runUntilBlocked(h, controller);
      expect(events.at(-1)).toEqual({ type: 'progress_update', text: 'last before blocking' });
      expect(types(events)).not.toContain('error');
      expect(types(events)).not.toContain('thread.updated');
      const items = await storedItems(h, threadId);
      expect(items.map((item) => item.id)).toEqual(['message_2', 'asst_text', expect.stringMatching(/^sdk_hidden_context_/)]);
      expect(items[1]).toMatchObject({ type: 'assistant_message', content: [{ type: 'output_text', text: 'Hello', annotations: [] }] });
      expect(items[2]).toMatchObject({ type: 'sdk_hidden_context', content: CANCELLED_STREAM_NOTE, thread_id: threadId });
      // Hidden: never listed.
      const list = await json(await h.processor.process({ type: 'items.list', params: { thread_id: threadId } }, alice));
      expect((list.data as ThreadItem[]).map((item) => item.id)).toEqual(['asst_text', 'message_2']);
      // The thread title was never set: the runner never finished.
      expect((await h.store.loadThread(threadId, alice)).title).toBeUndefined();
    });

    it('runs the same cleanup when the consumer stops iterating (a disconnect without a signal)', async () => {
      const h = harness({ respond: partialThenBlock({ honourSignal: false }) });
      const result = await h.processor.process({ type: 'threads.create', params: { input: input('x') } }, alice);
      if (result.kind !== 'stream') throw new Error('expected a stream');
      for await (const event of result.events) {
        if (event.type === 'thread.item.updated' && event.update.type === 'assistant_message.content_part.text_delta') break;
      }
      const items = await storedItems(h, 'thread_1');
      expect(items.map((item) => item.type)).toEqual(['user_message', 'assistant_message', 'sdk_hidden_context']);
      // The runner produced both deltas in one go: both were applied before either was sent.
      expect(items[1]).toMatchObject({ content: [{ text: 'Hello' }] });
    });

    it('passes the abort signal to the runner', async () => {
      let seen: AbortSignal | undefined;
      const h = harness({
        respond: async function* (_thread, _message, _ctx, signal) {
          seen = signal;
          yield { type: 'progress_update', text: 'x' };
        },
      });
      const controller = new AbortController();
      await collect(await h.processor.process({ type: 'threads.create', params: { input: input('x') } }, alice, { signal: controller.signal }));
      expect(seen).toBe(controller.signal);
    });

    it('does nothing more when aborted before the runner started (the first message was stored with the thread)', async () => {
      const h = harness();
      const controller = new AbortController();
      const result = await h.processor.process({ type: 'threads.create', params: { input: input('x') } }, alice, { signal: controller.signal });
      if (result.kind !== 'stream') throw new Error('expected a stream');
      const events: ThreadStreamEvent[] = [];
      for await (const event of result.events) {
        events.push(event);
        controller.abort();
      }
      expect(types(events)).toEqual(['thread.created']);
      // threads.create writes the thread and its first message in one call, before either event.
      expect((await storedItems(h, 'thread_1')).map((item) => item.type)).toEqual(['user_message']);
    });
  });
});
