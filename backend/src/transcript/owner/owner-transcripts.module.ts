import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { WorkflowsModule } from '../../workflows/workflows.module';
import { OwnerTranscriptsController } from './owner-transcripts.controller';
import { OwnerTranscriptsRepository } from './owner-transcripts.repository';
import { OwnerTranscriptsService } from './owner-transcripts.service';
import { retentionConfig } from './transcript-retention.config';
import { TranscriptRetentionService } from './transcript-retention.service';

/** The owner's transcript API (read, export, delete) and the retention job. */
@Module({
  imports: [ConfigModule.forFeature(retentionConfig), WorkflowsModule],
  controllers: [OwnerTranscriptsController],
  providers: [OwnerTranscriptsRepository, OwnerTranscriptsService, TranscriptRetentionService],
  exports: [TranscriptRetentionService],
})
export class OwnerTranscriptsModule {}
