import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { OutboundModule } from '../outbound/outbound.module';
import { WorkflowsModule } from '../workflows/workflows.module';
import { AgentRuntime } from './agent-runtime';
import { AgentToolCallsRepository } from './agent-tool-calls.repository';
import { AgentToolsController } from './agent-tools.controller';
import { AgentToolsService } from './agent-tools.service';

/**
 * Agent workflows: tool execution (http, MCP) under the outbound policy with end-user identity,
 * persisted tool calls and approvals, and the owner's tool connection test. The chat gateway
 * builds `AgentRunner`s on `AgentRuntime`.
 */
@Module({
  imports: [AuditModule, AuthModule, OutboundModule, WorkflowsModule],
  controllers: [AgentToolsController],
  providers: [AgentRuntime, AgentToolCallsRepository, AgentToolsService],
  exports: [AgentRuntime],
})
export class AgentsModule {}
