import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsOrigin, OnlyForKind } from '../../common/http/validators';
import { WEBHOOK_TIMEOUT_DEFAULT_MS, WEBHOOK_TIMEOUT_MAX_MS } from '../webhook-definition';
import { DEFAULT_MAX_STEPS, MAX_MAX_STEPS } from '../runner-definition';
import { AgentToolDto, MAX_TOOLS } from './agent-tool.dto';

export const RUNNER_KINDS = ['echo', 'openai', 'agent', 'webhook'] as const;
export const RUNNER_PROVIDERS = ['openai', 'gemini', 'compatible'] as const;

/**
 * `{kind:'echo'}`, `{kind:'openai', provider, model, instructions?, baseUrl?, temperature?}`,
 * `{kind:'agent', …the openai fields, maxSteps?, tools}` (docs/workflows.md) or
 * `{kind:'webhook', url, headers?, timeoutMs?}` (docs/embedding.md).
 */
export class RunnerDto {
  @ApiProperty({ enum: RUNNER_KINDS, example: 'echo' })
  @IsIn(RUNNER_KINDS)
  kind: (typeof RUNNER_KINDS)[number];

  @ApiPropertyOptional({ enum: RUNNER_PROVIDERS, description: 'openai and agent runners' })
  @OnlyForKind(['openai', 'agent'])
  @ValidateIf((o: RunnerDto) => o.kind === 'openai' || o.kind === 'agent' || o.provider !== undefined)
  @IsIn(RUNNER_PROVIDERS)
  provider?: (typeof RUNNER_PROVIDERS)[number];

  @ApiPropertyOptional({ example: 'gpt-4o-mini', description: 'openai and agent runners' })
  @OnlyForKind(['openai', 'agent'])
  @ValidateIf((o: RunnerDto) => o.kind === 'openai' || o.kind === 'agent' || o.model !== undefined)
  @IsString()
  @Length(1, 200)
  model?: string;

  @ApiPropertyOptional({ maxLength: 20000, description: 'System instructions (openai and agent runners)' })
  @OnlyForKind(['openai', 'agent'])
  @ValidateIf((o: RunnerDto) => o.instructions !== undefined)
  @IsString()
  @MaxLength(20000)
  instructions?: string;

  @ApiPropertyOptional({ example: 'http://127.0.0.1:8080/v1', description: 'Required for provider `compatible`' })
  @OnlyForKind(['openai', 'agent'])
  @ValidateIf((o: RunnerDto) => o.baseUrl !== undefined || o.provider === 'compatible')
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  @MaxLength(500)
  baseUrl?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 2 })
  @OnlyForKind(['openai', 'agent'])
  @ValidateIf((o: RunnerDto) => o.temperature !== undefined)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_MAX_STEPS, description: `agent runners only: tool steps per answer (default ${DEFAULT_MAX_STEPS})` })
  @OnlyForKind(['agent'])
  @ValidateIf((o: RunnerDto) => o.maxSteps !== undefined)
  @IsInt()
  @Min(1)
  @Max(MAX_MAX_STEPS)
  maxSteps?: number;

  @ApiPropertyOptional({ type: [AgentToolDto], maxItems: MAX_TOOLS, description: 'agent runners only (required, may be empty)' })
  @OnlyForKind(['agent'])
  @ValidateIf((o: RunnerDto) => o.kind === 'agent' || o.tools !== undefined)
  @IsArray()
  @ArrayMaxSize(MAX_TOOLS)
  @ValidateNested({ each: true })
  @Type(() => AgentToolDto)
  tools?: AgentToolDto[];

  @ApiPropertyOptional({ example: 'https://engine.example.com/parley', description: 'webhook runners: the engine Parley POSTs each turn to (checked by the outbound policy)' })
  @OnlyForKind(['webhook'])
  @ValidateIf((o: RunnerDto) => o.kind === 'webhook' || o.url !== undefined)
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  @MaxLength(2000)
  url?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { Authorization: '***' },
    description: 'webhook runners: extra request headers. Values are secrets: write-only, encrypted at rest, always shown as `"***"`; sending `"***"` keeps the stored value.',
  })
  @OnlyForKind(['webhook'])
  @ValidateIf((o: RunnerDto) => o.headers !== undefined)
  @IsObject()
  headers?: Record<string, string>;

  @ApiPropertyOptional({ minimum: 1000, maximum: WEBHOOK_TIMEOUT_MAX_MS, description: `webhook runners: longest wait (ms) for the engine's answer to start and between streamed lines; default ${WEBHOOK_TIMEOUT_DEFAULT_MS}` })
  @OnlyForKind(['webhook'])
  @ValidateIf((o: RunnerDto) => o.timeoutMs !== undefined)
  @IsInt()
  @Min(1000)
  @Max(WEBHOOK_TIMEOUT_MAX_MS)
  timeoutMs?: number;
}

/** Optional but not nullable: an explicit `null` is validated (and refused), never stored. */
const notUndefined = (_: object, value: unknown): boolean => value !== undefined;

export class CreateWorkflowDto {
  @ApiProperty({ minLength: 1, maxLength: 120, example: 'Support assistant' })
  @IsDefined()
  @IsString()
  @Length(1, 120)
  name: string;

  @ApiPropertyOptional({ maxLength: 2000, default: '' })
  @ValidateIf(notUndefined)
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({ type: RunnerDto, default: { kind: 'echo' } })
  @ValidateIf(notUndefined)
  @ValidateNested()
  @Type(() => RunnerDto)
  runner?: RunnerDto;

  @ApiPropertyOptional({ type: [String], example: ['https://app.example.com'], description: 'Exact origins allowed to embed the public chat; empty = the global allowlist' })
  @ValidateIf(notUndefined)
  @IsArray()
  @ArrayMaxSize(50)
  @IsOrigin({ each: true })
  allowedOrigins?: string[];

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 1, maximum: 36500, description: 'Keep transcripts this many days; null = the server default' })
  @ValidateIf((o: CreateWorkflowDto) => o.transcriptRetentionDays !== null && o.transcriptRetentionDays !== undefined)
  @IsInt()
  @Min(1)
  @Max(36500)
  transcriptRetentionDays?: number | null;
}


/** Every field optional, but an explicit `null` is validated (refused) unless the field allows null. */
export class UpdateWorkflowDto extends PartialType(CreateWorkflowDto, { skipNullProperties: false }) {}

export class ListQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false })
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from `nextCursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class WorkflowResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) ownerId: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: RunnerDto }) runner: RunnerDto;
  @ApiProperty({ type: [String] }) allowedOrigins: string[];
  @ApiProperty({ type: Number, nullable: true, description: 'The published version the public runs (share links, embeds); null while private' })
  publishedVersion: number | null;
  @ApiProperty({ description: 'The draft runner differs from the published version (publish it with `POST …/versions`); false while private' })
  draftDiffers: boolean;
  @ApiProperty() isPublic: boolean;
  @ApiProperty() requireLogin: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) publishedAt: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) publishedBy: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) publishTokenRotatedAt: string | null;
  @ApiProperty({ type: Number, nullable: true }) transcriptRetentionDays: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'Public page URL without the token (only while public)', example: 'http://localhost:3000/chat/6f1c…' })
  shareUrl: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class WorkflowPageDto {
  @ApiProperty({ type: [WorkflowResponseDto] }) data: WorkflowResponseDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
