import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrors } from '../common/errors/api-errors.decorator';
import { Public } from '../common/http/public.decorator';
import { requestLog } from '../common/logging/request-log';
import { AuthCookies, REFRESH_COOKIE } from './auth.cookies';
import { Auth, CurrentPrincipal } from './auth.decorators';
import { UnauthenticatedError } from './auth.errors';
import { AuthService, OwnerSession } from './auth.service';
import { LoginDto, RegisterDto, SessionResponse, toUserResponse, UserEnvelope } from './dto/auth.dto';
import { accessTokenOf, cookieOf } from './credentials';
import { CsrfPolicy } from './csrf.policy';
import { UserPrincipal } from './principal';
import { LoginAttempts } from '../common/http/login-attempts.decorator';
import { PERSONAL_TOKEN_PREFIX } from './tokens/personal-tokens.service';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly cookies: AuthCookies,
    private readonly csrf: CsrfPolicy,
  ) {}

  @Post('register')
  @Public()
  @LoginAttempts()
  @ApiOperation({ summary: 'Create an owner account', description: 'Does not sign in: call login next.' })
  @ApiCreatedResponse({ type: UserEnvelope })
  @ApiErrors('validation_failed', 'email_taken', 'rate_limited')
  async register(@Body() body: RegisterDto): Promise<UserEnvelope> {
    return { user: toUserResponse(await this.auth.register(body)) };
  }

  @Post('login')
  @Public()
  @HttpCode(200)
  @LoginAttempts()
  @ApiOperation({
    summary: 'Sign in with email and password',
    description: 'Returns an access token and sets the HttpOnly `parley_access` and `parley_refresh` (Path=/api/auth) cookies.',
  })
  @ApiOkResponse({ type: SessionResponse })
  @ApiErrors('validation_failed', 'invalid_credentials', 'rate_limited')
  async login(@Body() body: LoginDto, @Res({ passthrough: true }) res: Response): Promise<SessionResponse> {
    return this.respond(res, await this.auth.login(body.email, body.password));
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Exchange the refresh cookie for new tokens',
    description:
      'Reads the `parley_refresh` cookie, rotates it and sets both cookies again. Presenting an already-used refresh ' +
      'token ends that whole session family. Subject to the CSRF origin check.',
  })
  @ApiOkResponse({ type: SessionResponse })
  @ApiErrors('unauthenticated', 'token_invalid', 'token_expired', 'csrf_failed')
  async refresh(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<SessionResponse> {
    const token = cookieOf(req, REFRESH_COOKIE);
    if (!token) throw new UnauthenticatedError('No refresh cookie; sign in again.');
    this.csrf.assertAllowed(req);
    try {
      return this.respond(res, await this.auth.refresh(token, requestLog(req)));
    } catch (err) {
      // A refused refresh token is dead for good; stop the browser from sending it again.
      this.cookies.clearSession(res);
      throw err;
    }
  }

  @Post('logout')
  @Public()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Sign out',
    description: 'Revokes the refresh cookie’s session family and clears both cookies. Idempotent.',
  })
  @ApiNoContentResponse({ description: 'Signed out.' })
  @ApiErrors('csrf_failed')
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const token = cookieOf(req, REFRESH_COOKIE);
    const access = accessTokenOf(req);
    if (token || access?.source === 'cookie') this.csrf.assertAllowed(req);
    await this.auth.logout(token, access && !access.token.startsWith(PERSONAL_TOKEN_PREFIX) ? access.token : undefined);
    this.cookies.clearSession(res);
  }

  @Get('me')
  @Auth('jwt')
  @ApiOperation({ summary: 'The signed-in owner' })
  @ApiOkResponse({ type: UserEnvelope })
  async me(@CurrentPrincipal('user') principal: UserPrincipal): Promise<UserEnvelope> {
    return { user: toUserResponse(await this.auth.me(principal.userId)) };
  }

  @Delete('me')
  @Auth('jwt')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete the account and everything it owns',
    description: 'One transaction; tokens, sessions and all owned data go with it. Clears the auth cookies.',
  })
  @ApiNoContentResponse({ description: 'Deleted.' })
  async deleteMe(@CurrentPrincipal('user') principal: UserPrincipal, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.auth.deleteAccount(principal.userId);
    this.cookies.clearSession(res);
  }

  private respond(res: Response, session: OwnerSession): SessionResponse {
    this.cookies.setSession(res, session);
    return { user: toUserResponse(session.user), accessToken: session.accessToken, expiresIn: session.expiresIn };
  }
}
