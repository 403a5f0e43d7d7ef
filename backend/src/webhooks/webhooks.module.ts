import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { SecretsModule } from '../secrets/secrets.module';
import { WorkflowsModule } from '../workflows/workflows.module';
import { WebhookSecretsController } from './webhook-secrets.controller';
import { WebhookSecretsRepository } from './webhook-secrets.repository';
import { WebhookSecretsService } from './webhook-secrets.service';

/** External engines (docs/embedding.md, section 8: the `webhook` runner): the per-workflow signing secret the `webhook` runner signs with. */
@Module({
  imports: [WorkflowsModule, SecretsModule, AuditModule],
  controllers: [WebhookSecretsController],
  providers: [WebhookSecretsRepository, WebhookSecretsService],
  exports: [WebhookSecretsService],
})
export class WebhooksModule {}
