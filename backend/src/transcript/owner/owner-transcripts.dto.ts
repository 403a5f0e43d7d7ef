import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDateString, IsDefined, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export const PRINCIPAL_KINDS = ['user', 'visitor', 'oauth', 'host'] as const;
export type TranscriptPrincipalKind = (typeof PRINCIPAL_KINDS)[number];

export class TranscriptQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Threads created at or after' })
  @IsOptional()
  @IsDateString()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Threads created before' })
  @IsOptional()
  @IsDateString()
  to?: string;

  @ApiPropertyOptional({ enum: PRINCIPAL_KINDS, description: '`user` = canvas chats of the owner, `visitor` = anonymous public chats, `oauth` = signed-in public chats, `host` = end users of a host app (end-user sessions)' })
  @IsOptional()
  @IsIn(PRINCIPAL_KINDS)
  principalKind?: TranscriptPrincipalKind;

  @ApiPropertyOptional({ description: 'Case-insensitive text search over user and assistant messages' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

/** Default and maximum page size of one thread's items (`GET …/transcripts/:threadId`). */
export const THREAD_ITEMS_DEFAULT_LIMIT = 500;
export const THREAD_ITEMS_MAX_LIMIT = 1000;

export class TranscriptItemsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: THREAD_ITEMS_MAX_LIMIT, default: THREAD_ITEMS_DEFAULT_LIMIT, description: 'Items per page' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(THREAD_ITEMS_MAX_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page: items after it' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class ExportQueryDto {
  @ApiProperty({ enum: ['jsonl', 'csv'] })
  @IsDefined()
  @IsIn(['jsonl', 'csv'])
  format: 'jsonl' | 'csv';
}

export class FeedbackCountsDto {
  @ApiProperty() positive: number;
  @ApiProperty() negative: number;
}

export class HostUserLabelDto {
  @ApiProperty({ description: 'The host app\'s own user id' }) id: string;
  @ApiProperty({ type: String, nullable: true }) email: string | null;
  @ApiProperty({ type: String, nullable: true }) name: string | null;
}

export class TranscriptSummaryDto {
  @ApiProperty({ example: 'thr_1a2b3c4d5e6f7a8b' }) id: string;
  @ApiProperty({ type: String, nullable: true }) title: string | null;
  @ApiProperty({ enum: PRINCIPAL_KINDS }) principalKind: TranscriptPrincipalKind;
  @ApiProperty({ example: 'Visitor #3', description: 'Who wrote it, readable: `You` (the owner), the email or name of a signed-in visitor, `Visitor #n` for anonymous visitors; host-app users as the app named them (`Ada <ada@example.com> (user_42)`); else a masked id' })
  principalLabel: string;
  @ApiProperty({ type: () => HostUserLabelDto, nullable: true, description: 'Host-app end users (`principalKind` `host`): the host\'s id, email and name' })
  hostUser: HostUserLabelDto | null;
  @ApiProperty({ description: 'Visible items (hidden context excluded)' }) itemCount: number;
  @ApiProperty({ type: FeedbackCountsDto }) feedback: FeedbackCountsDto;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class TranscriptPageDto {
  @ApiProperty({ type: [TranscriptSummaryDto] }) data: TranscriptSummaryDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class TranscriptFeedbackDto {
  @ApiProperty({ type: [String] }) itemIds: string[];
  @ApiProperty({ enum: ['positive', 'negative'] }) kind: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class TranscriptDetailDto extends TranscriptSummaryDto {
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'ChatKit thread items in order: one page (`limit`, from `cursor`)' })
  items: Record<string, unknown>[];
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer', nullable: true },
    description: 'Item id → the published workflow version that produced it (null: the owner\'s draft, or written before versions existed)',
  })
  itemVersions: Record<string, number | null>;
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page of items; null on the last page' })
  nextCursor: string | null;
  @ApiProperty({ type: [TranscriptFeedbackDto], description: 'Every feedback entry of the thread (on every page)' }) feedbackEntries: TranscriptFeedbackDto[];
}
