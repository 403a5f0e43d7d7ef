import { ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { InvalidTokenError } from '../../auth/auth.errors';
import { AuthRequest, bearerTokenOf } from '../../auth/credentials';
import { AuthVerifier, PrincipalVerifier } from '../../auth/auth.verifiers';
import type { ChatPrincipal } from '../../auth/principal';
import { ChatSessionsService } from './chat-sessions.service';
import { httpRequestOf } from '../../common/http/http-context';

/**
 * Verifier of the `chat` auth mode: a chat session JWT as `Authorization: Bearer`. With the
 * canvas chat switched off every such request is 403 `feature_disabled`, valid token or not.
 */
@AuthVerifier('chat')
@Injectable()
export class ChatTokenVerifier implements PrincipalVerifier {
  constructor(private readonly sessions: ChatSessionsService) {}

  hasCredential(req: Request): boolean {
    return req.headers.authorization !== undefined;
  }

  async verify(context: ExecutionContext): Promise<ChatPrincipal | null> {
    const req = httpRequestOf<AuthRequest>(context);
    this.sessions.assertEnabled();
    const token = bearerTokenOf(req);
    if (token === null) throw new InvalidTokenError('The Authorization header must be "Bearer <token>".');
    if (!token) return null;
    return this.sessions.verify(token);
  }
}
