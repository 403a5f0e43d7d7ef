import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { OwnerTranscriptsRepository } from './owner-transcripts.repository';
import { retentionConfig } from './transcript-retention.config';

/**
 * Deletes threads (with their items, attachments and feedback, by cascade) that have not
 * changed for longer than their workflow's retention, or the global one.
 */
@Injectable()
export class TranscriptRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TranscriptRetention');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly repo: OwnerTranscriptsRepository,
    @Inject(retentionConfig.KEY) private readonly config: ConfigType<typeof retentionConfig>,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.logger.warn(`retention sweep failed: ${(err as Error).message}`));
    }, this.config.sweepSeconds * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One sweep; returns how many threads were deleted. */
  async sweep(now: Date = new Date()): Promise<number> {
    const deleted = await this.repo.deleteExpiredThreads(this.config.days, now);
    if (deleted) this.logger.log(`retention deleted ${deleted} thread(s)`);
    return deleted;
  }
}
