import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { JsonWebTokenError, TokenExpiredError } from '@nestjs/jwt';
import { DomainError } from '../../common/errors/domain-error';
import { ExpiredTokenError, InvalidTokenError, UnauthenticatedError } from '../auth.errors';
import { isMalformedSignature } from '../signing.service';
import { UserPrincipal } from '../principal';
import { AccessTokenStrategy } from './access-token.strategy';

/**
 * Runs the passport access-token strategy and turns every outcome into our errors:
 * no token → `unauthenticated`, expired → `token_expired`, any other JWT failure →
 * `token_invalid`. Infrastructure failures (database down) propagate as themselves.
 * Used by the owner verifier, not as a route guard.
 */
@Injectable()
export class AccessTokenGuard extends AuthGuard() {
  constructor(strategy: AccessTokenStrategy) {
    // The strategy's name is per instance (see AccessTokenStrategy), so it is given here.
    super({ defaultStrategy: strategy.name, session: false, property: 'principal' });
  }

  override handleRequest<TUser = UserPrincipal>(err: unknown, user: unknown, info: unknown): TUser {
    if (err) throw err;
    if (user) return user as TUser;
    throw toAuthError(info);
  }
}

/** passport-jwt reports failures as `info`: jsonwebtoken errors, our DomainErrors from the key lookup, or "No auth token". */
export function toAuthError(info: unknown): Error {
  if (info instanceof DomainError) return info;
  if (info instanceof TokenExpiredError) return new ExpiredTokenError();
  if (info instanceof JsonWebTokenError || isMalformedSignature(info)) return new InvalidTokenError();
  if (info instanceof Error && info.message === 'No auth token') return new UnauthenticatedError();
  if (info instanceof Error) return info;
  return new InvalidTokenError();
}
