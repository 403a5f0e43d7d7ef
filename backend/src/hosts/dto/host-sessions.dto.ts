import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

/** The host's user, checked by the service (400 `host_user_invalid`), so its errors name `user.*`. */
export class HostUserDto {
  @ApiProperty({ description: 'Your stable id of the signed-in user (1–200 printable characters); namespaced per workflow.', example: 'user_1234' })
  id: string;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'ada@example.com', description: 'Shown to the workflow owner and passed to engines in the identity token.' })
  email?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'Ada Lovelace' })
  name?: string | null;
}

/** `POST /api/workflows/:id/end-user-sessions` body. */
export class CreateEndUserSessionDto {
  @ApiProperty({ type: HostUserDto })
  @Allow()
  user: unknown;

  @ApiPropertyOptional({ description: 'The device (browser, app install) of the session; one reusable session per user, device and workflow. Default `default`.', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(/^[\x21-\x7e][\x20-\x7e]*$/, { message: 'deviceId must be printable ASCII' })
  deviceId?: string;
}

export class EndUserSessionDto {
  @ApiProperty({ description: 'Chat JWT of kind `host` (≤ 5 min) for the browser: the widget sends it as `Authorization: Bearer` to `/api/chatkit`.' })
  client_secret: string;
  @ApiProperty({ description: 'Unix time (seconds) when `client_secret` stops being accepted; mint a new one before (the same call).', example: 1796200300 })
  expires_at: number;
  @ApiProperty({ format: 'uuid', description: 'The durable session (reused for the same user, device and workflow); the owner can revoke it.' })
  session_id: string;
}

export class HostSessionUserDto {
  @ApiProperty() id: string;
  @ApiProperty({ type: String, nullable: true }) email: string | null;
  @ApiProperty({ type: String, nullable: true }) name: string | null;
}

export class HostSessionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: HostSessionUserDto, description: 'The host user as your host app last described them.' }) user: HostSessionUserDto;
  @ApiProperty({ example: 'default' }) deviceId: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastUsedAt: string | null;
  @ApiProperty({ format: 'date-time' }) expiresAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt: string | null;
}

export class HostSessionListDto {
  @ApiProperty({ type: [HostSessionDto], description: 'Active sessions first, newest first (at most 500).' }) data: HostSessionDto[];
}

export class HostSessionListQueryDto {
  @ApiPropertyOptional({ description: 'Only the sessions of this host user id' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  userId?: string;
}

/** Hosted ChatKit's `workflow` param; only `id` means something here. */
export class CompatWorkflowParamDto {
  @ApiProperty({ format: 'uuid', description: 'The Parley workflow id (the one the server key belongs to).' })
  @IsString()
  @MaxLength(200)
  id: string;

  @ApiPropertyOptional({ description: 'Accepted and ignored (the published version answers).' })
  @Allow()
  version?: unknown;
  @ApiPropertyOptional({ description: 'Accepted and ignored.' })
  @Allow()
  state_variables?: unknown;
  @ApiPropertyOptional({ description: 'Accepted and ignored.' })
  @Allow()
  tracing?: unknown;
}

/** `POST /v1/chatkit/sessions`: OpenAI hosted ChatKit's `sessions.create` body. */
export class CompatCreateSessionDto {
  @ApiProperty({ description: 'Your id of the end user (hosted ChatKit: a string).', example: 'user_1234' })
  @Allow()
  user: unknown;

  @ApiProperty({ type: CompatWorkflowParamDto })
  @Allow()
  workflow: unknown;

  @ApiPropertyOptional({ description: 'Accepted and ignored (configure the chat in Parley).' })
  @Allow()
  chatkit_configuration?: unknown;
  @ApiPropertyOptional({ description: 'Accepted and ignored: client secrets live at most 5 minutes; mint again to refresh.' })
  @Allow()
  expires_after?: unknown;
  @ApiPropertyOptional({ description: 'Accepted and ignored: Parley\'s rate limits apply.' })
  @Allow()
  rate_limits?: unknown;
}

export class CompatWorkflowDto {
  @ApiProperty() id: string;
  @ApiProperty({ type: String, nullable: true }) version: string | null;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true }) state_variables: Record<string, unknown> | null;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { enabled: false } }) tracing: { enabled: boolean };
}

/** Hosted ChatKit's `ChatSession` object, as far as Parley can fill it. */
export class CompatChatSessionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['chatkit.session'] }) object: 'chatkit.session';
  @ApiProperty() client_secret: string;
  @ApiProperty({ description: 'Unix seconds' }) expires_at: number;
  @ApiProperty({ enum: ['active', 'cancelled'] }) status: 'active' | 'cancelled';
  @ApiProperty() user: string;
  @ApiProperty({ type: CompatWorkflowDto }) workflow: CompatWorkflowDto;
  @ApiProperty({ description: 'Parley\'s per-principal request limit per minute.' }) max_requests_per_1_minute: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) rate_limits: { max_requests_per_1_minute: number };
  @ApiProperty({ type: 'object', additionalProperties: true }) chatkit_configuration: Record<string, unknown>;
}
