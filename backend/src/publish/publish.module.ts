import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AuditModule } from '../audit/audit.module';
import { featuresConfig } from '../config/features.config';
import { WorkflowsModule } from '../workflows/workflows.module';
import { PublishController } from './publish.controller';
import { PublishLinksRepository } from './publish-links.repository';
import { PublishService } from './publish.service';
import { VersionsController } from './versions.controller';

@Module({
  imports: [ConfigModule.forFeature(featuresConfig), WorkflowsModule, AuditModule],
  controllers: [PublishController, VersionsController],
  providers: [PublishService, PublishLinksRepository],
  exports: [PublishService],
})
export class PublishModule {}
