import { Module } from '@nestjs/common';
import { TranscriptRepository } from './transcript.repository';
import { TranscriptService } from './transcript.service';

/**
 * ChatKit threads, items, attachments and feedback in Postgres, scoped by workflow and principal.
 * Exports the service (the protocol's `ChatStore`), never the repository.
 */
@Module({
  providers: [TranscriptRepository, TranscriptService],
  exports: [TranscriptService],
})
export class TranscriptModule {}
