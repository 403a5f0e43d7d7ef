import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import type { ServerKeyPrincipal, UserPrincipal } from '../auth/principal';
import { ApiErrors } from '../common/errors/api-errors.decorator';
import { ValidationFailedError } from '../common/errors/domain-error';
import { ParseUuidPipe } from '../common/http/parse-uuid.pipe';
import { requestIdOf } from '../common/http/request-id';
import { requestLog } from '../common/logging/request-log';
import { rateLimitConfig } from '../ratelimit/ratelimit.config';
import {
  CompatChatSessionDto,
  CompatCreateSessionDto,
  CreateEndUserSessionDto,
  EndUserSessionDto,
  HostSessionListDto,
  HostSessionListQueryDto,
} from './dto/host-sessions.dto';
import { HostSessionsService, HostSessionView, parseHostUser } from './host-sessions.service';
import { RechecksServerKey } from './server-key.verifier';

const SERVER_KEY_ERRORS = ['server_key_invalid', 'server_key_revoked', 'server_key_from_browser', 'workflow_mismatch', 'host_user_invalid', 'rate_limited'] as const;

/** End-user sessions of host applications: minted by the host's backend with a server key. */
@ApiTags('host sessions')
@Controller('api/workflows/:id/end-user-sessions')
export class HostSessionsController {
  constructor(private readonly sessions: HostSessionsService) {}

  @Post()
  @HttpCode(200)
  @Auth('serverKey')
  @RechecksServerKey()
  @ApiOperation({
    summary: 'Mint an end-user session for a signed-in user of your app (server key; call it again to refresh)',
    description:
      'Your backend calls this with `Authorization: Bearer wsk_…` for the user it has signed in, and hands `client_secret` to the ' +
      'widget (`auth: {kind: "hostSession", getClientSecret}`). The user\'s threads follow them across devices; another user never ' +
      'sees them. Browsers are refused (`server_key_from_browser`).',
  })
  @ApiOkResponse({ type: EndUserSessionDto })
  @ApiErrors('validation_failed', ...SERVER_KEY_ERRORS)
  async create(
    @CurrentPrincipal('serverKey') key: ServerKeyPrincipal,
    @Param('id', ParseUuidPipe) workflowId: string,
    @Body() body: CreateEndUserSessionDto,
  ): Promise<EndUserSessionDto> {
    return this.sessions.issue(key, workflowId, body.user, body.deviceId);
  }

  @Get()
  @Auth('jwt')
  @ApiOperation({ summary: 'List the end-user (host) sessions of your workflow: user id, email, name, device, last used' })
  @ApiOkResponse({ type: HostSessionListDto })
  @ApiErrors('validation_failed', 'not_found')
  async list(
    @CurrentPrincipal('user') user: UserPrincipal,
    @Param('id', ParseUuidPipe) workflowId: string,
    @Query() query: HostSessionListQueryDto,
  ): Promise<HostSessionListDto> {
    return { data: await this.sessions.list(user.userId, workflowId, query.userId) };
  }

  @Delete(':sessionId')
  @HttpCode(204)
  @Auth('jwt')
  @ApiOperation({ summary: 'Revoke an end-user session: its client secrets fail at once and its live streams end' })
  @ApiNoContentResponse({ description: 'Revoked (also when it already was).' })
  @ApiErrors('validation_failed', 'not_found')
  async revoke(
    @CurrentPrincipal('user') user: UserPrincipal,
    @Param('id', ParseUuidPipe) workflowId: string,
    @Param('sessionId', ParseUuidPipe) sessionId: string,
    @Req() req: Request,
  ): Promise<void> {
    await this.sessions.revoke(user.userId, workflowId, sessionId, requestIdOf(req), requestLog(req));
  }
}

/**
 * Compatibility with OpenAI's hosted ChatKit sessions API (`POST /v1/chatkit/sessions`,
 * `…/{id}/cancel`): an app written for hosted ChatKit switches by pointing its OpenAI client's base
 * URL at `<parley>/v1` and using a workflow server key as its API key. See docs/embedding.md.
 */
@ApiTags('host sessions')
@Controller('v1/chatkit/sessions')
export class HostedChatKitCompatController {
  constructor(
    private readonly sessions: HostSessionsService,
    @Inject(rateLimitConfig.KEY) private readonly limits: ConfigType<typeof rateLimitConfig>,
  ) {}

  @Post()
  @HttpCode(200)
  @Auth('serverKey')
  @RechecksServerKey()
  @ApiOperation({
    summary: 'Hosted-ChatKit compatible: create a session (`{user: "<id>", workflow: {id}}`)',
    description: 'The same as `POST /api/workflows/:id/end-user-sessions` in the shape of OpenAI\'s `client.beta.chatkit.sessions.create`.',
  })
  @ApiOkResponse({ type: CompatChatSessionDto })
  @ApiErrors('validation_failed', ...SERVER_KEY_ERRORS)
  async create(@CurrentPrincipal('serverKey') key: ServerKeyPrincipal, @Body() body: CompatCreateSessionDto): Promise<CompatChatSessionDto> {
    const workflowId = (body.workflow as { id?: unknown } | null)?.id;
    if (typeof workflowId !== 'string' || workflowId === '') throw new ValidationFailedError({ 'workflow.id': ['workflow.id must be the Parley workflow id'] });
    const user = parseHostUser(body.user);
    const issued = await this.sessions.issue(key, workflowId, user);
    return this.toSession(issued.session_id, user.id, workflowId, issued.client_secret, issued.expires_at, 'active');
  }

  @Post(':sessionId/cancel')
  @HttpCode(200)
  @Auth('serverKey')
  @ApiOperation({ summary: 'Hosted-ChatKit compatible: cancel a session (its client secrets stop working, its live streams end)' })
  @ApiOkResponse({ type: CompatChatSessionDto })
  @ApiErrors('not_found', ...SERVER_KEY_ERRORS)
  async cancel(@CurrentPrincipal('serverKey') key: ServerKeyPrincipal, @Param('sessionId') sessionId: string, @Req() req: Request): Promise<CompatChatSessionDto> {
    const view: HostSessionView = await this.sessions.cancel(key, sessionId, requestLog(req));
    return this.toSession(view.id, view.user.id, key.workflowId, '', Math.floor(Date.parse(view.expiresAt) / 1000), 'cancelled');
  }

  private toSession(id: string, user: string, workflowId: string, clientSecret: string, expiresAt: number, status: 'active' | 'cancelled'): CompatChatSessionDto {
    const perMinute = Math.round((this.limits.perPrincipal * 60) / this.limits.windowSeconds);
    return {
      id,
      object: 'chatkit.session',
      client_secret: clientSecret,
      expires_at: expiresAt,
      status,
      user,
      workflow: { id: workflowId, version: null, state_variables: null, tracing: { enabled: false } },
      max_requests_per_1_minute: perMinute,
      rate_limits: { max_requests_per_1_minute: perMinute },
      chatkit_configuration: {},
    };
  }
}
