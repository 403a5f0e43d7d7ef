import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateBy, ValidationOptions } from 'class-validator';

/** Metadata is the client's (user agent, app version…); bounded so a session row stays small. */
export const SESSION_METADATA_MAX_BYTES = 2048;

function SmallJson(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'smallJson',
      validator: {
        validate: (value: unknown) => value === undefined || Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8') <= SESSION_METADATA_MAX_BYTES,
        defaultMessage: () => `metadata must serialize to at most ${SESSION_METADATA_MAX_BYTES} bytes of JSON`,
      },
    },
    options,
  );
}

/** `POST /api/workflows/:id/chatkit/session` body. */
export class CreateChatSessionDto {
  @ApiPropertyOptional({
    description: 'The device (browser, app install) the session is for; one reusable session per device and workflow. Default `default`.',
    example: 'laptop-7f3a',
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(/^[\x21-\x7e][\x20-\x7e]*$/, { message: 'deviceId must be printable ASCII' })
  deviceId?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: `Free-form client metadata shown in the session list (at most ${SESSION_METADATA_MAX_BYTES} bytes of JSON); replaces the stored one when given.` })
  @IsOptional()
  @IsObject()
  @SmallJson()
  metadata?: Record<string, unknown>;
}

/** `POST /api/workflows/:id/chatkit/session` answer. */
export class ChatSessionResponseDto {
  @ApiProperty({ description: 'Chat session JWT (ES256, `aud=parley-chat`) for `Authorization: Bearer` on `/api/chatkit`.' })
  token: string;

  @ApiProperty({ format: 'date-time', description: 'When the token stops being accepted (at most 5 minutes from now); ask for a new one before.' })
  expiresAt: string;

  @ApiProperty({ format: 'uuid', description: 'The durable session the token belongs to (`sid`); reused for the same device and workflow.' })
  sessionId: string;
}

export class ChatSessionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) workflowId: string;
  @ApiProperty({ example: 'default' }) deviceId: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastUsedAt: string | null;
  @ApiProperty({ format: 'date-time' }) expiresAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revokedAt: string | null;
}

export class ChatSessionListDto {
  @ApiProperty({ type: [ChatSessionDto], description: 'Active sessions first, newest first; then revoked or expired ones (until the cleanup job deletes them).' })
  data: ChatSessionDto[];
}

export class RevokeAllChatSessionsDto {
  @ApiProperty({ description: 'How many active sessions were revoked.' })
  revoked: number;
}
