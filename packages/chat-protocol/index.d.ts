/**
 * @parley/chat-protocol: the ChatKit wire types, declared once for the server (backend/src/chat-protocol/types.ts
 * re-exports them beside its runtime helpers) and the widget's lite renderer (widget-remote/src/lite/protocol.ts).
 * Types only, no runtime code: `import type` from it is erased from every build and bundle.
 *
 * ChatKit wire types (chatkit-python 1.6.5, `chatkit/types.py`), with the snake_case keys
 * used on the wire. Datetimes are ISO-8601 strings. Optional fields are omitted on the wire
 * when unset (see `omitNulls` in sse.ts); they are typed as optional here, never as `null`.
 * Widget trees are opaque JSON with a `type` (the SDK accepts "dynamic" components, so we
 * deliberately do not model the component catalogue).
 */

/** Any JSON value: what opaque fields (`payload`, `output`, `arguments`…) can hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** Cursor page; `after` is the id of the last element and present only when `has_more`. */
export interface Page<T> {
  data: T[];
  has_more: boolean;
  after?: string;
}

/** Sort order of list requests. */
export type Order = 'asc' | 'desc';

/** Sentiment of `items.feedback`. */
export type FeedbackKind = 'positive' | 'negative';

// ---------------------------------------------------------------------------------------------
// Threads
// ---------------------------------------------------------------------------------------------

/** Lifecycle status of a thread; the server does not enforce it, runners must. */
export type ThreadStatus = { type: 'active' } | { type: 'locked'; reason?: string } | { type: 'closed'; reason?: string };

/**
 * A thread without items, as stored. `metadata` is server-only: responses always carry `{}`.
 */
export interface ThreadMetadata {
  id: string;
  title?: string;
  created_at: string;
  status: ThreadStatus;
  allowed_image_domains?: string[];
  metadata: Record<string, unknown>;
}

/** A thread as sent to the client, with an items page (empty except for `threads.get_by_id`). */
export interface Thread {
  id: string;
  title?: string;
  created_at: string;
  status: ThreadStatus;
  allowed_image_domains?: string[];
  metadata: Record<string, never>;
  items: Page<ThreadItem>;
}

// ---------------------------------------------------------------------------------------------
// User message content and attachments
// ---------------------------------------------------------------------------------------------

/** Plain text typed by the user. */
export interface UserMessageTextContent {
  type: 'input_text';
  text: string;
}

/** An @-mention entity chosen in the composer. */
export interface UserMessageTagContent {
  type: 'input_tag';
  id: string;
  text: string;
  data: JsonObject;
  group?: string;
  interactive: boolean;
}

/** One part of a user message. */
export type UserMessageContent = UserMessageTextContent | UserMessageTagContent;

/** Composer tool and model selection. */
export interface InferenceOptions {
  tool_choice?: { id: string };
  model?: string;
}

/** Where and how the client uploads the bytes of a two-phase attachment. */
export interface UploadDescriptor {
  url: string;
  method: 'PUT' | 'POST';
  headers: Record<string, string>;
}

interface AttachmentBase {
  id: string;
  name: string;
  mime_type: string;
  upload_descriptor?: UploadDescriptor;
  /** Set when the attachment is sent in a message. */
  thread_id?: string;
  /** Server-only; never serialised to the client (see `toAttachmentResponse`). */
  metadata?: Record<string, unknown>;
}

/** A non-image file attachment. */
export interface FileAttachment extends AttachmentBase {
  type: 'file';
}

/** An image attachment; `preview_url` is required and loaded by the hosted iframe. */
export interface ImageAttachment extends AttachmentBase {
  type: 'image';
  preview_url: string;
}

/** An attachment as stored (may carry server-only `metadata`). */
export type Attachment = FileAttachment | ImageAttachment;

// ---------------------------------------------------------------------------------------------
// Thread items
// ---------------------------------------------------------------------------------------------

interface ThreadItemBase {
  id: string;
  thread_id: string;
  created_at: string;
}

/** A message the user sent. */
export interface UserMessageItem extends ThreadItemBase {
  type: 'user_message';
  content: UserMessageContent[];
  attachments: Attachment[];
  quoted_text?: string;
  inference_options: InferenceOptions;
}

/** A citation source. */
export type Source =
  | ({ type: 'url'; title: string; url: string; attribution?: string } & SourceCommon)
  | ({ type: 'file'; title: string; filename: string } & SourceCommon)
  | ({
      type: 'entity';
      title: string;
      id: string;
      icon?: string;
      label?: string;
      inline_label?: string;
      interactive?: boolean;
      data?: JsonObject;
    } & SourceCommon);

interface SourceCommon {
  description?: string;
  timestamp?: string;
  group?: string;
}

/** An annotation on assistant text. */
export interface Annotation {
  type: 'annotation';
  source: Source;
  index?: number;
}

/** One output_text part of an assistant message. */
export interface AssistantMessageContent {
  type: 'output_text';
  text: string;
  annotations: Annotation[];
}

/** A message from the assistant. */
export interface AssistantMessageItem extends ThreadItemBase {
  type: 'assistant_message';
  content: AssistantMessageContent[];
}

/** A call the browser must execute (`onClientTool`), answered by `threads.add_client_tool_output`. */
export interface ClientToolCallItem extends ThreadItemBase {
  type: 'client_tool_call';
  status: 'pending' | 'completed';
  call_id: string;
  name: string;
  arguments: JsonObject;
  output?: JsonValue;
}

/** A widget tree: opaque JSON with a `type` (`Card`, `ListView`, `Basic`). */
export interface WidgetRoot {
  type: string;
  [key: string]: unknown;
}

/** A rendered widget. */
export interface WidgetItem extends ThreadItemBase {
  type: 'widget';
  widget: WidgetRoot;
  copy_text?: string;
}

/** A generated image (progress streamed via `generated_image.updated`). */
export interface GeneratedImageItem extends ThreadItemBase {
  type: 'generated_image';
  image?: { id: string; url: string };
}

/** The recorded answer of one structured input. */
export interface StructuredInputAnswer {
  values: string[];
  skipped: boolean;
}

/** A choice question. */
export interface MultipleChoiceInput {
  type: 'multiple_choice';
  id: string;
  question: string;
  options: Array<{ value: string; label?: string }>;
  multiple: boolean;
  answer?: StructuredInputAnswer;
}

/** A free-text question. */
export interface FreeformInput {
  type: 'freeform';
  id: string;
  question: string;
  description?: string;
  answer?: StructuredInputAnswer;
}

/** One question of a structured input item. */
export type StructuredInput = MultipleChoiceInput | FreeformInput;

/** Questions that replace the composer until answered (`threads.add_structured_input`). */
export interface StructuredInputItem extends ThreadItemBase {
  type: 'structured_input';
  status: 'pending' | 'answered' | 'skipped';
  inputs: StructuredInput[];
}

/** A workflow task; every variant has a `status_indicator`. */
export type Task =
  | { type: 'custom'; status_indicator: TaskStatus; title?: string; icon?: string; content?: string }
  | { type: 'web_search'; status_indicator: TaskStatus; title?: string; title_query?: string; queries: string[]; sources: Source[] }
  | { type: 'thought'; status_indicator: TaskStatus; title?: string; content: string }
  | { type: 'file'; status_indicator: TaskStatus; title?: string; sources: Source[] }
  | { type: 'image'; status_indicator: TaskStatus; title?: string };

/** Rendering state of a task inside a workflow. */
export type TaskStatus = 'none' | 'loading' | 'complete';

/** A collapsible group of tasks (custom or reasoning). */
export interface Workflow {
  type: 'custom' | 'reasoning';
  tasks: Task[];
  summary?: { title: string; icon?: string } | { duration: number };
  expanded: boolean;
}

/** A workflow item. */
export interface WorkflowItem extends ThreadItemBase {
  type: 'workflow';
  workflow: Workflow;
}

/** A standalone task item. */
export interface TaskItem extends ThreadItemBase {
  type: 'task';
  task: Task;
}

/** Marks the end of the assistant's turn. */
export interface EndOfTurnItem extends ThreadItemBase {
  type: 'end_of_turn';
}

/** Model-only context; persisted but never sent to the client. */
export interface HiddenContextItem extends ThreadItemBase {
  type: 'hidden_context_item';
  content: JsonValue;
}

/** Context written by the server itself (e.g. on cancellation); never sent to the client. */
export interface SdkHiddenContextItem extends ThreadItemBase {
  type: 'sdk_hidden_context';
  content: string;
}

/** Any thread item. */
export type ThreadItem =
  | UserMessageItem
  | AssistantMessageItem
  | ClientToolCallItem
  | WidgetItem
  | GeneratedImageItem
  | StructuredInputItem
  | WorkflowItem
  | TaskItem
  | EndOfTurnItem
  | HiddenContextItem
  | SdkHiddenContextItem;

// ---------------------------------------------------------------------------------------------
// Item updates and stream events
// ---------------------------------------------------------------------------------------------

/** Incremental change to a pending item, carried by `thread.item.updated`. */
export type ThreadItemUpdate =
  | { type: 'assistant_message.content_part.added'; content_index: number; content: AssistantMessageContent }
  | { type: 'assistant_message.content_part.text_delta'; content_index: number; delta: string }
  | { type: 'assistant_message.content_part.annotation_added'; content_index: number; annotation_index: number; annotation: Annotation }
  | { type: 'assistant_message.content_part.done'; content_index: number; content: AssistantMessageContent }
  | { type: 'widget.streaming_text.value_delta'; component_id: string; delta: string; done: boolean }
  | { type: 'widget.component.updated'; component_id: string; component: { type: string; [key: string]: unknown } }
  | { type: 'widget.root.updated'; widget: WidgetRoot }
  | { type: 'workflow.task.added'; task_index: number; task: Task }
  | { type: 'workflow.task.updated'; task_index: number; task: Task }
  | { type: 'generated_image.updated'; image: { id: string; url: string }; progress?: number };

/** Stream-level options; `allow_cancel` shows the stop button. */
export interface StreamOptions {
  allow_cancel: boolean;
}

/** Severity of a `notice` event. */
export type NoticeLevel = 'info' | 'warning' | 'danger';

/** `ErrorCode` is not a closed enum upstream; `stream.error` is the only code the client knows. */
export type StreamErrorCode = 'stream.error' | 'custom' | (string & {});

/** Every event a stream can carry. */
export type ThreadStreamEvent =
  | { type: 'thread.created'; thread: Thread }
  | { type: 'thread.updated'; thread: Thread }
  | { type: 'thread.item.added'; item: ThreadItem }
  | { type: 'thread.item.updated'; item_id: string; update: ThreadItemUpdate }
  | { type: 'thread.item.done'; item: ThreadItem }
  | { type: 'thread.item.replaced'; item: ThreadItem }
  | { type: 'thread.item.removed'; item_id: string }
  | { type: 'stream_options'; stream_options: StreamOptions }
  | { type: 'progress_update'; icon?: string; text: string }
  | { type: 'client_effect'; name: string; data: JsonObject }
  | { type: 'error'; code: StreamErrorCode; message?: string; allow_retry: boolean }
  | { type: 'notice'; level: NoticeLevel; message: string; title?: string };

/** The event variant with the given `type`. */
export type StreamEventOf<T extends ThreadStreamEvent['type']> = Extract<ThreadStreamEvent, { type: T }>;

// ---------------------------------------------------------------------------------------------
// Requests (normalised: defaults applied, unknown keys and `metadata` dropped)
// ---------------------------------------------------------------------------------------------

/** The composer input of `threads.create` / `threads.add_user_message`. */
export interface UserMessageInput {
  content: UserMessageContent[];
  /** Attachment ids. */
  attachments: string[];
  quoted_text?: string;
  inference_options: InferenceOptions;
}

/** A widget or client-dispatched action. */
export interface Action {
  type: string;
  /** `undefined` when the client sent none (the reference treats it as `null`). */
  payload?: JsonValue;
}

/** One answer submitted for a structured input. */
export interface StructuredInputAnswerSubmission {
  values: string[];
  skipped: boolean;
}

/** The body of `threads.add_structured_input`. */
export interface StructuredInputSubmission {
  status: 'answered' | 'skipped';
  answers: Record<string, StructuredInputAnswerSubmission>;
}

/** Params of list requests; `limit` is already defaulted (0/absent → 20). */
export interface ListParams {
  limit: number;
  order: Order;
  after?: string;
}

/** Params shared by `threads.custom_action` and `threads.sync_custom_action`. */
export interface CustomActionParams {
  thread_id: string;
  item_id?: string;
  action: Action;
}

/** A validated streaming request. */
export type StreamingRequest =
  | { type: 'threads.create'; params: { input: UserMessageInput } }
  | { type: 'threads.add_user_message'; params: { thread_id: string; input: UserMessageInput } }
  | { type: 'threads.add_client_tool_output'; params: { thread_id: string; result: JsonValue } }
  | { type: 'threads.add_structured_input'; params: { thread_id: string; item_id: string; input: StructuredInputSubmission } }
  | { type: 'threads.retry_after_item'; params: { thread_id: string; item_id: string } }
  | { type: 'threads.custom_action'; params: CustomActionParams };

/** A validated request answered with one JSON body. */
export type NonStreamingRequest =
  | { type: 'threads.get_by_id'; params: { thread_id: string } }
  | { type: 'threads.list'; params: ListParams }
  | { type: 'threads.update'; params: { thread_id: string; title: string } }
  | { type: 'threads.delete'; params: { thread_id: string } }
  | { type: 'items.list'; params: ListParams & { thread_id: string } }
  | { type: 'items.feedback'; params: { thread_id: string; item_ids: string[]; kind: FeedbackKind } }
  | { type: 'attachments.create'; params: { name: string; size: number; mime_type: string } }
  | { type: 'attachments.delete'; params: { attachment_id: string } }
  | { type: 'input.transcribe'; params: { audio_base64: string; mime_type: string } }
  | { type: 'threads.sync_custom_action'; params: CustomActionParams };

/** Any validated ChatKit request. */
export type ChatKitRequest = StreamingRequest | NonStreamingRequest;

/** The request `type` discriminators. */
export type ChatKitRequestType = ChatKitRequest['type'];

// ---------------------------------------------------------------------------------------------
// Responses of a few JSON requests
// ---------------------------------------------------------------------------------------------

/** `threads.sync_custom_action` result: the replacement for the sender widget, if any. */
export interface SyncCustomActionResponse {
  updated_item?: ThreadItem;
}

/** `input.transcribe` result: text to place in the composer. */
export interface TranscriptionResult {
  text: string;
}
