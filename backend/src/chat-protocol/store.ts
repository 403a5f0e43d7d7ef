import type { Attachment, FeedbackKind, Order, Page, ThreadItem, ThreadMetadata } from './types';

/** Measurements of an answer, kept beside its first assistant message. */
export interface ItemFacts {
  /** Milliseconds from the start of the answer to its first text. */
  ttftMs?: number;
}

/** One item of a batch insert (`addThreadItems`), with what `addThreadItem` would get as `facts`. */
export interface NewThreadItem {
  item: ThreadItem;
  facts?: ItemFacts;
}

/**
 * Persistence contract of the ChatKit core, modelled on chatkit-python's `Store[TContext]`.
 *
 * Every method receives `ctx`, the caller's principal scope, and must enforce tenancy itself:
 * a thread, item or attachment outside the scope behaves exactly like a missing one
 * (`ChatKitNotFoundError`), so existence never leaks.
 *
 * Paging rules shared by `loadThreads` and `loadThreadItems`:
 * - rows are ordered by creation (insertion) order, `asc` or `desc`;
 * - `after` is an exclusive id cursor; a cursor that names nothing in scope throws
 *   `ChatKitUnknownCursorError`;
 * - fetch `limit + 1` rows to compute `has_more`; `after` in the result is the id of the last
 *   returned row and is present only when `has_more` is true.
 *
 * Stores return fresh copies: callers (runners) mutate what they get, and the processor detects
 * thread changes by comparing against a snapshot.
 */
export interface ChatStore<Ctx> {
  /** The thread, or `ChatKitNotFoundError`. */
  loadThread(threadId: string, ctx: Ctx): Promise<ThreadMetadata>;

  /** Upserts the thread metadata (title, status, allowed_image_domains, metadata). */
  saveThread(thread: ThreadMetadata, ctx: Ctx): Promise<void>;

  /** A page of the caller's threads, without items. */
  loadThreads(limit: number, after: string | undefined, order: Order, ctx: Ctx): Promise<Page<ThreadMetadata>>;

  /**
   * A page of a thread's items. Must return hidden items too (`hidden_context_item`,
   * `sdk_hidden_context`): the processor filters them, after paging, like the reference.
   */
  loadThreadItems(threadId: string, after: string | undefined, limit: number, order: Order, ctx: Ctx): Promise<Page<ThreadItem>>;

  /**
   * Inserts a new item (on `thread.item.done` and for user messages). `facts` are measurements
   * of an answer a store may keep beside the item (time to first token).
   */
  addThreadItem(threadId: string, item: ThreadItem, ctx: Ctx, facts?: ItemFacts): Promise<void>;

  /**
   * Optional batch (the end of a turn): exactly `addThreadItem` for each entry, in order, then —
   * when `thread` is given — `saveThread(thread)` (the thread exists: it was saved or loaded
   * before). One call, so a database does it in one statement (one round trip, one firing of its
   * triggers). Without it the processor makes those calls one by one.
   */
  addThreadItems?(threadId: string, items: NewThreadItem[], thread: ThreadMetadata | null, ctx: Ctx): Promise<void>;

  /**
   * Optional (`threads.create`): exactly `saveThread(thread)` then `addThreadItems(thread.id,
   * items)`, in one call (one statement on a database). Without it the processor makes the calls.
   */
  createThreadWithItems?(thread: ThreadMetadata, items: NewThreadItem[], ctx: Ctx): Promise<void>;

  /** Upserts an item by id, keeping its position when it exists (on `thread.item.replaced`…). */
  saveItem(threadId: string, item: ThreadItem, ctx: Ctx): Promise<void>;

  /** The item, or `ChatKitNotFoundError`. */
  loadItem(threadId: string, itemId: string, ctx: Ctx): Promise<ThreadItem>;

  /** Deletes one item (on `thread.item.removed` and dangling tool calls); missing is a no-op. */
  deleteThreadItem(threadId: string, itemId: string, ctx: Ctx): Promise<void>;

  /**
   * Deletes every item created after `itemId` in the thread, hidden ones included
   * (`threads.retry_after_item`). One call so a database can do it in one statement.
   */
  deleteThreadItemsAfter(threadId: string, itemId: string, ctx: Ctx): Promise<void>;

  /** Deletes the thread and all its items. */
  deleteThread(threadId: string, ctx: Ctx): Promise<void>;

  /** Upserts attachment metadata (on create, and again when a message stamps `thread_id`). */
  saveAttachment(attachment: Attachment, ctx: Ctx): Promise<void>;

  /** The attachment, or `ChatKitNotFoundError`. */
  loadAttachment(attachmentId: string, ctx: Ctx): Promise<Attachment>;

  /** Deletes attachment metadata; missing is a no-op. */
  deleteAttachment(attachmentId: string, ctx: Ctx): Promise<void>;

  /**
   * Records feedback on items of a thread (`items.feedback`): `ChatKitNotFoundError` when the
   * thread is not in scope or any id names no item of it (then nothing is recorded). One call for
   * the whole batch, so a database checks every id and records in one statement.
   */
  addFeedback(threadId: string, itemIds: string[], kind: FeedbackKind, ctx: Ctx): Promise<void>;

  /**
   * Optional: notes that an answer in the thread ended in an `error` event, with a short code
   * (`rate_limited`, `provider_timeout`, `stream.error`…). Called only on that path.
   */
  recordAnswerError?(threadId: string, code: string, ctx: Ctx): Promise<void>;
}
