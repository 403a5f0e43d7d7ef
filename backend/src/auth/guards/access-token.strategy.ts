import { isUUID } from 'class-validator';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import type { KeyObject } from 'node:crypto';
import passport from 'passport';
import { Strategy, StrategyOptionsWithoutRequest, VerifiedCallback } from 'passport-jwt';
import { authConfig } from '../auth.config';
import { InvalidTokenError } from '../auth.errors';
import { ACCESS_TOKEN_AUDIENCE, assertLifetimeClaims, CLOCK_TOLERANCE_SECONDS, JWT_ALGORITHM, SigningService } from '../keys/signing.service';
import { UserPrincipal } from '../principal';
import { UsersService } from '../users.service';
import { accessTokenOf } from './credentials';

export const ACCESS_TOKEN_STRATEGY = 'parley-access-token';

let instances = 0;

/**
 * passport-jwt's strategy under a per-instance name. passport's strategy registry is
 * process-global, so two apps in one process (tests, a CLI beside a server) would otherwise
 * verify with whichever registered last, bound to the other app's services.
 */
class PerInstanceJwtStrategy extends Strategy {
  constructor(options: StrategyOptionsWithoutRequest, verify: (payload: unknown, done: VerifiedCallback) => void) {
    super(options, verify);
    this.name = `${ACCESS_TOKEN_STRATEGY}#${++instances}`;
  }
}

/**
 * passport-jwt strategy for owner access tokens: key looked up by header `kid`, algorithm
 * pinned to ES256, `aud=parley-api`, `iss` = PUBLIC_BASE_URL, `exp` required. The account
 * must still exist and the `jti` must not have been revoked by logout, so a deleted user's or a
 * signed-out session's unexpired token stops working at once.
 */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(PerInstanceJwtStrategy) implements OnModuleDestroy {
  constructor(
    signing: SigningService,
    private readonly users: UsersService,
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
  ) {
    super({
      jwtFromRequest: (req: Request) => accessTokenOf(req)?.token ?? null,
      // The key is a KeyObject (parsed once, cached); jsonwebtoken accepts it, passport-jwt's types say string.
      secretOrKeyProvider: (_req: Request, rawJwt: string, done: (err: unknown, key?: string) => void) => {
        signing.verificationKeyFor(rawJwt).then(
          (key: KeyObject) => done(null, key as unknown as string),
          (err: unknown) => done(err),
        );
      },
      algorithms: [JWT_ALGORITHM],
      audience: ACCESS_TOKEN_AUDIENCE,
      issuer: config.issuer,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: CLOCK_TOLERANCE_SECONDS },
    });
  }

  onModuleDestroy(): void {
    passport.unuse(this.name);
  }

  async validate(payload: { sub?: unknown; jti?: unknown; exp?: unknown; iat?: unknown }): Promise<UserPrincipal> {
    assertLifetimeClaims(payload);
    if (typeof payload.sub !== 'string' || !isUUID(payload.sub)) throw new InvalidTokenError();
    // Every access token carries a UUID `jti`; logout puts it on the denylist.
    if (typeof payload.jti !== 'string' || !isUUID(payload.jti)) throw new InvalidTokenError();
    const user = await this.users.findForAccessToken(payload.sub, payload.jti);
    if (!user) throw new InvalidTokenError();
    return { kind: 'user', userId: user.id, email: user.email, credential: 'access_token' };
  }
}
