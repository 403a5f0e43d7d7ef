import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Response } from 'express';
import { DomainError } from '../common/errors/domain-error';
import { AttachmentUrls } from './attachments/attachment-urls';
import { ALLOWED_ATTACHMENT_TYPES, allowedType } from './attachments/mime-sniff';
import { chatkitConfig } from './chatkit.config';
import { toDomainError } from './chatkit.errors';
import { ChatKitStore } from './chatkit.store';
import type { ChatContext } from './context/chat-context';
import { writeEventStream } from './http/sse-writer';
import { ChatKitProcessor } from './protocol/processor';
import { parseJsonBody } from './protocol/request-validation';
import { RunnerFactory } from './runners/runner.factory';

/**
 * The ChatKit protocol endpoint: validates and answers one request for a resolved context. All
 * checks (body, thread, items, attachments, state) run before anything is written, and failures
 * surface as domain errors for the global filter; only then does a stream open.
 */
@Injectable()
export class ChatKitService {
  private readonly logger = new Logger('ChatKit');
  private readonly processor: ChatKitProcessor<ChatContext>;

  constructor(
    store: ChatKitStore,
    runners: RunnerFactory,
    urls: AttachmentUrls,
    @Inject(chatkitConfig.KEY) private readonly config: ConfigType<typeof chatkitConfig>,
  ) {
    this.processor = new ChatKitProcessor<ChatContext>({
      store,
      runners: (ctx) => runners.create(ctx.workflow.runner, store),
      attachments: {
        prepare: (params) => this.acceptAttachment(params),
        uploadUrl: (id) => urls.uploadUrl(id),
        previewUrl: (id) => urls.previewUrl(id),
      },
      onStreamError: (error) => this.logger.warn({ err: error }, 'ChatKit stream error reported in-band'),
    });
  }

  /**
   * Answers the raw request `body` on `res`: a JSON body, or an SSE stream that stops (and runs
   * the cancellation cleanup) when the client disconnects. Throws before writing anything when
   * the request is refused.
   */
  async handle(body: Buffer, ctx: ChatContext, res: Response): Promise<void> {
    const cancel = new AbortController();
    // `close` also follows a normal end; only an unfinished response means the client left.
    res.on('close', () => {
      if (!res.writableFinished) cancel.abort();
    });
    let result;
    try {
      result = await this.processor.process(parseJsonBody(body.toString('utf8')), ctx, { signal: cancel.signal });
    } catch (error) {
      throw toDomainError(error);
    }
    if (result.kind === 'json') {
      const text = JSON.stringify(result.body);
      res.status(200).setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(text));
      res.end(text);
      return;
    }
    await writeEventStream(res, result.events, {
      signal: cancel.signal,
      keepAliveMs: this.config.keepAliveMs,
      onError: (error) => this.logger.error({ err: error, requestId: ctx.requestId }, 'ChatKit stream failed after it opened'),
    });
  }

  /** `attachments.create` policy: an allowed type and a size the upload route will take. */
  private acceptAttachment(params: { name: string; size: number; mime_type: string }): Record<string, unknown> {
    if (!allowedType(params.mime_type)) {
      throw new DomainError('unsupported_media_type', `Attachments of type ${params.mime_type} are not accepted.`, {
        allowed: [...ALLOWED_ATTACHMENT_TYPES],
      });
    }
    if (params.size > this.config.uploadLimitBytes) {
      throw new DomainError('payload_too_large', `Attachments may be at most ${this.config.uploadLimitBytes} bytes.`, {
        limitBytes: this.config.uploadLimitBytes,
      });
    }
    return { size: params.size };
  }
}
