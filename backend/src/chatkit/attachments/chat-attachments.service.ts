import { Injectable } from '@nestjs/common';
import { DomainError, NotFoundError, ValidationFailedError } from '../../common/errors/domain-error';
import { ForbiddenError } from '../../auth/auth.errors';
import { AttachmentImmutableError, TranscriptService } from '../../transcript/transcript.service';
import { toDomainError } from '../chatkit.errors';
import { ChatKitStore } from '../chatkit.store';
import type { ChatContext } from '../context/chat-context';
import { toAttachmentResponse } from '../protocol/processor';
import type { Attachment } from '../protocol/types';
import { AttachmentUrls } from './attachment-urls';
import { multipartBoundary, multipartField } from './multipart';
import { verifiedContentType } from './mime-sniff';

/** An image to serve for a valid preview URL. */
export interface PreviewContent {
  bytes: Buffer;
  contentType: string;
  /** Seconds until the URL expires, for `Cache-Control`. */
  maxAgeSeconds: number;
}

/**
 * The second phase of two-phase attachments (the bytes) and image previews. Uploads are checked
 * against what `attachments.create` declared: the size exactly, and the type by the bytes' magic
 * numbers (text must be UTF-8), never by the file name. Uploads are write-once: after the first
 * complete upload, or once a message holds the attachment, further uploads answer 409.
 */
@Injectable()
export class ChatAttachmentsService {
  constructor(
    private readonly transcript: TranscriptService,
    private readonly store: ChatKitStore,
    private readonly urls: AttachmentUrls,
  ) {}

  /** Stores the uploaded `body` (raw bytes or a multipart `file` field) for an attachment of the caller. */
  async upload(ctx: ChatContext, attachmentId: string, body: Buffer, contentType: string | undefined): Promise<Attachment> {
    let state;
    try {
      state = await this.transcript.attachmentUploadState(attachmentId, ctx.scope);
    } catch (error) {
      throw toDomainError(error);
    }
    // Write-once: what the owner's transcript shows must stay what was sent (checked again atomically when storing).
    if (state.uploadedAt !== null || state.threadId !== null) throw new AttachmentImmutableError(attachmentId);
    const boundary = multipartBoundary(contentType);
    const bytes = boundary ? multipartField(body, boundary) : body;
    if (!bytes) throw new ValidationFailedError({ file: ['multipart uploads must carry the bytes in a `file` field'] });
    if (state.declaredSize !== null && bytes.length !== state.declaredSize) {
      throw new ValidationFailedError(
        { body: [`is ${bytes.length} bytes; the attachment was created with size ${state.declaredSize}`] },
        'The upload does not match the declared size.',
      );
    }
    const verified = verifiedContentType(state.mimeType, bytes);
    if (!verified) throw new DomainError('unsupported_media_type', `The uploaded bytes are not a valid ${state.mimeType} file.`);
    const stored = await this.transcript.storeUpload(attachmentId, bytes, verified, ctx.scope);
    return toAttachmentResponse(this.store.presentAttachment(stored));
  }

  /**
   * The image behind a preview URL. A wrong or expired signature is 403; a valid one for an
   * attachment that is gone, not uploaded yet or not an image is 404.
   */
  async preview(attachmentId: string, exp: unknown, sig: unknown): Promise<PreviewContent> {
    const verdict = this.urls.verifyPreview(attachmentId, exp, sig);
    if (verdict === 'invalid') throw new ForbiddenError('This preview link is not valid.');
    if (verdict === 'expired') throw new ForbiddenError('This preview link has expired; reload the conversation.');
    const content = await this.transcript.previewBytes(attachmentId);
    if (!content || !content.contentType.startsWith('image/')) throw new NotFoundError('Attachment not found.');
    const maxAgeSeconds = Math.max(0, Number(exp) - Math.floor(Date.now() / 1000));
    return { bytes: content.bytes, contentType: content.contentType, maxAgeSeconds };
  }
}
