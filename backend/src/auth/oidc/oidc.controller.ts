import { Controller, Get, Query, Redirect, Req, Res, UseGuards } from '@nestjs/common';
import { ApiFoundResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrors } from '../../common/errors/api-errors.decorator';
import { Public } from '../../common/http/public.decorator';
import { AuthCookies } from '../auth.cookies';
import { cookieOf } from '../guards/credentials';
import { AuthRateLimitGuard } from '../rate-limit/auth-rate-limit.guard';
import { OidcLoginQuery } from './dto/oidc.dto';
import { OAuthSessionsService } from './oauth-sessions.service';
import { OAUTH_COOKIE, OIDC_TRANSACTION_COOKIE, OidcCookies } from './oidc.cookies';
import { OidcService } from './oidc.service';
import { OidcPurpose } from './oidc-transaction';

interface RedirectTo {
  url: string;
  statusCode: number;
}

const LOGIN_ERRORS = ['validation_failed', 'invalid_return_to', 'feature_disabled', 'rate_limited', 'service_unavailable'] as const;

/**
 * The browser side of OpenID Connect: two ways in (end user, owner) and one callback. Every
 * response is a redirect or an error body; no token ever appears in a URL Parley produces.
 */
@ApiTags('auth')
@Controller('api/auth/oidc')
export class OidcController {
  constructor(
    private readonly oidc: OidcService,
    private readonly sessions: OAuthSessionsService,
    private readonly cookies: OidcCookies,
    private readonly ownerCookies: AuthCookies,
  ) {}

  @Get('login')
  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Redirect()
  @ApiOperation({
    summary: 'Start end-user sign-in with OpenID Connect',
    description:
      'Redirects to the identity provider (authorization code flow, PKCE S256, `state`, `nonce`) and sets the short-lived ' +
      'HttpOnly `parley_oidc` cookie (Path=/api/auth/oidc) that the callback needs. After the callback the browser has an ' +
      'OAuth session (`parley_oauth` cookie) and lands on `returnTo`. Rate limited per client IP.',
  })
  @ApiFoundResponse({ description: 'To the identity provider’s authorization endpoint.' })
  @ApiErrors(...LOGIN_ERRORS)
  login(@Query() query: OidcLoginQuery, @Res({ passthrough: true }) res: Response): Promise<RedirectTo> {
    return this.start('session', query.returnTo, res);
  }

  @Get('owner/login')
  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Redirect()
  @ApiOperation({
    summary: 'Start owner sign-in with OpenID Connect ("Sign in with SSO")',
    description:
      'Same flow as `/api/auth/oidc/login`, but the callback signs the browser in as an owner: the provider must assert a ' +
      'verified email (`email_verified: true`); it links to the owner account with that email or creates one without a ' +
      'password, and sets the normal `parley_access` and `parley_refresh` cookies before redirecting to `returnTo`. ' +
      'A provider that does not verify emails gets 403 `oidc_email_unverified` at the callback.',
  })
  @ApiFoundResponse({ description: 'To the identity provider’s authorization endpoint.' })
  @ApiErrors(...LOGIN_ERRORS)
  ownerLogin(@Query() query: OidcLoginQuery, @Res({ passthrough: true }) res: Response): Promise<RedirectTo> {
    return this.start('owner', query.returnTo, res);
  }

  @Get('callback')
  @Public()
  @Redirect()
  @ApiOperation({
    summary: 'Finish an OpenID Connect sign-in (the registered redirect URI)',
    description:
      'Called by the identity provider, never directly. Checks that `state` matches the `parley_oidc` cookie of this ' +
      'browser (one use; cleared whatever the outcome), exchanges the code with the PKCE verifier and verifies the ID ' +
      'token (issuer, audience, expiry, nonce). End-user sign-in then stores an `oauth_sessions` row and sets the HttpOnly ' +
      '`parley_oauth` cookie (Path=/api, SameSite=Lax); owner sign-in sets the owner cookies. Redirects to `returnTo`.',
  })
  @ApiQuery({ name: 'code', required: false, description: 'Authorization code (single use).' })
  @ApiQuery({ name: 'state', required: false })
  @ApiQuery({ name: 'iss', required: false, description: 'Issuer identifier (RFC 9207), checked when the provider sends it.' })
  @ApiQuery({ name: 'error', required: false, description: 'The provider’s error, e.g. `access_denied`.' })
  @ApiFoundResponse({ description: 'Signed in; to `returnTo`.' })
  @ApiErrors('oidc_state_mismatch', 'oidc_login_failed', 'oidc_email_unverified', 'feature_disabled', 'service_unavailable')
  async callback(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<RedirectTo> {
    res.setHeader('Cache-Control', 'no-store');
    const sealed = cookieOf(req, OIDC_TRANSACTION_COOKIE);
    // One use, whatever happens next: a replayed callback finds no transaction.
    if (sealed) this.cookies.clearTransaction(res);
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    const done = await this.oidc.complete(query, sealed);
    if (done.purpose === 'owner') {
      this.ownerCookies.setSession(res, await this.oidc.ownerSession(done.identity));
    } else {
      const { token, session } = await this.sessions.create(done.identity, cookieOf(req, OAUTH_COOKIE));
      this.cookies.setSession(res, token, session.expiresAt);
    }
    return { url: done.returnTo, statusCode: 302 };
  }

  private async start(purpose: OidcPurpose, returnTo: string | undefined, res: Response): Promise<RedirectTo> {
    // Each start is a fresh transaction; no cache may replay one redirect (and its cookie) to another browser.
    res.setHeader('Cache-Control', 'no-store');
    const { redirectUrl, transaction } = await this.oidc.start(purpose, returnTo);
    this.cookies.setTransaction(res, transaction);
    return { url: redirectUrl, statusCode: 302 };
  }
}
