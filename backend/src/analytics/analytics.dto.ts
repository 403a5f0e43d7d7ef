import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { GRANULARITIES, Granularity, MAX_BUCKETS } from './analytics-range';

/** Validated by `parseRange` (so every refusal carries a message that says what to change). */
export class AnalyticsQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Start (inclusive), rounded down to the hour. Default: `to` minus 24 hours, 30 days or 12 weeks' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'End (exclusive), rounded up to the hour. Default: now' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  to?: string;

  @ApiPropertyOptional({ enum: GRANULARITIES, default: 'day', description: `Bucket length; buckets start at \`from\`. At most ${MAX_BUCKETS} buckets` })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  granularity?: string;
}

const COUNT_MAP = { type: 'object', additionalProperties: { type: 'integer' } } as const;

export class ChannelCountsDto {
  @ApiProperty() total: number;
  @ApiProperty({ ...COUNT_MAP, description: 'canvas, page (share-link page), embed (another origin), host (host-app session), api (no Origin), unknown (before recording)', example: { canvas: 1, page: 4, embed: 2, host: 0 } })
  byChannel: Record<string, number>;
}

export class PeopleCountsDto {
  @ApiProperty({ description: 'Distinct people in the bucket (someone active on two days counts once in the totals)' }) total: number;
  @ApiProperty({ ...COUNT_MAP, description: 'visitor, oauth (signed in), host (host-app user), user (the owner in the canvas)', example: { visitor: 3, oauth: 1, user: 1 } })
  byKind: Record<string, number>;
}

export class FeedbackFiguresDto {
  @ApiProperty() positive: number;
  @ApiProperty() negative: number;
  @ApiProperty({ type: Number, nullable: true, description: 'positive / (positive + negative); null without feedback' }) ratio: number | null;
}

export class ErrorCountsDto {
  @ApiProperty() total: number;
  @ApiProperty({ ...COUNT_MAP, description: 'rate_limited, provider_timeout, provider_unreachable, provider_unavailable, provider_auth, provider_error, provider_bad_response, provider_not_configured, stream.error, custom, …', example: { rate_limited: 2 } })
  byCode: Record<string, number>;
}

export class TtftFiguresDto {
  @ApiProperty({ description: 'Answers with a recorded time to first token' }) count: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Median, ms (from a 10 %-wide histogram: within 5 %)' }) p50: number | null;
  @ApiProperty({ type: Number, nullable: true, description: '95th percentile, ms' }) p95: number | null;
}

export class AnalyticsFiguresDto {
  @ApiProperty({ type: ChannelCountsDto, description: 'Conversations (threads) started' }) conversations: ChannelCountsDto;
  @ApiProperty({ type: ChannelCountsDto, description: 'Messages people sent' }) userMessages: ChannelCountsDto;
  @ApiProperty({ type: PeopleCountsDto, description: 'People who sent at least one message' }) people: PeopleCountsDto;
  @ApiProperty({ description: 'Assistant messages' }) answers: number;
  @ApiProperty({ type: FeedbackFiguresDto }) feedback: FeedbackFiguresDto;
  @ApiProperty({ type: ErrorCountsDto, description: 'Answers that ended in an error event, by code' }) errors: ErrorCountsDto;
  @ApiProperty({ type: TtftFiguresDto, description: 'Time to first token of answers' }) ttftMs: TtftFiguresDto;
}

export class AnalyticsBucketDto extends AnalyticsFiguresDto {
  @ApiProperty({ format: 'date-time' }) start: string;
  @ApiProperty({ format: 'date-time' }) end: string;
}

export class ThumbsDownDto {
  @ApiProperty() threadId: string;
  @ApiProperty({ type: String, nullable: true, description: 'The rated answer; null when it no longer exists (retried)' }) itemId: string | null;
  @ApiProperty({ type: String, nullable: true }) threadTitle: string | null;
  @ApiProperty() principalKind: string;
  @ApiProperty() channel: string;
  @ApiProperty({ type: String, nullable: true, description: 'The answer’s text, at most 280 characters' }) answerText: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class ToolFiguresDto {
  @ApiProperty() tool: string;
  @ApiProperty({ description: 'http, mcp or client' }) type: string;
  @ApiProperty() calls: number;
  @ApiProperty() completed: number;
  @ApiProperty() failed: number;
  @ApiProperty() denied: number;
}

export class ApprovalFiguresDto {
  @ApiProperty() approved: number;
  @ApiProperty() denied: number;
  @ApiProperty() pending: number;
}

export class ToolAnalyticsDto {
  @ApiProperty({ type: [ToolFiguresDto], description: 'Tool calls in the range, by tool, most used first' }) byTool: ToolFiguresDto[];
  @ApiProperty({ type: ApprovalFiguresDto, description: 'Outcomes of calls that needed approval' }) approvals: ApprovalFiguresDto;
}

export class WorkflowAnalyticsDto {
  @ApiProperty({ format: 'uuid' }) workflowId: string;
  @ApiProperty({ format: 'date-time', description: 'Effective start (rounded down to the hour)' }) from: string;
  @ApiProperty({ format: 'date-time', description: 'Effective end (rounded up to the hour)' }) to: string;
  @ApiProperty({ enum: GRANULARITIES }) granularity: Granularity;
  @ApiProperty({ type: [AnalyticsBucketDto] }) buckets: AnalyticsBucketDto[];
  @ApiProperty({ type: AnalyticsFiguresDto, description: 'The whole range (people are distinct over the range)' }) totals: AnalyticsFiguresDto;
  @ApiProperty({ type: [ThumbsDownDto], description: 'The 10 most recent thumbs-down ratings in the range (the only text in this answer)' })
  recentThumbsDown: ThumbsDownDto[];
  @ApiProperty({ type: ToolAnalyticsDto }) tools: ToolAnalyticsDto;
}
