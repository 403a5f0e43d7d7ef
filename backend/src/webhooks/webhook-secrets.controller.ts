import { Controller, Get, Param, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import type { UserPrincipal } from '../auth/principal';
import { ApiErrors } from '../common/errors/api-errors.decorator';
import { ParseUuidPipe } from '../common/http/parse-uuid.pipe';
import { requestIdOf } from '../common/http/request-id';
import { WebhookSecretsService } from './webhook-secrets.service';

export class WebhookSecretDto {
  @ApiProperty({ example: 'whsec_…', description: '`whsec_` + 43 base64url characters. Shown only in this response: configure your engine\'s verifier with it now.' })
  secret: string;
}

export class WebhookSecretStatusDto {
  @ApiProperty() configured: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) createdAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) rotatedAt: string | null;
}

/** The signing secret of a workflow's `webhook` runner. */
@ApiTags('workflows')
@Auth('jwt')
@Controller('api/workflows/:id/webhook-secret')
export class WebhookSecretsController {
  constructor(private readonly secrets: WebhookSecretsService) {}

  @Post()
  @ApiOperation({
    summary: 'Create or rotate the webhook signing secret (shown once)',
    description: 'Parley signs each request to the workflow\'s engine with `X-Parley-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. Calling it again rotates the secret at once.',
  })
  @ApiCreatedResponse({ type: WebhookSecretDto })
  @ApiErrors('validation_failed', 'not_found')
  async rotate(@CurrentPrincipal('user') user: UserPrincipal, @Param('id', ParseUuidPipe) workflowId: string, @Req() req: Request): Promise<WebhookSecretDto> {
    return { secret: (await this.secrets.rotate(user.userId, workflowId, requestIdOf(req))).secret };
  }

  @Get()
  @ApiOperation({ summary: 'Whether the workflow has a webhook signing secret (never the secret)' })
  @ApiOkResponse({ type: WebhookSecretStatusDto })
  @ApiErrors('validation_failed', 'not_found')
  async status(@CurrentPrincipal('user') user: UserPrincipal, @Param('id', ParseUuidPipe) workflowId: string): Promise<WebhookSecretStatusDto> {
    return this.secrets.status(user.userId, workflowId);
  }
}
