import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { DiscoveryModule } from '@nestjs/core';
import { AuthModule } from '../auth/auth.module';
import { OutboundModule } from '../outbound/outbound.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { WorkflowsModule } from '../workflows/workflows.module';
import { RunnerFactory } from './runner.factory';
import { runnersConfig } from './runners.config';

/**
 * The runners that answer chats: `RunnerFactory` builds the `echo`, `openai` and `webhook` kinds itself and
 * finds the builders of other kinds (`@RunnerKind`, e.g. the agents module's) among the app's
 * providers. `ChatContext` (chat-context.ts) is the context every runner call receives.
 */
@Module({
  imports: [ConfigModule.forFeature(runnersConfig), DiscoveryModule, AuthModule, WorkflowsModule, OutboundModule, WebhooksModule],
  providers: [RunnerFactory],
  exports: [RunnerFactory],
})
export class RunnersModule {}
