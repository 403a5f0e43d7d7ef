import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { OAuthPrincipal } from '../../principal';
import { RETURN_TO_MAX_LENGTH } from '../return-to';

export class OidcLoginQuery {
  @ApiPropertyOptional({
    description:
      'Where to send the browser after sign-in: a path on this site (`/chat/…`) or a URL on an origin listed in ' +
      '`OIDC_ALLOWED_RETURN_ORIGINS`. Default `/`. Anything else is refused with 400 `invalid_return_to`.',
    example: '/chat/2f1c6a3e-5b0d-4c1e-9a57-0d9c1b7e4a11',
    maxLength: RETURN_TO_MAX_LENGTH,
  })
  @IsOptional()
  @IsString()
  @MaxLength(RETURN_TO_MAX_LENGTH)
  returnTo?: string;
}

/** `GET /api/auth/session` (docs/security.md, End-user OAuth sessions): the end-user OAuth session, if any. */
export class OAuthSessionResponse {
  @ApiProperty({ description: 'Whether a valid `parley_oauth` session cookie came with the request.' })
  authenticated: boolean;

  @ApiPropertyOptional({ description: 'The provider’s `sub` (only when authenticated).' })
  subject?: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'ada@example.com' })
  email?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'Ada Lovelace' })
  name?: string | null;

  @ApiPropertyOptional({ type: String, format: 'date-time' })
  expiresAt?: string;
}

export function toOAuthSessionResponse(principal: OAuthPrincipal | null): OAuthSessionResponse {
  if (!principal) return { authenticated: false };
  return {
    authenticated: true,
    subject: principal.subject,
    email: principal.email,
    name: principal.name,
    expiresAt: principal.expiresAt.toISOString(),
  };
}
