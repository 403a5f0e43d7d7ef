import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { OutboundModule } from '../outbound/outbound.module';
import { SecretsModule } from '../secrets/secrets.module';
import { RunnerDefinitions } from './runner-definitions';
import { WorkflowVersionsRepository } from './workflow-versions.repository';
import { WorkflowVersionsService } from './workflow-versions.service';
import { WorkflowsController } from './workflows.controller';
import { WebhookDefinitions } from './webhook-definition';
import { WorkflowsRepository } from './workflows.repository';
import { WorkflowsService } from './workflows.service';

@Module({
  imports: [AuditModule, OutboundModule, SecretsModule],
  controllers: [WorkflowsController],
  providers: [WorkflowsService, WorkflowsRepository, WorkflowVersionsService, WorkflowVersionsRepository, RunnerDefinitions, WebhookDefinitions],
  exports: [WorkflowsService, WorkflowVersionsService, RunnerDefinitions, WebhookDefinitions],
})
export class WorkflowsModule {}
