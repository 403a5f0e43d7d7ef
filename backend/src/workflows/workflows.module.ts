import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { WorkflowVersionEntity } from './entities/workflow-version.entity';
import { WorkflowEntity } from './entities/workflow.entity';
import { WorkflowVersionsService } from './workflow-versions.service';
import { WorkflowsController } from './workflows.controller';
import { WorkflowsService } from './workflows.service';

@Module({
  imports: [TypeOrmModule.forFeature([WorkflowEntity, WorkflowVersionEntity]), AuditModule],
  controllers: [WorkflowsController],
  providers: [WorkflowsService, WorkflowVersionsService],
  exports: [WorkflowsService, WorkflowVersionsService],
})
export class WorkflowsModule {}
