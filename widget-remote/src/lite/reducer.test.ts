import { describe, expect, it } from 'vitest';
import { applyItemUpdate } from './items';
import type { StreamEvent, StreamEventType, Thread, ThreadItem, ThreadItemUpdate } from './protocol';
import { initialLiteState, type LiteAction, liteReducer, type LiteState } from './reducer';

// Shapes from backend/test/chat-protocol/conformance/chatkit (echo runner, chatkit-python 1.6.5).
const T = '2026-01-01T00:00:00Z';
const thread = (id: string, title?: string): Thread => ({
  id,
  ...(title ? { title } : {}),
  created_at: T,
  status: { type: 'active' },
  metadata: {},
  items: { data: [], has_more: false },
});
const user = (id: string, text: string, threadId = 'thr_1'): ThreadItem => ({
  id,
  thread_id: threadId,
  created_at: T,
  type: 'user_message',
  content: [{ type: 'input_text', text }],
  attachments: [],
  inference_options: {},
});
const assistant = (id: string, text: string, threadId = 'thr_1'): ThreadItem => ({
  id,
  thread_id: threadId,
  created_at: T,
  type: 'assistant_message',
  content: [{ type: 'output_text', text, annotations: [] }],
});
const widget: ThreadItem = {
  id: 'widget1',
  thread_id: 'thr_1',
  created_at: T,
  type: 'widget',
  widget: {
    type: 'Card',
    children: [
      { type: 'Text', id: 'status', value: 'Pick' },
      {
        type: 'Button',
        label: 'Approve',
        onClickAction: { type: 'echo.approve', payload: { choice: 'yes' }, handler: 'server', streaming: true },
      },
    ],
  },
};

const run = (state: LiteState, ...actions: LiteAction[]) => actions.reduce(liteReducer, state);
const events = (state: LiteState, ...list: StreamEvent[]) =>
  run(state, ...list.map((event): LiteAction => ({ type: 'stream_event', event })));
const streamingIn = (threadId: string | null, items: ThreadItem[] = []): LiteState =>
  run(
    { ...initialLiteState, activeThreadId: threadId, thread: threadId ? thread(threadId) : null, items },
    { type: 'stream_started', outgoing: 'Hello world' },
  );

describe('liteReducer — stream events', () => {
  it('thread.created makes the new thread active and lists it first', () => {
    const state = events(
      { ...streamingIn(null), threads: [thread('thr_old', 'Old')] },
      { type: 'thread.created', thread: thread('thr_1') },
    );
    expect(state.activeThreadId).toBe('thr_1');
    expect(state.thread).toEqual({ id: 'thr_1', created_at: T, status: { type: 'active' }, metadata: {} });
    expect(state.threads.map((t) => t.id)).toEqual(['thr_1', 'thr_old']);
    expect(state.threadStatus).toBe('ready');
  });

  it('thread.updated refreshes the title on screen and in the list', () => {
    const base = events(streamingIn(null), { type: 'thread.created', thread: thread('thr_1') });
    const state = events(base, { type: 'thread.updated', thread: thread('thr_1', 'Hello world') });
    expect(state.thread?.title).toBe('Hello world');
    expect(state.threads[0]?.title).toBe('Hello world');
    // Another thread's update only touches the list.
    const other = events(state, { type: 'thread.updated', thread: thread('thr_x', 'X') });
    expect(other.thread?.id).toBe('thr_1');
    expect(other.threads).toHaveLength(1);
  });

  it('streams an echo answer: user message done, added, text deltas, done', () => {
    let state = events(
      streamingIn(null),
      { type: 'thread.created', thread: thread('thr_1') },
      { type: 'thread.item.done', item: user('user1', 'Hello world') },
    );
    expect(state.outgoing).toBeNull(); // the echo of the user message replaces the "sending" bubble
    state = events(
      state,
      { type: 'stream_options', stream_options: { allow_cancel: true } },
      { type: 'thread.item.added', item: assistant('asst1', '') },
      ...['Echo:', ' Hello', ' world'].map(
        (delta): StreamEvent => ({
          type: 'thread.item.updated',
          item_id: 'asst1',
          update: { type: 'assistant_message.content_part.text_delta', content_index: 0, delta },
        }),
      ),
    );
    expect(state.pendingItemIds).toEqual(['asst1']);
    expect(state.items[1]).toMatchObject({ content: [{ text: 'Echo: Hello world' }] });

    state = events(state, { type: 'thread.item.done', item: assistant('asst1', 'Echo: Hello world') });
    expect(state.pendingItemIds).toEqual([]);
    expect(state.items.map((i) => i.id)).toEqual(['user1', 'asst1']);
    expect(run(state, { type: 'stream_finished' })).toMatchObject({ streaming: false, outgoing: null });
  });

  it('thread.item.replaced swaps an item by id (appends an unknown one)', () => {
    const state = events(streamingIn('thr_1', [user('user1', 'hi'), widget]), {
      type: 'thread.item.replaced',
      item: { ...widget, widget: { type: 'Card', children: [] } },
    });
    expect(state.items).toHaveLength(2);
    expect(state.items[1]).toMatchObject({ id: 'widget1', widget: { children: [] } });
    const appended = events(state, { type: 'thread.item.replaced', item: assistant('asst9', 'new') });
    expect(appended.items.map((i) => i.id)).toEqual(['user1', 'widget1', 'asst9']);
  });

  it('thread.item.removed deletes the item and its pending mark', () => {
    const state = events(
      streamingIn('thr_1', [user('user1', 'hi')]),
      { type: 'thread.item.added', item: assistant('asst1', '') },
      { type: 'thread.item.removed', item_id: 'asst1' },
    );
    expect(state.items.map((i) => i.id)).toEqual(['user1']);
    expect(state.pendingItemIds).toEqual([]);
  });

  it('stream_options controls the stop button', () => {
    const state = events(streamingIn('thr_1'), { type: 'stream_options', stream_options: { allow_cancel: false } });
    expect(state.allowCancel).toBe(false);
    expect(run(state, { type: 'stream_started' }).allowCancel).toBe(true);
  });

  it('progress_update shows a transient status until the next item event', () => {
    let state = events(streamingIn('thr_1'), { type: 'progress_update', text: 'Thinking' });
    expect(state.progress).toEqual({ text: 'Thinking' });
    state = events(state, { type: 'progress_update', text: 'Searching', icon: 'search' });
    expect(state.progress).toEqual({ text: 'Searching', icon: 'search' });
    state = events(state, { type: 'thread.item.added', item: assistant('asst1', '') });
    expect(state.progress).toBeNull();
  });

  it('client_effect is recorded, not stored as an item', () => {
    const state = events(streamingIn('thr_1'), { type: 'client_effect', name: 'confetti', data: { n: 3 } });
    expect(state.lastEffect).toEqual({ name: 'confetti', data: { n: 3 } });
    expect(state.items).toEqual([]);
  });

  it('error keeps the conversation and says whether a retry is allowed', () => {
    const state = events(streamingIn('thr_1', [user('user1', '/error please')]), {
      type: 'error',
      code: 'custom',
      message: 'Echo failure',
      allow_retry: true,
    });
    expect(state.streamError).toEqual({ code: 'custom', message: 'Echo failure', allowRetry: true });
    expect(state.items).toHaveLength(1);
    expect(events(state, { type: 'error', code: 'stream.error', allow_retry: false }).streamError).toEqual({
      code: 'stream.error',
      allowRetry: false,
    });
    expect(run(state, { type: 'stream_started' }).streamError).toBeNull();
  });

  it('notice queues a dismissible notice', () => {
    let state = events(
      streamingIn('thr_1'),
      { type: 'notice', level: 'warning', message: 'Heads up', title: 'Note' },
      { type: 'notice', level: 'info', message: 'Second' },
    );
    expect(state.notices).toEqual([
      { id: 1, level: 'warning', message: 'Heads up', title: 'Note' },
      { id: 2, level: 'info', message: 'Second' },
    ]);
    state = run(state, { type: 'notice_dismissed', id: 1 });
    expect(state.notices.map((n) => n.id)).toEqual([2]);
  });

  it('ignores hidden items, items of another thread and unknown event types', () => {
    const start = streamingIn('thr_1');
    const hidden = { id: 'h1', thread_id: 'thr_1', created_at: T, type: 'hidden_context_item', content: 'x' } as ThreadItem;
    expect(events(start, { type: 'thread.item.done', item: hidden })).toBe(start);
    expect(events(start, { type: 'thread.item.added', item: assistant('a', '', 'thr_other') })).toBe(start);
    expect(events(start, { type: 'thread.item.updated', item_id: 'missing', update: { type: 'widget.root.updated', widget: { type: 'Card' } } })).toBe(start);
    expect(events(start, { type: 'thread.future_event' } as unknown as StreamEvent)).toBe(start);
  });

  it('changes state for each of the 12 stream event types (the Record type fails to compile if one is missing)', () => {
    const start = streamingIn('thr_1', [user('user1', 'hi'), assistant('asst1', 'x')]);
    const samples: Record<StreamEventType, StreamEvent> = {
      'thread.created': { type: 'thread.created', thread: thread('thr_2') },
      'thread.updated': { type: 'thread.updated', thread: thread('thr_1', 'Title') },
      'thread.item.added': { type: 'thread.item.added', item: assistant('asst2', '') },
      'thread.item.updated': {
        type: 'thread.item.updated',
        item_id: 'asst1',
        update: { type: 'assistant_message.content_part.text_delta', content_index: 0, delta: 'y' },
      },
      'thread.item.done': { type: 'thread.item.done', item: assistant('asst2', 'z') },
      'thread.item.replaced': { type: 'thread.item.replaced', item: assistant('asst1', 'replaced') },
      'thread.item.removed': { type: 'thread.item.removed', item_id: 'asst1' },
      stream_options: { type: 'stream_options', stream_options: { allow_cancel: false } },
      progress_update: { type: 'progress_update', text: 'Thinking' },
      client_effect: { type: 'client_effect', name: 'highlight', data: {} },
      error: { type: 'error', code: 'stream.error', allow_retry: true },
      notice: { type: 'notice', level: 'info', message: 'Hi' },
    };
    for (const [type, event] of Object.entries(samples)) {
      expect(events(start, event), type).not.toEqual(start);
    }
  });
});

describe('applyItemUpdate — every ThreadItemUpdate type', () => {
  const asst = assistant('asst1', '');
  const apply = (item: ThreadItem, ...updates: ThreadItemUpdate[]) => updates.reduce(applyItemUpdate, item);

  it('assistant_message.content_part.added / text_delta / annotation_added / done', () => {
    const annotation = { type: 'annotation' as const, source: { type: 'url' as const, title: 'Docs', url: 'https://d' } };
    const item = apply(
      { ...(asst as Extract<ThreadItem, { type: 'assistant_message' }>), content: [] },
      { type: 'assistant_message.content_part.added', content_index: 0, content: { type: 'output_text', text: '', annotations: [] } },
      { type: 'assistant_message.content_part.text_delta', content_index: 0, delta: 'Hel' },
      { type: 'assistant_message.content_part.text_delta', content_index: 0, delta: 'lo' },
      { type: 'assistant_message.content_part.annotation_added', content_index: 0, annotation_index: 0, annotation },
      // A delta for a part that was never announced creates it (and pads the gap).
      { type: 'assistant_message.content_part.text_delta', content_index: 2, delta: 'late' },
    );
    expect(item).toMatchObject({
      content: [
        { text: 'Hello', annotations: [annotation] },
        { text: '', annotations: [] },
        { text: 'late', annotations: [] },
      ],
    });
    const done = apply(item, {
      type: 'assistant_message.content_part.done',
      content_index: 0,
      content: { type: 'output_text', text: 'Hello!', annotations: [] },
    });
    expect(done).toMatchObject({ content: [{ text: 'Hello!', annotations: [] }, {}, { text: 'late' }] });
  });

  it('widget.streaming_text.value_delta appends to the id’d Text node', () => {
    const item = apply(
      widget,
      { type: 'widget.streaming_text.value_delta', component_id: 'status', delta: ' one', done: false },
      { type: 'widget.streaming_text.value_delta', component_id: 'status', delta: '!', done: true },
    );
    expect(item).toMatchObject({ widget: { children: [{ id: 'status', value: 'Pick one!' }, { type: 'Button' }] } });
    expect(apply(widget, { type: 'widget.streaming_text.value_delta', component_id: 'nope', delta: 'x', done: true })).toBe(widget);
  });

  it('widget.component.updated replaces a node; widget.root.updated replaces the tree', () => {
    const item = apply(widget, {
      type: 'widget.component.updated',
      component_id: 'status',
      component: { type: 'Title', id: 'status', value: 'Done' },
    });
    expect(item).toMatchObject({ widget: { children: [{ type: 'Title', value: 'Done' }, { type: 'Button' }] } });
    const root = apply(item, { type: 'widget.root.updated', widget: { type: 'Basic', children: [] } });
    expect(root).toMatchObject({ widget: { type: 'Basic', children: [] } });
  });

  it('workflow.task.added inserts at task_index; workflow.task.updated replaces', () => {
    const wf: ThreadItem = {
      id: 'wf1',
      thread_id: 'thr_1',
      created_at: T,
      type: 'workflow',
      workflow: { type: 'reasoning', tasks: [], expanded: false },
    };
    const item = apply(
      wf,
      { type: 'workflow.task.added', task_index: 0, task: { type: 'thought', content: 'b', status_indicator: 'loading' } },
      { type: 'workflow.task.added', task_index: 0, task: { type: 'thought', content: 'a', status_indicator: 'loading' } },
      { type: 'workflow.task.updated', task_index: 1, task: { type: 'thought', content: 'B', status_indicator: 'complete' } },
    );
    expect(item).toMatchObject({ workflow: { tasks: [{ content: 'a' }, { content: 'B', status_indicator: 'complete' }] } });
  });

  it('generated_image.updated sets the image and progress', () => {
    const image: ThreadItem = { id: 'img1', thread_id: 'thr_1', created_at: T, type: 'generated_image' };
    expect(
      apply(image, { type: 'generated_image.updated', image: { id: 'i', url: 'https://img' }, progress: 0.5 }),
    ).toMatchObject({ image: { url: 'https://img' }, progress: 0.5 });
  });

  it('leaves items alone for updates of another item type or an unknown type', () => {
    expect(apply(widget, { type: 'assistant_message.content_part.text_delta', content_index: 0, delta: 'x' })).toBe(widget);
    expect(apply(asst, { type: 'widget.root.updated', widget: { type: 'Card' } })).toBe(asst);
    expect(apply(asst, { type: 'workflow.task.added', task_index: 0, task: { type: 'custom', status_indicator: 'none' } })).toBe(asst);
    expect(apply(asst, { type: 'generated_image.updated', image: { id: 'i', url: 'u' } })).toBe(asst);
    expect(apply(asst, { type: 'future.update' } as unknown as ThreadItemUpdate)).toBe(asst);
  });

  it('reaches the reducer through thread.item.updated', () => {
    const state = events(streamingIn('thr_1', [widget]), {
      type: 'thread.item.updated',
      item_id: 'widget1',
      update: { type: 'widget.streaming_text.value_delta', component_id: 'status', delta: '!', done: true },
    });
    expect(state.items[0]).toMatchObject({ widget: { children: [{ value: 'Pick!' }, {}] } });
  });
});

describe('liteReducer — local actions', () => {
  it('loads the thread list, paging with the cursor', () => {
    let state = run(initialLiteState, { type: 'threads_loading' });
    expect(state.threadsStatus).toBe('loading');
    state = run(state, { type: 'threads_loaded', page: { data: [thread('a'), thread('b')], has_more: true, after: 'b' }, append: false });
    expect(state).toMatchObject({ threadsStatus: 'ready', threadsAfter: 'b' });
    state = run(state, { type: 'threads_loaded', page: { data: [thread('b'), thread('c')], has_more: false }, append: true });
    expect(state.threads.map((t) => t.id)).toEqual(['a', 'b', 'c']);
    expect(state.threadsAfter).toBeUndefined();
    expect(run(state, { type: 'threads_failed' }).threadsStatus).toBe('error');
  });

  it('opens a thread: embedded oldest items first, then later pages; stale answers are ignored', () => {
    let state = run(initialLiteState, { type: 'thread_opening', threadId: 'thr_1' });
    expect(state).toMatchObject({ activeThreadId: 'thr_1', threadStatus: 'loading', items: [] });
    const hidden = { id: 'h', thread_id: 'thr_1', created_at: T, type: 'sdk_hidden_context', content: 'x' } as ThreadItem;
    state = run(state, {
      type: 'thread_loaded',
      thread: { ...thread('thr_1', 'Hi'), items: { data: [user('u1', 'hi'), hidden], has_more: true, after: 'u1' } },
    });
    expect(state).toMatchObject({ threadStatus: 'ready', itemsAfter: 'u1', thread: { title: 'Hi' } });
    expect(state.items.map((i) => i.id)).toEqual(['u1']);
    state = run(state, { type: 'items_loaded', threadId: 'thr_1', page: { data: [assistant('a1', 'yo')], has_more: false } });
    expect(state.items.map((i) => i.id)).toEqual(['u1', 'a1']);
    expect(state.itemsAfter).toBeUndefined();
    expect(run(state, { type: 'thread_loaded', thread: thread('thr_other') })).toBe(state);
    expect(run(state, { type: 'items_loaded', threadId: 'thr_other', page: { data: [], has_more: false } })).toBe(state);
  });

  it('retry_from prunes everything after the user message, like the server does', () => {
    const state = run(
      { ...initialLiteState, activeThreadId: 'thr_1', items: [user('u1', 'a'), assistant('a1', 'x'), user('u2', 'b'), assistant('a2', 'y')] },
      { type: 'retry_from', itemId: 'u2' },
    );
    expect(state.items.map((i) => i.id)).toEqual(['u1', 'a1', 'u2']);
  });

  it('new_thread, feedback_given and thread_deleted', () => {
    let state: LiteState = {
      ...initialLiteState,
      threads: [thread('thr_1'), thread('thr_2')],
      activeThreadId: 'thr_1',
      items: [assistant('a1', 'x')],
    };
    state = run(state, { type: 'feedback_given', itemId: 'a1', kind: 'positive' });
    expect(state.feedback).toEqual({ a1: 'positive' });
    expect(run(state, { type: 'thread_deleted', threadId: 'thr_2' })).toMatchObject({ activeThreadId: 'thr_1' });
    const deleted = run(state, { type: 'thread_deleted', threadId: 'thr_1' });
    expect(deleted).toMatchObject({ activeThreadId: null, items: [] });
    expect(deleted.threads.map((t) => t.id)).toEqual(['thr_2']);
    expect(run(state, { type: 'new_thread' })).toMatchObject({ activeThreadId: null, thread: null, items: [] });
  });
});
