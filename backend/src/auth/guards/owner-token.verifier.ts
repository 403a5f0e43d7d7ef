import { ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { InvalidTokenError } from '../auth.errors';
import { ACCESS_COOKIE } from '../auth.cookies';
import { UserPrincipal } from '../principal';
import { PERSONAL_TOKEN_PREFIX, PersonalTokensService } from '../tokens/personal-tokens.service';
import { AccessTokenGuard } from './access-token.guard';
import { AuthRequest, accessTokenOf, bearerTokenOf, cookieOf } from '../credentials';
import { CsrfPolicy } from '../csrf.policy';
import { AuthVerifier, PrincipalVerifier } from '../auth.verifiers';
import { httpRequestOf } from '../../common/http/http-context';

/**
 * Verifier of the `jwt` mode (owners): `Bearer pat_…` personal access tokens, `Bearer <jwt>`
 * access tokens, or the `parley_access` cookie, which alone is subject to the CSRF policy.
 */
@AuthVerifier('jwt')
@Injectable()
export class OwnerTokenVerifier implements PrincipalVerifier {
  constructor(
    private readonly accessTokens: AccessTokenGuard,
    private readonly personalTokens: PersonalTokensService,
    private readonly csrf: CsrfPolicy,
  ) {}

  hasCredential(req: Request): boolean {
    return req.headers.authorization !== undefined || cookieOf(req, ACCESS_COOKIE) !== undefined;
  }

  async verify(context: ExecutionContext): Promise<UserPrincipal | null> {
    const req = httpRequestOf<AuthRequest>(context);
    if (bearerTokenOf(req) === null) throw new InvalidTokenError('The Authorization header must be "Bearer <token>".');
    const credential = accessTokenOf(req);
    if (!credential) return null;
    if (credential.source === 'bearer' && credential.token.startsWith(PERSONAL_TOKEN_PREFIX)) {
      return this.personalTokens.authenticate(credential.token);
    }
    if (credential.source === 'cookie') this.csrf.assertAllowed(req);
    await this.accessTokens.canActivate(context);
    return req.principal as UserPrincipal;
  }
}
