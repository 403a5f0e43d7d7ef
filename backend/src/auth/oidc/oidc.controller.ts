import { Controller, Get, Query, Redirect, Req, Res } from '@nestjs/common';
import { ApiFoundResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrors } from '../../common/errors/api-errors.decorator';
import { Public } from '../../common/http/public.decorator';
import { requestIdOf } from '../../common/http/request-id';
import { requestLog } from '../../common/logging/request-log';
import { AuthCookies } from '../auth.cookies';
import { AuthService } from '../auth.service';
import { accessTokenOf, cookieOf } from '../credentials';
import { PERSONAL_TOKEN_PREFIX } from '../tokens/personal-tokens.service';
import { accountUnverifiedPage } from './account-unverified.page';
import { LoginAttempts } from '../../common/http/login-attempts.decorator';
import { OidcLoginQuery } from './dto/oidc.dto';
import { OAuthSessionsService } from '../oauth-sessions.service';
import { OAUTH_COOKIE, OIDC_TRANSACTION_COOKIE, OidcCookies } from './oidc.cookies';
import { OidcAccountUnverifiedError } from './oidc.errors';
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
    private readonly auth: AuthService,
  ) {}

  @Get('login')
  @Public()
  @LoginAttempts()
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
  @LoginAttempts()
  @Redirect()
  @ApiOperation({
    summary: 'Start owner sign-in with OpenID Connect ("Sign in with SSO")',
    description:
      'Same flow as `/api/auth/oidc/login`, but the callback signs the browser in as an owner: the provider must assert a ' +
      'verified email (`email_verified: true`); it signs in to the owner account with that email when that email is verified, ' +
      'or creates one without a password, and sets the normal `parley_access` and `parley_refresh` cookies before ' +
      'redirecting to `returnTo`. A password account whose email was never verified is connected only when this sign-in ' +
      'is started by its holder, signed in (access cookie or Bearer access JWT); otherwise the callback answers 409 ' +
      '`oidc_account_unverified` (an HTML page). A provider that does not verify emails gets 403 `oidc_email_unverified`.',
  })
  @ApiFoundResponse({ description: 'To the identity provider’s authorization endpoint.' })
  @ApiErrors(...LOGIN_ERRORS)
  async ownerLogin(@Req() req: Request, @Query() query: OidcLoginQuery, @Res({ passthrough: true }) res: Response): Promise<RedirectTo> {
    // A signed-in owner starting SSO proves the password side of a link (see OidcService.ownerSession).
    const access = accessTokenOf(req);
    const owner = access && !access.token.startsWith(PERSONAL_TOKEN_PREFIX) ? await this.auth.ownerOfAccessToken(access.token) : null;
    return this.start('owner', query.returnTo, res, owner?.id);
  }

  @Get('callback')
  @Public()
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
  @ApiResponse({
    status: 409,
    description:
      '`oidc_account_unverified` (owner sign-in): the verified email belongs to a password account whose email was never ' +
      'verified; nothing is linked. An HTML page for the browser explains how to connect the accounts or recover.',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  @ApiErrors('oidc_state_mismatch', 'oidc_login_failed', 'oidc_email_unverified', 'feature_disabled', 'service_unavailable')
  async callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    const sealed = cookieOf(req, OIDC_TRANSACTION_COOKIE);
    // One use, whatever happens next: a replayed callback finds no transaction.
    if (sealed) this.cookies.clearTransaction(res);
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    const done = await this.oidc.complete(query, sealed, requestLog(req));
    if (done.purpose === 'owner') {
      try {
        this.ownerCookies.setSession(res, await this.oidc.ownerSession(done.identity, done.linkUserId, requestLog(req)));
      } catch (err) {
        if (!(err instanceof OidcAccountUnverifiedError)) throw err;
        // A browser navigation: a page a person can act on, not a JSON body.
        res.status(409).type('html').send(accountUnverifiedPage(err.email, requestIdOf(req, res)));
        return;
      }
    } else {
      const { token, session } = await this.sessions.create(done.identity, cookieOf(req, OAUTH_COOKIE));
      this.cookies.setSession(res, token, session.expiresAt);
    }
    res.redirect(302, done.returnTo);
  }

  private async start(purpose: OidcPurpose, returnTo: string | undefined, res: Response, linkUserId?: string): Promise<RedirectTo> {
    // Each start is a fresh transaction; no cache may replay one redirect (and its cookie) to another browser.
    res.setHeader('Cache-Control', 'no-store');
    const { redirectUrl, transaction } = await this.oidc.start(purpose, returnTo, linkUserId, requestLog(res.req));
    this.cookies.setTransaction(res, transaction);
    return { url: redirectUrl, statusCode: 302 };
  }
}
