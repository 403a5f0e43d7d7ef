import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { WorkflowVersionEntity } from './entities/workflow-version.entity';
import { OutboundModule } from '../outbound/outbound.module';
import { SecretsModule } from '../secrets/secrets.module';
import { RunnerDefinitions } from './runner-definitions';
import { WorkflowEntity } from './entities/workflow.entity';
import { WorkflowVersionsService } from './workflow-versions.service';
import { WorkflowsController } from './workflows.controller';
import { WebhookDefinitions } from './webhook-definition';
import { WorkflowsService } from './workflows.service';

@Module({
  imports: [TypeOrmModule.forFeature([WorkflowEntity, WorkflowVersionEntity]), AuditModule, OutboundModule, SecretsModule],
  controllers: [WorkflowsController],
  providers: [WorkflowsService, WorkflowVersionsService, RunnerDefinitions, WebhookDefinitions],
  exports: [WorkflowsService, WorkflowVersionsService, RunnerDefinitions, WebhookDefinitions],
})
export class WorkflowsModule {}
