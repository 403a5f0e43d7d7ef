/**
 * The slice of the ChatKit wire protocol the lite renderer speaks (docs/chatkit-protocol.md;
 * the server side is backend/src/chat-protocol/types.ts). Field names are the
 * wire's snake_case. Shapes are deliberately loose where the renderer only displays data (widget trees, tasks):
 * the server is the authority, and a newer server must not crash an older widget.
 */

export interface Page<T> {
  data: T[];
  has_more: boolean;
  after?: string;
}

export type ThreadStatus = { type: 'active' } | { type: 'locked'; reason?: string } | { type: 'closed'; reason?: string };

export interface Thread {
  id: string;
  title?: string;
  created_at: string;
  status: ThreadStatus;
  metadata?: Record<string, unknown>;
  items: Page<ThreadItem>;
}

/** A thread without its items, as kept in the thread list. */
export type ThreadMeta = Omit<Thread, 'items'>;

export interface Annotation {
  type: 'annotation';
  source: { type: string; title?: string; url?: string; [key: string]: unknown };
  index?: number;
}

export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: Annotation[];
}

export type UserMessageContent =
  | { type: 'input_text'; text: string }
  | { type: 'input_tag'; id: string; text: string; data?: Record<string, unknown>; interactive?: boolean };

export interface AttachmentRef {
  type: 'file' | 'image';
  id: string;
  name: string;
  mime_type: string;
  preview_url?: string;
}

/** A widget tree node: `type` plus camelCase props; treated as opaque JSON apart from what the renderer draws. */
export interface WidgetNode {
  type: string;
  id?: string;
  children?: WidgetNode[];
  [prop: string]: unknown;
}

export interface ActionConfig {
  type: string;
  payload?: unknown;
  handler?: 'server' | 'client';
  loadingBehavior?: string;
  streaming?: boolean;
}

export interface Task {
  type: string;
  title?: string;
  content?: string;
  status_indicator?: 'none' | 'loading' | 'complete';
  [field: string]: unknown;
}

interface ItemBase {
  id: string;
  thread_id: string;
  created_at: string;
}

export type ThreadItem =
  | (ItemBase & {
      type: 'user_message';
      content: UserMessageContent[];
      attachments: AttachmentRef[];
      quoted_text?: string;
      inference_options?: Record<string, unknown>;
    })
  | (ItemBase & { type: 'assistant_message'; content: OutputText[] })
  | (ItemBase & { type: 'widget'; widget: WidgetNode; copy_text?: string })
  | (ItemBase & {
      type: 'client_tool_call';
      status: 'pending' | 'completed';
      call_id: string;
      name: string;
      arguments: unknown;
      output?: unknown;
    })
  | (ItemBase & { type: 'generated_image'; image?: { id: string; url: string }; progress?: number })
  | (ItemBase & { type: 'structured_input'; status: string; inputs: Array<{ id: string; question: string; type: string }> })
  | (ItemBase & {
      type: 'workflow';
      workflow: { type: string; tasks: Task[]; summary?: { title?: string; duration?: number }; expanded?: boolean };
    })
  | (ItemBase & { type: 'task'; task: Task })
  | (ItemBase & { type: 'end_of_turn' })
  | (ItemBase & { type: 'hidden_context_item' | 'sdk_hidden_context'; content: unknown });

export type ItemType = ThreadItem['type'];

export type ThreadItemUpdate =
  | { type: 'assistant_message.content_part.added'; content_index: number; content: OutputText }
  | { type: 'assistant_message.content_part.text_delta'; content_index: number; delta: string }
  | {
      type: 'assistant_message.content_part.annotation_added';
      content_index: number;
      annotation_index: number;
      annotation: Annotation;
    }
  | { type: 'assistant_message.content_part.done'; content_index: number; content: OutputText }
  | { type: 'widget.streaming_text.value_delta'; component_id: string; delta: string; done: boolean }
  | { type: 'widget.component.updated'; component_id: string; component: WidgetNode }
  | { type: 'widget.root.updated'; widget: WidgetNode }
  | { type: 'workflow.task.added'; task_index: number; task: Task }
  | { type: 'workflow.task.updated'; task_index: number; task: Task }
  | { type: 'generated_image.updated'; image: { id: string; url: string }; progress?: number };

export type NoticeLevel = 'info' | 'warning' | 'danger';

/** The 12 `ThreadStreamEvent` types (docs/chatkit-protocol.md). */
export type StreamEvent =
  | { type: 'thread.created'; thread: Thread }
  | { type: 'thread.updated'; thread: Thread }
  | { type: 'thread.item.added'; item: ThreadItem }
  | { type: 'thread.item.updated'; item_id: string; update: ThreadItemUpdate }
  | { type: 'thread.item.done'; item: ThreadItem }
  | { type: 'thread.item.replaced'; item: ThreadItem }
  | { type: 'thread.item.removed'; item_id: string }
  | { type: 'stream_options'; stream_options: { allow_cancel: boolean } }
  | { type: 'progress_update'; icon?: string; text: string }
  | { type: 'client_effect'; name: string; data?: Record<string, unknown> }
  | { type: 'error'; code: string; message?: string; allow_retry: boolean }
  | { type: 'notice'; level: NoticeLevel; message: string; title?: string };

export type StreamEventType = StreamEvent['type'];

/** What a user sends: text only in the lite renderer (no attachments, tools or models). */
export interface UserMessageInput {
  content: UserMessageContent[];
  attachments: string[];
  inference_options: Record<string, unknown>;
}

export const textInput = (text: string): UserMessageInput => ({
  content: [{ type: 'input_text', text }],
  attachments: [],
  inference_options: {},
});
