import { Module } from '@nestjs/common';
import { ChatSessionsRepository } from './chat-sessions.repository';
import { TranscriptRepository } from './transcript.repository';
import { TranscriptService } from './transcript.service';

/**
 * ChatKit threads, items, attachments and feedback in Postgres, scoped by workflow and principal,
 * and the rows of the canvas chat's sessions: every SQL statement on the chat tables. Exports the
 * service (the protocol's `ChatStore`), never the thread repository; the sessions' repository is
 * exported for the gateway's session service.
 */
@Module({
  providers: [TranscriptRepository, TranscriptService, ChatSessionsRepository],
  exports: [TranscriptService, ChatSessionsRepository],
})
export class TranscriptModule {}
