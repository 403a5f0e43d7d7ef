import { Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DomainError } from '../../common/errors/domain-error';
import { ApiErrors } from '../../common/errors/api-errors.decorator';
import { Public } from '../../common/http/public.decorator';
import { cookieOf } from '../guards/credentials';
import { CsrfPolicy } from '../guards/csrf.policy';
import { OAuthSessionResponse, toOAuthSessionResponse } from './dto/oidc.dto';
import { OAuthSessionsService } from './oauth-sessions.service';
import { OAUTH_COOKIE, OidcCookies } from './oidc.cookies';

/** The end-user OAuth session as the browser sees it: report it, end it. */
@ApiTags('auth')
@Controller('api/auth/session')
export class OAuthSessionController {
  constructor(
    private readonly sessions: OAuthSessionsService,
    private readonly cookies: OidcCookies,
    private readonly csrf: CsrfPolicy,
  ) {}

  @Get()
  @Public()
  @ApiOperation({
    summary: 'The end-user OAuth session (OIDC sign-in), if any',
    description:
      'Always 200: `{authenticated: false}` without a valid `parley_oauth` cookie (an expired or unknown one is also ' +
      'cleared), otherwise `{authenticated: true, subject, email, name, expiresAt}`.',
  })
  @ApiOkResponse({ type: OAuthSessionResponse, description: 'The session, or `{authenticated: false}`.' })
  @ApiErrors('service_unavailable')
  async get(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<OAuthSessionResponse> {
    try {
      return toOAuthSessionResponse(await this.sessions.fromRequest(req));
    } catch (err) {
      if (!(err instanceof DomainError) || err.status !== 401) throw err;
      this.cookies.clearSession(res);
      return toOAuthSessionResponse(null);
    }
  }

  @Post('logout')
  @Public()
  @HttpCode(204)
  @ApiOperation({
    summary: 'End the end-user OAuth session',
    description:
      'Deletes the session of the `parley_oauth` cookie and clears it. Idempotent. Subject to the CSRF origin check when ' +
      'the cookie is present. Does not sign the browser out of the identity provider.',
  })
  @ApiNoContentResponse({ description: 'Signed out.' })
  @ApiErrors('csrf_failed')
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const token = cookieOf(req, OAUTH_COOKIE);
    if (token) {
      this.csrf.assertAllowed(req);
      await this.sessions.end(token);
    }
    this.cookies.clearSession(res);
  }
}
