import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { InvalidTokenError } from '../../auth/auth.errors';
import { AuthRequest, bearerTokenOf } from '../../auth/credentials';
import { AuthVerifier, PrincipalVerifier } from '../../auth/auth.verifiers';
import type { ChatPrincipal } from '../../auth/principal';
import { ChatSessionsService } from './chat-sessions.service';
import { DEFER_AUTH_CHECK, deferAuthCheck } from '../../auth/deferred-auth-check';

/**
 * Verifier of the `chat` auth mode: a chat session JWT as `Authorization: Bearer`. With the
 * canvas chat switched off every such request is 403 `feature_disabled`, valid token or not.
 */
@AuthVerifier('chat')
@Injectable()
export class ChatTokenVerifier implements PrincipalVerifier {
  constructor(
    private readonly sessions: ChatSessionsService,
    private readonly reflector: Reflector,
  ) {}

  hasCredential(req: Request): boolean {
    return req.headers.authorization !== undefined;
  }

  async verify(context: ExecutionContext): Promise<ChatPrincipal | null> {
    const req = context.switchToHttp().getRequest<AuthRequest>();
    this.sessions.assertEnabled();
    const token = bearerTokenOf(req);
    if (token === null) throw new InvalidTokenError('The Authorization header must be "Bearer <token>".');
    if (!token) return null;
    if (this.reflector.get<boolean | undefined>(DEFER_AUTH_CHECK, context.getHandler())) {
      // The route owes the session row check (auth/deferred-auth-check.ts): one round trip less.
      const { principal, gate } = await this.sessions.verifyDeferred(token);
      deferAuthCheck(req, gate);
      return principal;
    }
    return this.sessions.verify(token);
  }
}
