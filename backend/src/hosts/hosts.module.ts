import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { chatkitConfig } from '../chatkit/chatkit.config';
import { rateLimitConfig } from '../ratelimit/ratelimit.config';
import { WorkflowsModule } from '../workflows/workflows.module';
import { HostSessionsController, HostedChatKitCompatController } from './host-sessions.controller';
import { HostSessionsRepository } from './host-sessions.repository';
import { HostSessionsService } from './host-sessions.service';
import { HostTokenVerifier } from './host-token.verifier';
import { ServerKeyVerifier } from './server-key.verifier';
import { ServerKeysController } from './server-keys.controller';
import { ServerKeysRepository } from './server-keys.repository';
import { ServerKeysService } from './server-keys.service';

/**
 * Host applications (docs/embedding.md, section 7): workflow server keys (`wsk_…`, the `serverKey` auth mode),
 * end-user sessions minted with them (the `hostSession` auth mode: chat JWTs of kind `host`) and
 * the hosted-ChatKit compatible session routes. The chat gateway maps `host` principals to
 * transcripts (chatkit/sessions/host-session.strategy.ts).
 */
@Module({
  imports: [ConfigModule.forFeature(chatkitConfig), ConfigModule.forFeature(rateLimitConfig), AuthModule, WorkflowsModule, AuditModule],
  controllers: [ServerKeysController, HostSessionsController, HostedChatKitCompatController],
  providers: [ServerKeysRepository, ServerKeysService, ServerKeyVerifier, HostSessionsRepository, HostSessionsService, HostTokenVerifier],
  exports: [HostSessionsService],
})
export class HostsModule {}
