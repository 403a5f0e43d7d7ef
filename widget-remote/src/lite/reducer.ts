import type { FeedbackKind } from './client';
import { applyItemUpdate, HIDDEN_ITEM_TYPES } from './items';
import type { JsonValue, NoticeLevel, Page, StreamEvent, Thread, ThreadItem, ThreadMeta } from './protocol';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

export interface Notice {
  id: number;
  level: NoticeLevel;
  title?: string;
  message: string;
}

export interface StreamErrorState {
  code: string;
  message?: string;
  allowRetry: boolean;
}

/** Everything the lite renderer shows, derived from the API's answers and the stream events. */
export interface LiteState {
  threads: ThreadMeta[];
  threadsStatus: LoadStatus;
  /** Cursor for the next page of the thread list; undefined when there is none. */
  threadsAfter?: string;
  /** null: the new-thread (start) screen. */
  activeThreadId: string | null;
  thread: ThreadMeta | null;
  threadStatus: LoadStatus;
  /** Visible items of the active thread, oldest first. */
  items: ThreadItem[];
  /** Cursor for items after the loaded ones (`threads.get_by_id` embeds only the oldest 20). */
  itemsAfter?: string;
  /** Items added but not done yet (still streaming). */
  pendingItemIds: string[];
  streaming: boolean;
  allowCancel: boolean;
  /** The text being sent, shown until the server echoes the user message. */
  outgoing: string | null;
  progress: { text: string; icon?: string } | null;
  notices: Notice[];
  nextNoticeId: number;
  streamError: StreamErrorState | null;
  feedback: Record<string, FeedbackKind>;
  lastEffect: { name: string; data?: Record<string, unknown> } | null;
}

export const initialLiteState: LiteState = {
  threads: [],
  threadsStatus: 'idle',
  activeThreadId: null,
  thread: null,
  threadStatus: 'idle',
  items: [],
  pendingItemIds: [],
  streaming: false,
  allowCancel: true,
  outgoing: null,
  progress: null,
  notices: [],
  nextNoticeId: 1,
  streamError: null,
  feedback: {},
  lastEffect: null,
};

export type LiteAction =
  | { type: 'stream_event'; event: StreamEvent }
  | { type: 'threads_loading' }
  | { type: 'threads_loaded'; page: Page<ThreadMeta>; append: boolean }
  | { type: 'threads_failed' }
  | { type: 'thread_opening'; threadId: string }
  | { type: 'thread_loaded'; thread: Thread }
  | { type: 'thread_failed' }
  | { type: 'items_loaded'; threadId: string; page: Page<ThreadItem> }
  | { type: 'new_thread' }
  | { type: 'stream_started'; outgoing?: string }
  | { type: 'stream_finished' }
  /** Retry: the server deletes everything after this user message without `removed` events; so do we. */
  | { type: 'retry_from'; itemId: string }
  | { type: 'feedback_given'; itemId: string; kind: FeedbackKind }
  | { type: 'thread_deleted'; threadId: string }
  | { type: 'notice_dismissed'; id: number }
  /** The page ran a client tool: the server saves the output without an event, so the view marks it itself. */
  | { type: 'client_tool_answered'; itemId: string; output: unknown };

const withoutItems = ({ items: _items, ...meta }: Thread): ThreadMeta => meta;

export function liteReducer(state: LiteState, action: LiteAction): LiteState {
  switch (action.type) {
    case 'stream_event':
      return applyStreamEvent(state, action.event);
    case 'threads_loading':
      return { ...state, threadsStatus: 'loading' };
    case 'threads_loaded': {
      const known = action.append ? state.threads : [];
      const ids = new Set(known.map((t) => t.id));
      return {
        ...state,
        threadsStatus: 'ready',
        threads: [...known, ...action.page.data.filter((t) => !ids.has(t.id))],
        threadsAfter: action.page.has_more ? action.page.after : undefined,
      };
    }
    case 'threads_failed':
      return { ...state, threadsStatus: 'error' };
    case 'thread_opening':
      return {
        ...resetConversation(state),
        activeThreadId: action.threadId,
        thread: state.threads.find((t) => t.id === action.threadId) ?? null,
        threadStatus: 'loading',
      };
    case 'thread_loaded':
      if (action.thread.id !== state.activeThreadId) return state;
      return {
        ...state,
        thread: withoutItems(action.thread),
        threadStatus: 'ready',
        items: action.thread.items.data.filter(isVisible),
        itemsAfter: action.thread.items.has_more ? action.thread.items.after : undefined,
      };
    case 'thread_failed':
      return { ...state, threadStatus: 'error' };
    case 'items_loaded': {
      if (action.threadId !== state.activeThreadId) return state;
      const ids = new Set(state.items.map((i) => i.id));
      return {
        ...state,
        items: [...state.items, ...action.page.data.filter((i) => isVisible(i) && !ids.has(i.id))],
        itemsAfter: action.page.has_more ? action.page.after : undefined,
      };
    }
    case 'new_thread':
      return { ...resetConversation(state), activeThreadId: null, thread: null, threadStatus: 'idle' };
    case 'stream_started':
      return {
        ...state,
        streaming: true,
        allowCancel: true,
        outgoing: action.outgoing ?? null,
        progress: null,
        streamError: null,
      };
    case 'stream_finished':
      return { ...state, streaming: false, outgoing: null, progress: null, pendingItemIds: [] };
    case 'retry_from': {
      const index = state.items.findIndex((i) => i.id === action.itemId);
      if (index === -1) return state;
      return { ...state, items: state.items.slice(0, index + 1), streamError: null };
    }
    case 'feedback_given':
      return { ...state, feedback: { ...state.feedback, [action.itemId]: action.kind } };
    case 'thread_deleted': {
      const threads = state.threads.filter((t) => t.id !== action.threadId);
      if (state.activeThreadId !== action.threadId) return { ...state, threads };
      return { ...resetConversation(state), threads, activeThreadId: null, thread: null, threadStatus: 'idle' };
    }
    case 'client_tool_answered':
      return {
        ...state,
        items: state.items.map((item) =>
          item.id === action.itemId && item.type === 'client_tool_call'
            ? // The page's result goes to the server as JSON, so it is a JSON value here.
              { ...item, status: 'completed' as const, output: action.output as JsonValue }
            : item,
        ),
      };
    case 'notice_dismissed':
      return { ...state, notices: state.notices.filter((n) => n.id !== action.id) };
  }
}

function resetConversation(state: LiteState): LiteState {
  return {
    ...state,
    items: [],
    itemsAfter: undefined,
    pendingItemIds: [],
    outgoing: null,
    progress: null,
    notices: [],
    streamError: null,
  };
}

function isVisible(item: ThreadItem): boolean {
  return !HIDDEN_ITEM_TYPES.has(item.type);
}

/** Whether an item belongs to the conversation on screen (a stream for another thread is ignored). */
function belongs(state: LiteState, item: ThreadItem): boolean {
  return state.activeThreadId === null || item.thread_id === undefined || item.thread_id === state.activeThreadId;
}

/** Handles each of the 12 stream event types (docs/chatkit-protocol.md). */
export function applyStreamEvent(state: LiteState, event: StreamEvent): LiteState {
  switch (event.type) {
    case 'thread.created': {
      const meta = withoutItems(event.thread);
      return {
        ...state,
        activeThreadId: meta.id,
        thread: meta,
        threadStatus: 'ready',
        threads: [meta, ...state.threads.filter((t) => t.id !== meta.id)],
      };
    }
    case 'thread.updated': {
      const meta = withoutItems(event.thread);
      return {
        ...state,
        thread: state.activeThreadId === meta.id ? meta : state.thread,
        threads: state.threads.some((t) => t.id === meta.id)
          ? state.threads.map((t) => (t.id === meta.id ? meta : t))
          : state.threads,
      };
    }
    case 'thread.item.added': {
      if (!isVisible(event.item) || !belongs(state, event.item)) return state;
      return {
        ...upsertItem(state, event.item),
        pendingItemIds: [...state.pendingItemIds.filter((id) => id !== event.item.id), event.item.id],
        progress: null,
      };
    }
    case 'thread.item.updated': {
      const index = state.items.findIndex((i) => i.id === event.item_id);
      const current = state.items[index];
      if (!current) return state;
      const next = applyItemUpdate(current, event.update);
      if (next === current) return state;
      const items = [...state.items];
      items[index] = next;
      return { ...state, items, progress: null };
    }
    case 'thread.item.done': {
      if (!isVisible(event.item) || !belongs(state, event.item)) return state;
      const next = {
        ...upsertItem(state, event.item),
        pendingItemIds: state.pendingItemIds.filter((id) => id !== event.item.id),
        progress: null,
      };
      return event.item.type === 'user_message' ? { ...next, outgoing: null } : next;
    }
    case 'thread.item.replaced': {
      if (!isVisible(event.item) || !belongs(state, event.item)) return state;
      return upsertItem(state, event.item);
    }
    case 'thread.item.removed':
      return {
        ...state,
        items: state.items.filter((i) => i.id !== event.item_id),
        pendingItemIds: state.pendingItemIds.filter((id) => id !== event.item_id),
      };
    case 'stream_options':
      return { ...state, allowCancel: event.stream_options.allow_cancel };
    case 'progress_update':
      return { ...state, progress: { text: event.text, ...(event.icon ? { icon: event.icon } : {}) } };
    case 'client_effect':
      return { ...state, lastEffect: { name: event.name, ...(event.data ? { data: event.data } : {}) } };
    case 'error':
      return {
        ...state,
        outgoing: null,
        progress: null,
        streamError: {
          code: event.code,
          allowRetry: event.allow_retry,
          ...(event.message ? { message: event.message } : {}),
        },
      };
    case 'notice':
      return {
        ...state,
        nextNoticeId: state.nextNoticeId + 1,
        notices: [
          ...state.notices,
          {
            id: state.nextNoticeId,
            level: event.level,
            message: event.message,
            ...(event.title ? { title: event.title } : {}),
          },
        ],
      };
    default:
      return state; // An event type from a newer protocol.
  }
}

function upsertItem(state: LiteState, item: ThreadItem): LiteState {
  const index = state.items.findIndex((i) => i.id === item.id);
  if (index === -1) return { ...state, items: [...state.items, item] };
  const items = [...state.items];
  items[index] = item;
  return { ...state, items };
}
