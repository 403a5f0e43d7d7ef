import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { OutboundModule } from '../outbound/outbound.module';
import { SecretsModule } from '../secrets/secrets.module';
import { RunnerDefinitions } from './runner-definitions';
import { WorkflowEntity } from './entities/workflow.entity';
import { WorkflowsController } from './workflows.controller';
import { WorkflowsService } from './workflows.service';

@Module({
  imports: [TypeOrmModule.forFeature([WorkflowEntity]), AuditModule, OutboundModule, SecretsModule],
  controllers: [WorkflowsController],
  providers: [WorkflowsService, RunnerDefinitions],
  exports: [WorkflowsService, RunnerDefinitions],
})
export class WorkflowsModule {}
