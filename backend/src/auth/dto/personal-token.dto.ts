import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsOptional } from 'class-validator';
import { PersonalAccessTokenEntity } from '../entities/personal-access-token.entity';
import { RequiredNameField } from './fields';

export class CreatePersonalTokenDto {
  @RequiredNameField(100, 'What the token is for, e.g. "CI deploy".')
  name: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Must be in the future; omit for a token that does not expire.' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'expiresAt must be an ISO 8601 date-time' })
  expiresAt?: Date;
}

export class PersonalTokenResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Updated at most once a minute.' })
  lastUsedAt: string | null;
}

export class CreatedPersonalTokenResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ description: '`pat_` + 43 base64url characters. Shown only in this response; store it now.', example: 'pat_…' })
  token: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt: string | null;
}

export class PersonalTokenList {
  @ApiProperty({ type: [PersonalTokenResponse] })
  tokens: PersonalTokenResponse[];
}

export function toPersonalTokenResponse(entity: PersonalAccessTokenEntity): PersonalTokenResponse {
  return {
    id: entity.id,
    name: entity.name,
    createdAt: entity.createdAt.toISOString(),
    expiresAt: entity.expiresAt?.toISOString() ?? null,
    lastUsedAt: entity.lastUsedAt?.toISOString() ?? null,
  };
}

export function toCreatedPersonalTokenResponse(entity: PersonalAccessTokenEntity, token: string): CreatedPersonalTokenResponse {
  return { id: entity.id, name: entity.name, token, createdAt: entity.createdAt.toISOString(), expiresAt: entity.expiresAt?.toISOString() ?? null };
}
