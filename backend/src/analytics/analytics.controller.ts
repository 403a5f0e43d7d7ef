import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import type { UserPrincipal } from '../auth/principal';
import { ApiErrors } from '../common/errors/api-errors.decorator';
import { ParseUuidPipe } from '../common/http/parse-uuid.pipe';
import { AnalyticsQueryDto, WorkflowAnalyticsDto } from './analytics.dto';
import { AnalyticsService } from './analytics.service';

@ApiTags('analytics')
@Auth('jwt')
@Controller('api/workflows/:id/analytics')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get()
  @ApiOperation({
    summary: 'How the workflow is used, rated and failing, per hour, day or week',
    description:
      'Counts only (no message text, no identities), except `recentThumbsDown`. Buckets start at `from` (rounded down to the hour); ' +
      'at most 400 buckets. 400 `validation_failed` when `from` is not before `to`, the range needs more than 400 buckets, ' +
      'or `granularity` is not hour, day or week. Figures describe the transcripts as they are now: deleted threads ' +
      '(by the owner, the visitor or retention) no longer count. See docs/analytics.md.',
  })
  @ApiOkResponse({ type: WorkflowAnalyticsDto })
  @ApiErrors('validation_failed', 'not_found')
  get(@CurrentPrincipal() user: UserPrincipal, @Param('id', ParseUuidPipe) id: string, @Query() query: AnalyticsQueryDto): Promise<WorkflowAnalyticsDto> {
    return this.analytics.forWorkflow(user.userId, id, query);
  }
}
