import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { DiscoveryModule } from '@nestjs/core';
import { AgentsModule } from '../agents/agents.module';
import { AuthModule } from '../auth/auth.module';
import { appConfig } from '../config/app.config';
import { featuresConfig } from '../config/features.config';
import { OutboundModule } from '../outbound/outbound.module';
import { PublishModule } from '../publish/publish.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { RateLimitModule } from '../ratelimit/ratelimit.module';
import { TranscriptModule } from '../transcript/transcript.module';
import { WorkflowsModule } from '../workflows/workflows.module';
import { AttachmentUrls } from './attachments/attachment-urls';
import { ChatAttachmentsController } from './attachments/chat-attachments.controller';
import { ChatAttachmentsService } from './attachments/chat-attachments.service';
import { PendingAttachmentsSweeper } from './attachments/pending-attachments.sweeper';
import { chatkitConfig } from './chatkit.config';
import { ChatKitController } from './chatkit.controller';
import { ChatKitService } from './chatkit.service';
import { ChatStreams } from './streams/chat-streams';
import { ChatContextResolver } from './context/chat-context.resolver';
import { ChatKitBodyParser } from './http/chatkit-body';
import { RunnersModule } from '../runners/runners.module';
import { ChatSessionStrategy } from './sessions/chat-session.strategy';
import { HostChatStrategy } from './sessions/host-session.strategy';
import { ChatSessionsAdminController, ChatSessionsController } from './sessions/chat-sessions.controller';
import { PublishTokenVerifier } from './public/publish-token.verifier';
import { OAuthChatStrategy, VisitorChatStrategy } from './public/public-principal.strategies';
import { VisitorTokensService } from './public/visitor-tokens.service';
import { ChatSessionsService } from './sessions/chat-sessions.service';
import { ChatTokenVerifier } from './sessions/chat-token.verifier';

/**
 * The ChatKit gateway: `POST /api/chatkit` (the protocol, SSE), two-phase attachment uploads and
 * signed previews, durable chat sessions and their tokens (the `chat` auth mode), share links with
 * visitor identities and OIDC sign-in (the `publishToken` mode). The runners that answer come from
 * the runners module (`RunnerFactory`).
 * Threads live in the transcript module; workflows decide which runner answers.
 */
@Module({
  imports: [
    ConfigModule.forFeature(chatkitConfig),
    ConfigModule.forFeature(featuresConfig),
    ConfigModule.forFeature(appConfig),
    DiscoveryModule,
    AuthModule,
    WorkflowsModule,
    TranscriptModule,
    PublishModule,
    AgentsModule,
    RunnersModule,
    OutboundModule,
    WebhooksModule,
    RateLimitModule,
  ],
  controllers: [ChatKitController, ChatAttachmentsController, ChatSessionsController, ChatSessionsAdminController],
  providers: [
    ChatKitService,
    ChatAttachmentsService,
    PendingAttachmentsSweeper,
    AttachmentUrls,
    ChatContextResolver,
    ChatSessionsService,
    ChatTokenVerifier,
    ChatSessionStrategy,
    ChatKitBodyParser,
    VisitorTokensService,
    PublishTokenVerifier,
    VisitorChatStrategy,
    OAuthChatStrategy,
    HostChatStrategy,
    ChatStreams,
  ],
  exports: [ChatSessionsService],
})
export class ChatKitModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(ChatKitBodyParser)
      .forRoutes({ path: 'api/chatkit', method: RequestMethod.POST }, { path: 'api/chatkit/uploads/:attachmentId', method: RequestMethod.PUT });
  }
}
