import { Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiErrors } from '../common/errors/api-errors.decorator';
import { ParseUuidPipe } from '../common/http/parse-uuid.pipe';
import { ParseVersionPipe } from '../common/http/parse-version.pipe';
import { requestIdOf } from '../common/http/request-id';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import type { UserPrincipal } from '../auth/principal';
import { ListQueryDto } from '../workflows/dto/workflow.dto';
import { VersionChangeDto, WorkflowVersionPageDto } from '../workflows/dto/workflow-version.dto';
import { WorkflowVersionsService } from '../workflows/workflow-versions.service';
import { WorkflowsService } from '../workflows/workflows.service';
import { PublishService, VersionChange } from './publish.service';

/** Published versions (WORKFLOWS §8): what the public runs, the draft published, rollbacks. Owner only. */
@ApiTags('publishing')
@Auth('jwt')
@Controller('api/workflows/:id/versions')
export class VersionsController {
  constructor(
    private readonly publishing: PublishService,
    private readonly workflows: WorkflowsService,
    private readonly versions: WorkflowVersionsService,
  ) {}

  private change(change: VersionChange): VersionChangeDto {
    return {
      workflow: this.workflows.toResponse(change.workflow),
      version: this.versions.toResponse(change.version, change.workflow.publishedVersion),
    };
  }

  @Get()
  @ApiOperation({ summary: 'List the published versions, newest first (`published` marks the one the public runs)' })
  @ApiOkResponse({ type: WorkflowVersionPageDto })
  @ApiErrors('validation_failed', 'not_found')
  async list(@CurrentPrincipal() user: UserPrincipal, @Param('id', ParseUuidPipe) id: string, @Query() query: ListQueryDto): Promise<WorkflowVersionPageDto> {
    const workflow = await this.workflows.getOwned(user.userId, id);
    const page = await this.versions.list(id, query.limit ?? 20, query.cursor);
    return { data: page.data.map((v) => this.versions.toResponse(v, workflow.publishedVersion)), nextCursor: page.nextCursor };
  }

  @Post()
  @ApiOperation({ summary: 'Publish the draft as a new version (the workflow must be public); the public runs it from the next request' })
  @ApiCreatedResponse({ type: VersionChangeDto })
  @ApiErrors('validation_failed', 'not_found', 'publish_invalid_state', 'feature_disabled')
  async publishDraft(@CurrentPrincipal() user: UserPrincipal, @Param('id', ParseUuidPipe) id: string, @Req() req: Request): Promise<VersionChangeDto> {
    return this.change(await this.publishing.publishDraft({ userId: user.userId, requestId: requestIdOf(req) }, id));
  }

  @Post(':version/rollback')
  @HttpCode(200)
  @ApiOperation({ summary: 'Roll back: the public runs this earlier version again (the draft is kept)' })
  @ApiOkResponse({ type: VersionChangeDto })
  @ApiErrors('validation_failed', 'not_found', 'publish_invalid_state')
  async rollback(
    @CurrentPrincipal() user: UserPrincipal,
    @Param('id', ParseUuidPipe) id: string,
    @Param('version', ParseVersionPipe) version: number,
    @Req() req: Request,
  ): Promise<VersionChangeDto> {
    return this.change(await this.publishing.rollback({ userId: user.userId, requestId: requestIdOf(req) }, id, version));
  }
}
