/**
 * ChatKit wire types and the runtime helpers the server needs on them. The types themselves are declared once, in the
 * workspace package `@parley/chat-protocol` (packages/chat-protocol/index.d.ts), shared with the widget's lite
 * renderer; this file re-exports them so the protocol core keeps one import path and stays framework-free.
 */
import type { ChatKitRequest, ChatKitRequestType, HiddenContextItem, SdkHiddenContextItem, StreamingRequest, ThreadItem } from '@parley/chat-protocol';

export type {
  JsonValue, JsonObject, Page, Order, FeedbackKind, ThreadStatus, ThreadMetadata, Thread, UserMessageTextContent,
  UserMessageTagContent, UserMessageContent, InferenceOptions, UploadDescriptor, FileAttachment, ImageAttachment,
  Attachment, UserMessageItem, Source, Annotation, AssistantMessageContent, AssistantMessageItem, ClientToolCallItem,
  WidgetRoot, WidgetItem, GeneratedImageItem, StructuredInputAnswer, MultipleChoiceInput, FreeformInput,
  StructuredInput, StructuredInputItem, Task, TaskStatus, Workflow, WorkflowItem, TaskItem, EndOfTurnItem,
  HiddenContextItem, SdkHiddenContextItem, ThreadItem, ThreadItemUpdate, StreamOptions, NoticeLevel, StreamErrorCode,
  ThreadStreamEvent, StreamEventOf, UserMessageInput, Action, StructuredInputAnswerSubmission,
  StructuredInputSubmission, ListParams, CustomActionParams, StreamingRequest, NonStreamingRequest, ChatKitRequest,
  ChatKitRequestType, SyncCustomActionResponse, TranscriptionResult,
} from '@parley/chat-protocol';

/** The item kinds that are persisted but never streamed nor listed. */
export const HIDDEN_ITEM_TYPES: ReadonlySet<ThreadItem['type']> = new Set(['hidden_context_item', 'sdk_hidden_context']);

/** True for items the client must never see. */
export function isHiddenItem(item: ThreadItem): item is HiddenContextItem | SdkHiddenContextItem {
  return HIDDEN_ITEM_TYPES.has(item.type);
}

/** The six request types answered with `text/event-stream`. */
export const STREAMING_REQUEST_TYPES: ReadonlySet<ChatKitRequestType> = new Set([
  'threads.create',
  'threads.add_user_message',
  'threads.add_client_tool_output',
  'threads.add_structured_input',
  'threads.retry_after_item',
  'threads.custom_action',
]);

/** True when the request is answered with a stream. */
export function isStreamingRequest(request: ChatKitRequest): request is StreamingRequest {
  return STREAMING_REQUEST_TYPES.has(request.type);
}

/** Decoded audio handed to a runner's `transcribe` (server-side only, not a wire type). */
export interface AudioInput {
  data: Buffer;
  /** As sent, e.g. `audio/webm;codecs=opus`. */
  mime_type: string;
}
