import type { AssistantMessageContent, Thread, ThreadItem, ThreadStreamEvent, UserMessageInput, WidgetRoot } from '@parley/chat-protocol';

/**
 * The ChatKit wire types as the lite renderer uses them. They are declared once, in the workspace package
 * `@parley/chat-protocol` (packages/chat-protocol/index.d.ts), which the server's protocol core
 * (backend/src/chat-protocol/types.ts) uses too; the aliases below only name what the renderer reads. Types only: the
 * package has no runtime code, so nothing of it reaches the bundle. A newer server may send shapes this build does
 * not know; the renderer skips them at run time (items.ts, reducer.ts) rather than trusting the types.
 */
export type {
  Annotation,
  JsonValue,
  NoticeLevel,
  Page,
  Task,
  Thread,
  ThreadItem,
  ThreadItemUpdate,
  ThreadStatus,
  UserMessageContent,
  UserMessageInput,
  Workflow,
} from '@parley/chat-protocol';

/** One `output_text` part of an assistant message. */
export type OutputText = AssistantMessageContent;

/** A thread without its items, as kept in the thread list. */
export type ThreadMeta = Omit<Thread, 'items'>;

export type ItemType = ThreadItem['type'];

/** The 12 `ThreadStreamEvent` types (docs/chatkit-protocol.md). */
export type StreamEvent = ThreadStreamEvent;

export type StreamEventType = StreamEvent['type'];

/**
 * A widget tree node as the renderer walks it: the wire's opaque `WidgetRoot` (`type` plus camelCase props) with the
 * two props the walk reads, `id` and `children`.
 */
export interface WidgetNode extends WidgetRoot {
  id?: string;
  children?: WidgetNode[];
}

/** The action config a widget component carries (e.g. a Button's `onClickAction`); read by the renderer only. */
export interface ActionConfig {
  type: string;
  payload?: unknown;
  handler?: 'server' | 'client';
  loadingBehavior?: string;
  streaming?: boolean;
}

/** What a user sends: text only in the lite renderer (no attachments, tools or models). */
export const textInput = (text: string): UserMessageInput => ({
  content: [{ type: 'input_text', text }],
  attachments: [],
  inference_options: {},
});
