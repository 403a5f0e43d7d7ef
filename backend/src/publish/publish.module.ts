import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { featuresConfig } from '../config/features.config';
import { WorkflowsModule } from '../workflows/workflows.module';
import { PublishLinkEntity } from './entities/publish-link.entity';
import { PublishController } from './publish.controller';
import { PublishService } from './publish.service';
import { VersionsController } from './versions.controller';

@Module({
  imports: [TypeOrmModule.forFeature([PublishLinkEntity]), ConfigModule.forFeature(featuresConfig), WorkflowsModule, AuditModule],
  controllers: [PublishController, VersionsController],
  providers: [PublishService],
  exports: [PublishService],
})
export class PublishModule {}
