import { ApiProperty } from '@nestjs/swagger';
import { RequiredNameField } from '../../auth/dto/fields';

/** `POST /api/workflows/:id/server-keys` body. */
export class CreateServerKeyDto {
  @RequiredNameField(100, 'What the key is for, e.g. "production backend".')
  name: string;
}

export class CreatedServerKeyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: '`wsk_` + 43 base64url characters. Shown only in this response; store it on your server now.', example: 'wsk_…' })
  key: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class ServerKeyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: 'wsk_AbCd', description: 'The first characters of the key, to recognise it (never the key).' }) prefix: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Updated at most once a minute.' }) lastUsedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt: string | null;
}

export class ServerKeyListDto {
  @ApiProperty({ type: [ServerKeyDto], description: 'Live keys first, newest first; revoked keys stay listed.' })
  keys: ServerKeyDto[];
}
