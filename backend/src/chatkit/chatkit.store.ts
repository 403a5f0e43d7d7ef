import { Injectable } from '@nestjs/common';
import { TranscriptService } from '../transcript/transcript.service';
import { AttachmentUrls } from './attachments/attachment-urls';
import { type ChatContext, channelOf } from './context/chat-context';
import type { ChatStore, ItemFacts } from './protocol/store';
import type { Attachment, FeedbackKind, Order, Page, ThreadItem, ThreadMetadata } from './protocol/types';

/**
 * The protocol core's store for a request: the transcript store in the request's scope, with
 * image `preview_url`s re-signed on every read (they expire, so the stored ones are stale).
 */
@Injectable()
export class ChatKitStore implements ChatStore<ChatContext> {
  constructor(
    private readonly transcript: TranscriptService,
    private readonly urls: AttachmentUrls,
  ) {}

  loadThread(threadId: string, ctx: ChatContext): Promise<ThreadMetadata> {
    return this.transcript.loadThread(threadId, ctx.scope);
  }

  saveThread(thread: ThreadMetadata, ctx: ChatContext): Promise<void> {
    return this.transcript.saveThread(thread, ctx.scope, ctx.channel ?? channelOf(ctx.principal.kind, undefined, ''));
  }

  loadThreads(limit: number, after: string | undefined, order: Order, ctx: ChatContext): Promise<Page<ThreadMetadata>> {
    return this.transcript.loadThreads(limit, after, order, ctx.scope);
  }

  async loadThreadItems(threadId: string, after: string | undefined, limit: number, order: Order, ctx: ChatContext): Promise<Page<ThreadItem>> {
    const page = await this.transcript.loadThreadItems(threadId, after, limit, order, ctx.scope);
    return { ...page, data: page.data.map((item) => this.presentItem(item)) };
  }

  addThreadItem(threadId: string, item: ThreadItem, ctx: ChatContext, facts?: ItemFacts): Promise<void> {
    return this.transcript.addThreadItem(threadId, item, ctx.scope, { ...facts, workflowVersion: ctx.workflowVersion });
  }

  saveItem(threadId: string, item: ThreadItem, ctx: ChatContext): Promise<void> {
    return this.transcript.saveItem(threadId, item, ctx.scope, ctx.workflowVersion);
  }

  async loadItem(threadId: string, itemId: string, ctx: ChatContext): Promise<ThreadItem> {
    return this.presentItem(await this.transcript.loadItem(threadId, itemId, ctx.scope));
  }

  deleteThreadItem(threadId: string, itemId: string, ctx: ChatContext): Promise<void> {
    return this.transcript.deleteThreadItem(threadId, itemId, ctx.scope);
  }

  deleteThreadItemsAfter(threadId: string, itemId: string, ctx: ChatContext): Promise<void> {
    return this.transcript.deleteThreadItemsAfter(threadId, itemId, ctx.scope);
  }

  deleteThread(threadId: string, ctx: ChatContext): Promise<void> {
    return this.transcript.deleteThread(threadId, ctx.scope);
  }

  saveAttachment(attachment: Attachment, ctx: ChatContext): Promise<void> {
    return this.transcript.saveAttachment(attachment, ctx.scope);
  }

  async loadAttachment(attachmentId: string, ctx: ChatContext): Promise<Attachment> {
    return this.presentAttachment(await this.transcript.loadAttachment(attachmentId, ctx.scope));
  }

  deleteAttachment(attachmentId: string, ctx: ChatContext): Promise<void> {
    return this.transcript.deleteAttachment(attachmentId, ctx.scope);
  }

  addFeedback(threadId: string, itemIds: string[], kind: FeedbackKind, ctx: ChatContext): Promise<void> {
    return this.transcript.addFeedback(threadId, itemIds, kind, ctx.scope);
  }

  recordAnswerError(threadId: string, code: string, ctx: ChatContext): Promise<void> {
    return this.transcript.recordAnswerError(threadId, code, ctx.scope);
  }

  /** An attachment with a freshly signed preview URL when it is an image. */
  presentAttachment(attachment: Attachment): Attachment {
    return attachment.type === 'image' ? { ...attachment, preview_url: this.urls.previewUrl(attachment.id) } : attachment;
  }

  private presentItem(item: ThreadItem): ThreadItem {
    if (item.type !== 'user_message' || !item.attachments.some((attachment) => attachment.type === 'image')) return item;
    return { ...item, attachments: item.attachments.map((attachment) => this.presentAttachment(attachment)) };
  }
}
