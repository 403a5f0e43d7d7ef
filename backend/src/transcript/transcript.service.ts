import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error';
import { ChatKitNotFoundError, ChatKitUnknownCursorError } from '../chat-protocol/errors';
import type { ChatStore, ItemFacts, NewThreadItem } from '../chat-protocol/store';
import { isHiddenItem } from '../chat-protocol/types';
import type { Attachment, FeedbackKind, Order, Page, ThreadItem, ThreadMetadata, ThreadStatus } from '../chat-protocol/types';
import { ItemValues, ThreadRow, ThreadValues, TranscriptRepository } from './transcript.repository';
import type { AttachmentPreview, AttachmentUploadState, TranscriptContext, TranscriptScope } from './transcript.types';

/**
 * Largest page a store query returns. The protocol puts no bound on `limit`; a page that stops
 * early still says `has_more` and carries the cursor, so clients simply ask again.
 */
export const MAX_TRANSCRIPT_PAGE = 200;

/**
 * The transcript store: Postgres implementation of the ChatKit `ChatStore`, scoped by workflow
 * and principal. A thread, item or attachment outside the scope behaves exactly like a missing
 * one (`ChatKitNotFoundError`), so existence never leaks. Hidden items are stored and returned to
 * the protocol core, which filters them out of everything it sends.
 */
@Injectable()
export class TranscriptService implements ChatStore<TranscriptContext> {
  constructor(private readonly repo: TranscriptRepository) {}

  async loadThread(threadId: string, ctx: TranscriptContext): Promise<ThreadMetadata> {
    const row = await this.repo.findThread(ctx.scope, threadId);
    if (!row) throw threadNotFound(threadId);
    return toThread(row);
  }

  /** Upserts the thread; `ctx.channel` is recorded when the thread is created (never changed after). */
  async saveThread(thread: ThreadMetadata, ctx: TranscriptContext): Promise<void> {
    const saved = await this.repo.upsertThread(ctx.scope, threadValues(thread, ctx));
    if (!saved) throw threadNotFound(thread.id);
  }

  async loadThreads(limit: number, after: string | undefined, order: Order, ctx: TranscriptContext): Promise<Page<ThreadMetadata>> {
    const take = pageSize(limit);
    let afterOrdinal: string | null = null;
    if (after !== undefined) {
      afterOrdinal = await this.repo.threadOrdinal(ctx.scope, after);
      if (afterOrdinal === null) throw new ChatKitUnknownCursorError(after);
    }
    const rows = await this.repo.listThreads(ctx.scope, take + 1, order, afterOrdinal);
    return toPage(rows.map(toThread), take);
  }

  async loadThreadItems(threadId: string, after: string | undefined, limit: number, order: Order, ctx: TranscriptContext): Promise<Page<ThreadItem>> {
    const take = pageSize(limit);
    const rows = await this.repo.pageItems(ctx.scope, threadId, after ?? null, take + 1, order);
    if (rows.length === 0) throw threadNotFound(threadId);
    if (after !== undefined && rows[0].cursor_ordinal === null) throw new ChatKitUnknownCursorError(after);
    const items = rows.filter((row) => row.id !== null).map((row) => row.data as unknown as ThreadItem);
    return toPage(items, take);
  }

  /** `ctx.workflowVersion`: the published version that produced the item (null or absent: the draft, or unknown). */
  async addThreadItem(threadId: string, item: ThreadItem, ctx: TranscriptContext, facts?: ItemFacts): Promise<void> {
    if (!(await this.repo.insertItem(ctx.scope, itemValues(threadId, item, ctx.workflowVersion ?? null, facts)))) throw threadNotFound(threadId);
  }

  /** One statement: the items in order, then the thread's metadata when given (the end of a turn). */
  async addThreadItems(threadId: string, items: NewThreadItem[], thread: ThreadMetadata | null, ctx: TranscriptContext): Promise<void> {
    const version = ctx.workflowVersion ?? null;
    const values = items.map(({ item, facts }) => itemValues(threadId, item, version, facts));
    const { threadFound } = await this.repo.insertItems(ctx.scope, threadId, values, thread ? threadValues(thread, ctx) : null);
    if (!threadFound) throw threadNotFound(threadId);
  }

  /** One statement: the new thread (as `saveThread`) and its first items (as `addThreadItems`). */
  async createThreadWithItems(thread: ThreadMetadata, items: NewThreadItem[], ctx: TranscriptContext): Promise<void> {
    const version = ctx.workflowVersion ?? null;
    const values = items.map(({ item, facts }) => itemValues(thread.id, item, version, facts));
    if (!(await this.repo.upsertThreadWithItems(ctx.scope, threadValues(thread, ctx), values))) throw threadNotFound(thread.id);
  }

  async saveItem(threadId: string, item: ThreadItem, ctx: TranscriptContext): Promise<void> {
    if (!(await this.repo.upsertItem(ctx.scope, itemValues(threadId, item, ctx.workflowVersion ?? null)))) throw threadNotFound(threadId);
  }

  async loadItem(threadId: string, itemId: string, ctx: TranscriptContext): Promise<ThreadItem> {
    const row = await this.repo.findItem(ctx.scope, threadId, itemId);
    if (!row) throw new ChatKitNotFoundError(`Item ${itemId} not found.`);
    return row.data as unknown as ThreadItem;
  }

  async deleteThreadItem(threadId: string, itemId: string, ctx: TranscriptContext): Promise<void> {
    const { threadFound } = await this.repo.deleteItem(ctx.scope, threadId, itemId);
    if (!threadFound) throw threadNotFound(threadId);
  }

  async deleteThreadItemsAfter(threadId: string, itemId: string, ctx: TranscriptContext): Promise<void> {
    const { anchorFound } = await this.repo.deleteItemsAfter(ctx.scope, threadId, itemId);
    if (!anchorFound) throw new ChatKitNotFoundError(`Item ${itemId} not found.`);
  }

  async deleteThread(threadId: string, ctx: TranscriptContext): Promise<void> {
    if (!(await this.repo.deleteThread(ctx.scope, threadId))) throw threadNotFound(threadId);
  }

  async saveAttachment(attachment: Attachment, ctx: TranscriptContext): Promise<void> {
    const declared = attachment.metadata?.size;
    const saved = await this.repo.upsertAttachment(ctx.scope, {
      id: attachment.id,
      threadId: attachment.thread_id ?? null,
      name: attachment.name,
      mimeType: attachment.mime_type,
      size: typeof declared === 'number' && Number.isSafeInteger(declared) && declared >= 0 ? declared : null,
      data: JSON.stringify(attachment),
    });
    if (!saved) throw attachmentNotFound(attachment.id);
  }

  async loadAttachment(attachmentId: string, ctx: TranscriptContext): Promise<Attachment> {
    const row = await this.repo.findAttachment(ctx.scope, attachmentId);
    if (!row) throw attachmentNotFound(attachmentId);
    return row.data as unknown as Attachment;
  }

  async deleteAttachment(attachmentId: string, ctx: TranscriptContext): Promise<void> {
    await this.repo.deleteAttachment(ctx.scope, attachmentId);
  }

  async addFeedback(threadId: string, itemIds: string[], kind: FeedbackKind, ctx: TranscriptContext): Promise<void> {
    const { threadFound, missingItemId } = await this.repo.insertFeedback(ctx.scope, threadId, itemIds, kind);
    if (!threadFound) throw threadNotFound(threadId);
    if (missingItemId !== null) throw new ChatKitNotFoundError(`Item ${missingItemId} not found.`);
  }

  /** Notes an answer of the thread that ended in an error event (a thread outside the scope: nothing). */
  async recordAnswerError(threadId: string, code: string, ctx: TranscriptContext): Promise<void> {
    await this.repo.insertAnswerError(ctx.scope, threadId, code.slice(0, 64) || 'unknown');
  }

  // -------------------------------------------------------------------------------------------
  // Attachment bytes (two-phase uploads and previews)
  // -------------------------------------------------------------------------------------------

  /** Upload state of an attachment in scope, or `ChatKitNotFoundError`. */
  async attachmentUploadState(attachmentId: string, scope: TranscriptScope): Promise<AttachmentUploadState> {
    const row = await this.repo.findAttachment(scope, attachmentId);
    if (!row) throw attachmentNotFound(attachmentId);
    return {
      id: row.id,
      mimeType: row.mime_type,
      declaredSize: row.size === null ? null : Number(row.size),
      uploadedAt: row.uploaded_at,
      threadId: row.thread_id,
    };
  }

  /**
   * Stores the uploaded bytes of an attachment in scope, with the content type sniffed from them,
   * and drops its `upload_descriptor` (the upload is done). Returns the attachment as updated.
   * Write-once: `AttachmentImmutableError` once bytes were stored or a message holds it.
   */
  async storeUpload(attachmentId: string, bytes: Buffer, contentType: string, scope: TranscriptScope): Promise<Attachment> {
    const current = await this.loadAttachment(attachmentId, { scope });
    const { upload_descriptor: _done, ...uploaded } = current;
    const outcome = await this.repo.storeUpload(scope, attachmentId, bytes, contentType, JSON.stringify(uploaded));
    if (outcome === 'missing') throw attachmentNotFound(attachmentId);
    if (outcome === 'immutable') throw new AttachmentImmutableError(attachmentId);
    return uploaded as Attachment;
  }

  /** How many attachments not yet in a message (and younger than `ttlSeconds`) the scope and its workflow hold. */
  pendingAttachmentCounts(scope: TranscriptScope, ttlSeconds: number): Promise<{ principal: number; workflow: number }> {
    return this.repo.countPendingAttachments(scope, ttlSeconds);
  }

  /** Deletes attachments never sent in a message that were created before `before`; returns how many. */
  async deleteExpiredPendingAttachments(before: Date): Promise<number> {
    let total = 0;
    // Bounded statements, so one sweep never holds a huge delete.
    for (;;) {
      const deleted = await this.repo.deleteExpiredPendingAttachments(before, 1000);
      total += deleted;
      if (deleted < 1000) return total;
    }
  }

  /**
   * Uploaded bytes for a preview. Not scoped by principal: callers must hold a capability for
   * this id (a signed, expiring preview URL) and must check the content type they serve.
   */
  async previewBytes(attachmentId: string): Promise<AttachmentPreview | null> {
    const row = await this.repo.findUploadedBytes(attachmentId);
    return row ? { bytes: row.bytes, contentType: row.content_type } : null;
  }
}

/** An upload to an attachment that already has its bytes, or is already part of a message (409 `attachment_immutable`). */
export class AttachmentImmutableError extends DomainError {
  constructor(attachmentId: string) {
    super('attachment_immutable', `Attachment ${attachmentId} was already uploaded or sent; uploads are write-once. Create a new attachment instead.`);
  }
}

function threadNotFound(threadId: string): ChatKitNotFoundError {
  return new ChatKitNotFoundError(`Thread ${threadId} not found.`);
}

function attachmentNotFound(attachmentId: string): ChatKitNotFoundError {
  return new ChatKitNotFoundError(`Attachment ${attachmentId} not found.`);
}

function pageSize(limit: number): number {
  // Callers default 0 to 20 before reaching a store; a page of nothing cannot carry a cursor.
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  return Math.min(limit, MAX_TRANSCRIPT_PAGE);
}

/** The reference paging rules over `take + 1` fetched rows. */
function toPage<T extends { id: string }>(rows: T[], take: number): Page<T> {
  const hasMore = rows.length > take;
  const data = rows.slice(0, take);
  return hasMore ? { data, has_more: true, after: data[data.length - 1].id } : { data, has_more: false };
}

function toThread(row: ThreadRow): ThreadMetadata {
  return {
    id: row.id,
    ...(row.title !== null ? { title: row.title } : {}),
    created_at: new Date(row.created_at).toISOString(),
    status: row.status as unknown as ThreadStatus,
    ...(row.allowed_image_domains !== null ? { allowed_image_domains: row.allowed_image_domains } : {}),
    metadata: row.metadata,
  };
}

function threadValues(thread: ThreadMetadata, ctx: TranscriptContext): ThreadValues {
  return {
    channel: ctx.channel ?? 'api',
    id: thread.id,
    title: thread.title ?? null,
    status: thread.status,
    allowedImageDomains: thread.allowed_image_domains ?? null,
    metadata: thread.metadata ?? {},
    createdAt: thread.created_at,
  };
}

function itemValues(threadId: string, item: ThreadItem, workflowVersion: number | null, facts?: ItemFacts): ItemValues {
  const ttft = facts?.ttftMs;
  return {
    id: item.id,
    threadId,
    type: item.type,
    hidden: isHiddenItem(item),
    data: JSON.stringify(item),
    createdAt: item.created_at,
    workflowVersion,
    ttftMs: typeof ttft === 'number' && Number.isFinite(ttft) && ttft >= 0 ? Math.min(Math.round(ttft), 2_147_483_647) : null,
  };
}
