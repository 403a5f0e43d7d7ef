import { ChatKitNotFoundError, ChatKitUnknownCursorError } from '../../src/chat-protocol/errors';
import type { ChatStore, NewThreadItem } from '../../src/chat-protocol/store';
import type { Attachment, FeedbackKind, Order, Page, ThreadItem, ThreadMetadata } from '../../src/chat-protocol/types';

interface Row<T> {
  ordinal: number;
  value: T;
}

interface ThreadRow extends Row<ThreadMetadata> {
  scope: string;
  items: Array<Row<ThreadItem>>;
}

/** One recorded `addFeedback` call (exposed for tests). */
export interface RecordedFeedback {
  scope: string;
  threadId: string;
  itemIds: string[];
  kind: FeedbackKind;
}

/** Options of `MemoryChatStore`. */
export interface MemoryChatStoreOptions<Ctx> {
  /** Maps a context to its tenancy scope; rows of another scope are invisible. */
  scopeOf: (ctx: Ctx) => string;
}

/**
 * In-memory `ChatStore` for unit and conformance tests. Orders rows by a global insertion
 * ordinal (never by timestamp, so equal clocks cannot reorder), and returns deep copies.
 */
export class MemoryChatStore<Ctx> implements ChatStore<Ctx> {
  private readonly threads = new Map<string, ThreadRow>();
  private readonly attachments = new Map<string, { scope: string; value: Attachment }>();
  private nextOrdinal = 1;
  /** Feedback calls in arrival order. */
  readonly feedback: RecordedFeedback[] = [];

  constructor(private readonly options: MemoryChatStoreOptions<Ctx>) {}

  async loadThread(threadId: string, ctx: Ctx): Promise<ThreadMetadata> {
    return structuredClone(this.threadRow(threadId, ctx).value);
  }

  async saveThread(thread: ThreadMetadata, ctx: Ctx): Promise<void> {
    const scope = this.options.scopeOf(ctx);
    const existing = this.threads.get(thread.id);
    if (existing && existing.scope !== scope) throw new ChatKitNotFoundError(`Thread ${thread.id} not found.`);
    if (existing) existing.value = structuredClone(thread);
    else this.threads.set(thread.id, { scope, ordinal: this.nextOrdinal++, value: structuredClone(thread), items: [] });
  }

  async loadThreads(limit: number, after: string | undefined, order: Order, ctx: Ctx): Promise<Page<ThreadMetadata>> {
    const scope = this.options.scopeOf(ctx);
    const rows = [...this.threads.values()].filter((row) => row.scope === scope);
    return paginate(rows, limit, after, order, (thread) => thread.id);
  }

  async loadThreadItems(threadId: string, after: string | undefined, limit: number, order: Order, ctx: Ctx): Promise<Page<ThreadItem>> {
    const row = this.threadRow(threadId, ctx);
    return paginate(row.items, limit, after, order, (item) => item.id);
  }

  async addThreadItem(threadId: string, item: ThreadItem, ctx: Ctx): Promise<void> {
    const row = this.threadRow(threadId, ctx);
    // An insert, like the reference's SQL store: a duplicate id is a programming error.
    if (row.items.some((existing) => existing.value.id === item.id)) throw new Error(`Item ${item.id} already exists.`);
    row.items.push({ ordinal: this.nextOrdinal++, value: structuredClone(item) });
  }

  /** All or nothing: the thread in scope and every id new, or nothing is written. */
  async addThreadItems(threadId: string, items: NewThreadItem[], thread: ThreadMetadata | null, ctx: Ctx): Promise<void> {
    const row = this.threadRow(threadId, ctx);
    for (const { item } of items) {
      if (row.items.some((existing) => existing.value.id === item.id)) throw new Error(`Item ${item.id} already exists.`);
    }
    if (new Set(items.map(({ item }) => item.id)).size !== items.length) throw new Error('Duplicate item ids in one batch.');
    for (const { item } of items) row.items.push({ ordinal: this.nextOrdinal++, value: structuredClone(item) });
    if (thread) row.value = structuredClone(thread);
  }

  /** All or nothing, like the one statement of a database. */
  async createThreadWithItems(thread: ThreadMetadata, items: NewThreadItem[], ctx: Ctx): Promise<void> {
    const scope = this.options.scopeOf(ctx);
    const existing = this.threads.get(thread.id);
    if (existing && existing.scope !== scope) throw new ChatKitNotFoundError(`Thread ${thread.id} not found.`);
    const ids = items.map(({ item }) => item.id);
    if (new Set(ids).size !== ids.length || existing?.items.some((candidate) => ids.includes(candidate.value.id))) throw new Error('Item already exists.');
    const row = existing ?? { scope, ordinal: this.nextOrdinal++, value: structuredClone(thread), items: [] };
    row.value = structuredClone(thread);
    for (const { item } of items) row.items.push({ ordinal: this.nextOrdinal++, value: structuredClone(item) });
    this.threads.set(thread.id, row);
  }

  async saveItem(threadId: string, item: ThreadItem, ctx: Ctx): Promise<void> {
    const row = this.threadRow(threadId, ctx);
    const existing = row.items.find((candidate) => candidate.value.id === item.id);
    if (existing) existing.value = structuredClone(item);
    else row.items.push({ ordinal: this.nextOrdinal++, value: structuredClone(item) });
  }

  async loadItem(threadId: string, itemId: string, ctx: Ctx): Promise<ThreadItem> {
    const item = this.threadRow(threadId, ctx).items.find((candidate) => candidate.value.id === itemId);
    if (!item) throw new ChatKitNotFoundError(`Item ${itemId} not found.`);
    return structuredClone(item.value);
  }

  async deleteThreadItem(threadId: string, itemId: string, ctx: Ctx): Promise<void> {
    const row = this.threadRow(threadId, ctx);
    row.items = row.items.filter((candidate) => candidate.value.id !== itemId);
  }

  async deleteThreadItemsAfter(threadId: string, itemId: string, ctx: Ctx): Promise<void> {
    const row = this.threadRow(threadId, ctx);
    const anchor = row.items.find((candidate) => candidate.value.id === itemId);
    if (!anchor) throw new ChatKitNotFoundError(`Item ${itemId} not found.`);
    row.items = row.items.filter((candidate) => candidate.ordinal <= anchor.ordinal);
  }

  async deleteThread(threadId: string, ctx: Ctx): Promise<void> {
    this.threadRow(threadId, ctx);
    this.threads.delete(threadId);
  }

  async saveAttachment(attachment: Attachment, ctx: Ctx): Promise<void> {
    const scope = this.options.scopeOf(ctx);
    const existing = this.attachments.get(attachment.id);
    if (existing && existing.scope !== scope) throw new ChatKitNotFoundError(`Attachment ${attachment.id} not found.`);
    this.attachments.set(attachment.id, { scope, value: structuredClone(attachment) });
  }

  async loadAttachment(attachmentId: string, ctx: Ctx): Promise<Attachment> {
    const row = this.attachments.get(attachmentId);
    if (!row || row.scope !== this.options.scopeOf(ctx)) throw new ChatKitNotFoundError(`Attachment ${attachmentId} not found.`);
    return structuredClone(row.value);
  }

  async deleteAttachment(attachmentId: string, ctx: Ctx): Promise<void> {
    const row = this.attachments.get(attachmentId);
    if (row && row.scope === this.options.scopeOf(ctx)) this.attachments.delete(attachmentId);
  }

  async addFeedback(threadId: string, itemIds: string[], kind: FeedbackKind, ctx: Ctx): Promise<void> {
    const thread = this.threadRow(threadId, ctx);
    const known = new Set(thread.items.map((row) => row.value.id));
    const missing = itemIds.find((id) => !known.has(id));
    if (missing !== undefined) throw new ChatKitNotFoundError(`Item ${missing} not found.`);
    this.feedback.push({ scope: this.options.scopeOf(ctx), threadId, itemIds: [...itemIds], kind });
  }

  private threadRow(threadId: string, ctx: Ctx): ThreadRow {
    const row = this.threads.get(threadId);
    if (!row || row.scope !== this.options.scopeOf(ctx)) throw new ChatKitNotFoundError(`Thread ${threadId} not found.`);
    return row;
  }
}

/** The reference paging rules over rows kept in insertion order. */
function paginate<T>(rows: Array<Row<T>>, limit: number, after: string | undefined, order: Order, idOf: (value: T) => string): Page<T> {
  // Callers default 0 to 20 before reaching a store; a page of nothing cannot carry a cursor.
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const sorted = [...rows].sort((a, b) => (order === 'asc' ? a.ordinal - b.ordinal : b.ordinal - a.ordinal));
  let start = 0;
  if (after !== undefined) {
    const index = sorted.findIndex((row) => idOf(row.value) === after);
    if (index < 0) throw new ChatKitUnknownCursorError(after);
    start = index + 1;
  }
  const window = sorted.slice(start, start + limit + 1);
  const hasMore = window.length > limit;
  const data = window.slice(0, limit).map((row) => structuredClone(row.value));
  return hasMore ? { data, has_more: true, after: idOf(data[data.length - 1]) } : { data, has_more: false };
}
