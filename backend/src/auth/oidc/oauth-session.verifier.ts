import { ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AuthRequest, cookieOf } from '../credentials';
import { CsrfPolicy } from '../csrf.policy';
import { AuthVerifier, PrincipalVerifier } from '../auth.verifiers';
import { OAuthPrincipal } from '../principal';
import { OAuthSessionsService } from '../oauth-sessions.service';
import { OAUTH_COOKIE } from './oidc.cookies';
import { httpRequestOf } from '../../common/http/http-context';

/**
 * Verifier of the `oauthSession` mode: the `parley_oauth` cookie set after OIDC sign-in becomes an
 * `oauth` principal. The cookie is an ambient credential, so unsafe methods must pass the CSRF
 * policy, and its mere presence never makes the guard answer `forbidden` on other routes.
 */
@AuthVerifier('oauthSession')
@Injectable()
export class OAuthSessionVerifier implements PrincipalVerifier {
  readonly ambient = true;

  constructor(
    private readonly sessions: OAuthSessionsService,
    private readonly csrf: CsrfPolicy,
  ) {}

  hasCredential(req: Request): boolean {
    return cookieOf(req, OAUTH_COOKIE) !== undefined;
  }

  async verify(context: ExecutionContext): Promise<OAuthPrincipal | null> {
    const req = httpRequestOf<AuthRequest>(context);
    const token = cookieOf(req, OAUTH_COOKIE);
    if (!token) return null;
    this.csrf.assertAllowed(req);
    return this.sessions.authenticate(token);
  }
}
