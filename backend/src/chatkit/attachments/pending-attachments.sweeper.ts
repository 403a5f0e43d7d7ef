import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { TranscriptService } from '../../transcript/transcript.service';
import { chatkitConfig } from '../chatkit.config';

/**
 * Deletes attachments that were never sent in a message once `CHATKIT_PENDING_ATTACHMENT_TTL` has
 * passed — promised uploads that never came and uploads nobody sent — so they hold neither storage
 * nor quota. Runs every quarter of the TTL (at least every 30 s, at most every 10 min) on every
 * instance; the deletes are idempotent.
 */
@Injectable()
export class PendingAttachmentsSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PendingAttachments');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly transcript: TranscriptService,
    @Inject(chatkitConfig.KEY) private readonly config: ConfigType<typeof chatkitConfig>,
  ) {}

  onApplicationBootstrap(): void {
    const everySeconds = Math.min(600, Math.max(30, Math.floor(this.config.pendingAttachmentTtlSeconds / 4)));
    this.timer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.logger.warn(`pending attachment sweep failed: ${(err as Error).message}`));
    }, everySeconds * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One sweep; returns how many attachments were deleted. */
  async sweep(now: Date = new Date()): Promise<number> {
    const deleted = await this.transcript.deleteExpiredPendingAttachments(new Date(now.getTime() - this.config.pendingAttachmentTtlSeconds * 1000));
    if (deleted) this.logger.log(`deleted ${deleted} attachment(s) never sent in a message`);
    return deleted;
  }
}
