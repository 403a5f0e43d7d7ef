import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiErrors } from '../common/errors/api-errors.decorator';
import { ParseUuidPipe } from '../common/http/parse-uuid.pipe';
import { requestIdOf } from '../common/http/request-id';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import type { UserPrincipal } from '../auth/principal';
import { CreateWorkflowDto, ListQueryDto, UpdateWorkflowDto, WorkflowPageDto, WorkflowResponseDto } from './dto/workflow.dto';
import { WorkflowsService } from './workflows.service';

@ApiTags('workflows')
@Auth('jwt')
@Controller('api/workflows')
export class WorkflowsController {
  constructor(private readonly workflows: WorkflowsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a workflow (echo runner by default)' })
  @ApiCreatedResponse({ type: WorkflowResponseDto })
  @ApiErrors('validation_failed')
  async create(@CurrentPrincipal() user: UserPrincipal, @Body() dto: CreateWorkflowDto): Promise<WorkflowResponseDto> {
    return this.workflows.toResponse(await this.workflows.create(user.userId, dto));
  }

  @Get()
  @ApiOperation({ summary: 'List the caller’s workflows, newest first, with their publish status' })
  @ApiOkResponse({ type: WorkflowPageDto })
  @ApiErrors('validation_failed')
  async list(@CurrentPrincipal() user: UserPrincipal, @Query() query: ListQueryDto): Promise<WorkflowPageDto> {
    const page = await this.workflows.list(user.userId, query.limit ?? 20, query.cursor);
    return { data: page.data.map((w) => this.workflows.toResponse(w)), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Show a workflow with its publish status' })
  @ApiOkResponse({ type: WorkflowResponseDto })
  @ApiErrors('validation_failed', 'not_found')
  async get(@CurrentPrincipal() user: UserPrincipal, @Param('id', ParseUuidPipe) id: string): Promise<WorkflowResponseDto> {
    return this.workflows.toResponse(await this.workflows.getOwned(user.userId, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change name, description, runner or allowed origins' })
  @ApiOkResponse({ type: WorkflowResponseDto })
  @ApiErrors('validation_failed', 'not_found')
  async update(
    @CurrentPrincipal() user: UserPrincipal,
    @Param('id', ParseUuidPipe) id: string,
    @Body() dto: UpdateWorkflowDto,
  ): Promise<WorkflowResponseDto> {
    return this.workflows.toResponse(await this.workflows.update(user.userId, id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a workflow, its share links and its transcripts' })
  @ApiNoContentResponse()
  @ApiErrors('validation_failed', 'not_found')
  async delete(@CurrentPrincipal() user: UserPrincipal, @Param('id', ParseUuidPipe) id: string, @Req() req: Request): Promise<void> {
    await this.workflows.delete(user.userId, id, requestIdOf(req));
  }
}
