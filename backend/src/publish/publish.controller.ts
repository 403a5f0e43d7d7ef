import { isUUID } from 'class-validator';
import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AuditService } from '../audit/audit.service';
import { ApiErrors } from '../common/errors/api-errors.decorator';
import { NotFoundError } from '../common/errors/domain-error';
import { ParseUuidPipe } from '../common/http/parse-uuid.pipe';
import { Public } from '../common/http/public.decorator';
import { requestIdOf } from '../common/http/request-id';
import { requestLog } from '../common/logging/request-log';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import type { UserPrincipal } from '../auth/principal';
import { ListQueryDto, WorkflowResponseDto } from '../workflows/dto/workflow.dto';
import { WorkflowsService } from '../workflows/workflows.service';
import { AuditPageDto, IssuedLinkDto, LoginRequirementDto, PublicWorkflowDto, PublishRequestDto } from './dto/publish.dto';
import { IssuedLink, PublishService } from './publish.service';

/** Who performs a publish transition, for the audit row. */
const actorOf = (user: UserPrincipal, req: Request) => ({ userId: user.userId, requestId: requestIdOf(req), log: requestLog(req) });

@ApiTags('publishing')
@Controller('api/workflows/:id')
export class PublishController {
  constructor(
    private readonly publishing: PublishService,
    private readonly workflows: WorkflowsService,
    private readonly audit: AuditService,
  ) {}

  private issued(link: IssuedLink): IssuedLinkDto {
    return { workflow: this.workflows.toResponse(link.workflow), publishToken: link.publishToken, shareUrl: link.shareUrl };
  }

  @Post('publish')
  @Auth('jwt')
  @ApiOperation({ summary: 'Publish: create the share link (its token is shown once)' })
  @ApiCreatedResponse({ type: IssuedLinkDto })
  @ApiErrors('validation_failed', 'not_found', 'publish_invalid_state', 'feature_disabled')
  async publish(
    @CurrentPrincipal() user: UserPrincipal,
    @Param('id', ParseUuidPipe) id: string,
    @Body() dto: PublishRequestDto,
    @Req() req: Request,
  ): Promise<IssuedLinkDto> {
    return this.issued(await this.publishing.publish(actorOf(user, req), id, dto.requireLogin ?? false));
  }

  @Post('publish/rotate')
  @HttpCode(200)
  @Auth('jwt')
  @ApiOperation({ summary: 'Rotate: replace the share link; the old one stops working for new requests' })
  @ApiOkResponse({ type: IssuedLinkDto })
  @ApiErrors('validation_failed', 'not_found', 'publish_invalid_state', 'feature_disabled')
  async rotate(
    @CurrentPrincipal() user: UserPrincipal,
    @Param('id', ParseUuidPipe) id: string,
    @Body() dto: PublishRequestDto,
    @Req() req: Request,
  ): Promise<IssuedLinkDto> {
    return this.issued(await this.publishing.rotate(actorOf(user, req), id, dto.requireLogin));
  }

  @Post('publish/revoke')
  @HttpCode(200)
  @Auth('jwt')
  @ApiOperation({ summary: 'Revoke: every share link dies and the workflow is private again' })
  @ApiOkResponse({ type: WorkflowResponseDto })
  @ApiErrors('validation_failed', 'not_found', 'publish_invalid_state')
  async revoke(@CurrentPrincipal() user: UserPrincipal, @Param('id', ParseUuidPipe) id: string, @Req() req: Request): Promise<WorkflowResponseDto> {
    return this.workflows.toResponse(await this.publishing.revoke(actorOf(user, req), id));
  }

  @Patch('publish')
  @Auth('jwt')
  @ApiOperation({ summary: 'Change whether visitors must sign in, without rotating the link' })
  @ApiOkResponse({ type: WorkflowResponseDto })
  @ApiErrors('validation_failed', 'not_found', 'publish_invalid_state', 'feature_disabled')
  async setRequireLogin(
    @CurrentPrincipal() user: UserPrincipal,
    @Param('id', ParseUuidPipe) id: string,
    @Body() dto: LoginRequirementDto,
    @Req() req: Request,
  ): Promise<WorkflowResponseDto> {
    return this.workflows.toResponse(
      await this.publishing.setRequireLogin(actorOf(user, req), id, dto.requireLogin),
    );
  }

  @Get('public')
  @Public()
  @ApiOperation({ summary: 'Public metadata of a published workflow (name and login requirement only)' })
  @ApiOkResponse({ type: PublicWorkflowDto })
  @ApiErrors('not_found')
  async publicMetadata(@Param('id') id: string): Promise<PublicWorkflowDto> {
    // Malformed, missing and private all answer the same 404, so ids cannot be probed.
    const meta = isUUID(id) ? await this.publishing.publicMetadata(id.toLowerCase()) : null;
    if (!meta) throw new NotFoundError('Workflow not found.');
    return meta;
  }

  @Get('audit')
  @Auth('jwt')
  @ApiOperation({ summary: 'Audit trail of publish, rotate, revoke and login-flag changes (newest first)' })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiErrors('validation_failed', 'not_found')
  async auditTrail(
    @CurrentPrincipal() user: UserPrincipal,
    @Param('id', ParseUuidPipe) id: string,
    @Query() query: ListQueryDto,
  ): Promise<AuditPageDto> {
    await this.workflows.getOwned(user.userId, id);
    const page = await this.audit.listForWorkflow(id, query.limit ?? 20, query.cursor);
    return { data: page.data.map((e) => ({ ...e, occurredAt: e.occurredAt.toISOString() })), nextCursor: page.nextCursor };
  }
}
