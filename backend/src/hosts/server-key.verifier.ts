import { ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AuthRequest, bearerTokenOf } from '../auth/credentials';
import { AuthVerifier, PrincipalVerifier } from '../auth/auth.verifiers';
import type { ServerKeyPrincipal } from '../auth/principal';
import { ServerKeyFromBrowserError } from './hosts.errors';
import { SERVER_KEY_PREFIX, ServerKeysService } from './server-keys.service';

const RECHECKS_SERVER_KEY = 'parley:rechecksServerKey';

/**
 * Marks a `serverKey` route whose own statement checks the key again (live, not revoked, its
 * workflow), atomically with the work: its verifier may then vouch for a key read recently
 * instead of reading it again (one round trip per request instead of two).
 */
export const RechecksServerKey = (): MethodDecorator => SetMetadata(RECHECKS_SERVER_KEY, true);

/**
 * Verifier of the `serverKey` mode: `Authorization: Bearer wsk_…` from a host application's
 * backend. A request that also carries an `Origin` header or cookies came from a browser (fetch
 * and XHR always send `Origin` on cross-origin and unsafe requests): it is refused with 403
 * `server_key_from_browser` before the key is even looked up, so a key pasted into a page fails
 * loudly in development instead of leaking in production.
 */
@AuthVerifier('serverKey')
@Injectable()
export class ServerKeyVerifier implements PrincipalVerifier {
  constructor(
    private readonly keys: ServerKeysService,
    private readonly reflector: Reflector,
  ) {}

  hasCredential(req: Request): boolean {
    return bearerTokenOf(req)?.startsWith(SERVER_KEY_PREFIX) === true;
  }

  async verify(context: ExecutionContext): Promise<ServerKeyPrincipal | null> {
    const req = context.switchToHttp().getRequest<AuthRequest>();
    const key = bearerTokenOf(req);
    if (!key) return null;
    if (req.headers.origin !== undefined || req.headers.cookie !== undefined) throw new ServerKeyFromBrowserError();
    return this.keys.authenticate(key, { recheckedByRoute: this.reflector.get<boolean>(RECHECKS_SERVER_KEY, context.getHandler()) === true });
  }
}
