import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { OutboundModule } from '../outbound/outbound.module';
import { SecretsModule } from '../secrets/secrets.module';
import { RunnerDefinitions } from './runner-definitions';
import { WorkflowEntity } from './entities/workflow.entity';
import { WorkflowsController } from './workflows.controller';
import { WebhookDefinitions } from './webhook-definition';
import { WorkflowsService } from './workflows.service';

@Module({
  imports: [TypeOrmModule.forFeature([WorkflowEntity]), AuditModule, OutboundModule, SecretsModule],
  controllers: [WorkflowsController],
  providers: [WorkflowsService, RunnerDefinitions, WebhookDefinitions],
  exports: [WorkflowsService, RunnerDefinitions, WebhookDefinitions],
})
export class WorkflowsModule {}
