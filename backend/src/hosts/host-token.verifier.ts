import { ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { InvalidTokenError } from '../auth/auth.errors';
import { AuthRequest, bearerTokenOf, unverifiedTokenKind } from '../auth/credentials';
import { AuthVerifier, PrincipalVerifier } from '../auth/auth.verifiers';
import type { HostPrincipal } from '../auth/principal';
import { HOST_TOKEN_KIND, HostSessionsService } from './host-sessions.service';

/**
 * Verifier of the `hostSession` mode: the `client_secret` of an end-user session (a chat JWT of
 * kind `host`) as `Authorization: Bearer`. Shares the Bearer header with canvas chat tokens; each
 * verifier refuses the other's tokens, so a route accepting both gets the right principal.
 */
@AuthVerifier('hostSession')
@Injectable()
export class HostTokenVerifier implements PrincipalVerifier {
  constructor(private readonly sessions: HostSessionsService) {}

  hasCredential(req: Request): boolean {
    return req.headers.authorization !== undefined;
  }

  async verify(context: ExecutionContext): Promise<HostPrincipal | null> {
    const req = context.switchToHttp().getRequest<AuthRequest>();
    const token = bearerTokenOf(req);
    if (token === null) throw new InvalidTokenError('The Authorization header must be "Bearer <token>".');
    if (!token) return null;
    // Not even claiming to be a host token: another Bearer mode's (the canvas chat verifier reports on it).
    if (unverifiedTokenKind(token) !== HOST_TOKEN_KIND) return null;
    return this.sessions.verify(token);
  }
}
