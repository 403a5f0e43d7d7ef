import { isUUID } from 'class-validator';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { RequestLog } from '../common/logging/request-log';
import { authConfig } from './auth.config';
import { ExpiredTokenError, InvalidCredentialsError, InvalidTokenError } from './auth.errors';
import { UserEntity } from './entities/user.entity';
import { ACCESS_TOKEN_AUDIENCE, SigningService } from './signing.service';
import { PasswordHasher } from './passwords/password-hasher';
import { RefreshTokensService } from './tokens/refresh-tokens.service';
import { RevokedAccessTokensRepository } from './tokens/revoked-access-tokens.repository';
import { UsersService } from './users.service';

/** A signed-in owner session: what login, refresh (and OIDC login) hand out. */
export interface OwnerSession {
  user: UserEntity;
  accessToken: string;
  /** Seconds until `accessToken` expires. */
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: Date;
}

/** Owner accounts and sessions: register, login, refresh, logout, delete. */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly signing: SigningService,
    private readonly refreshTokens: RefreshTokensService,
    private readonly revokedAccessTokens: RevokedAccessTokensRepository,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  async register(input: { email: string; password: string; name?: string }): Promise<UserEntity> {
    return this.users.create({ email: input.email, name: input.name, passwordHash: await this.hasher.hash(input.password) });
  }

  /** Same error, in comparable time, for an unknown email and a wrong password. */
  async login(email: string, password: string): Promise<OwnerSession> {
    const user = await this.users.findForLogin(email);
    if (!(await this.hasher.verifyAccount(user?.passwordHash, password)) || !user) throw new InvalidCredentialsError();
    return this.startSession(user);
  }

  /**
   * Issues an access token and a new refresh-token family for a user who has just proven who
   * they are (password here; OIDC login uses it too).
   */
  async startSession(user: UserEntity): Promise<OwnerSession> {
    const refresh = await this.refreshTokens.issue(user.id);
    return this.session(user, refresh.token, refresh.expiresAt);
  }

  /** Rotates the refresh token (reuse revokes the family) and issues a new access token. */
  async refresh(refreshToken: string, log?: RequestLog): Promise<OwnerSession> {
    const { userId, refresh } = await this.refreshTokens.rotate(refreshToken, log);
    const user = await this.users.findById(userId);
    // Unreachable through the cascade, but a token must never outlive its account.
    if (!user) throw new InvalidTokenError();
    return this.session(user, refresh.token, refresh.expiresAt);
  }

  /**
   * Ends the session family of a refresh token, if any, and puts the presented access JWT's `jti`
   * on the denylist until it expires. An access token that does not verify is ignored: logout is
   * idempotent and must work with whatever a browser still holds.
   */
  async logout(refreshToken: string | undefined, accessToken?: string): Promise<void> {
    if (refreshToken) await this.refreshTokens.revokeFamilyOf(refreshToken);
    if (!accessToken) return;
    const claims = await this.verifiedAccessClaims(accessToken);
    if (typeof claims?.jti === 'string' && isUUID(claims.jti)) await this.revokedAccessTokens.revoke(claims.jti, new Date(claims.exp * 1000));
  }

  /**
   * The owner an access JWT (not a personal token) belongs to, or null when it does not verify,
   * was revoked or its account is gone. For routes that are public but act on a signed-in owner
   * when there is one (connecting SSO to a password account).
   */
  async ownerOfAccessToken(accessToken: string): Promise<UserEntity | null> {
    const claims = await this.verifiedAccessClaims(accessToken);
    if (!claims || typeof claims.sub !== 'string' || typeof claims.jti !== 'string') return null;
    if (!isUUID(claims.sub) || !isUUID(claims.jti)) return null;
    return this.users.findForAccessToken(claims.sub, claims.jti);
  }

  private async verifiedAccessClaims(token: string): Promise<{ sub?: string; jti?: string; exp: number } | null> {
    try {
      return await this.signing.verify(token, { audience: ACCESS_TOKEN_AUDIENCE });
    } catch (err) {
      if (err instanceof InvalidTokenError || err instanceof ExpiredTokenError) return null;
      throw err;
    }
  }

  async me(userId: string): Promise<UserEntity> {
    const user = await this.users.findById(userId);
    if (!user) throw new InvalidTokenError();
    return user;
  }

  deleteAccount(userId: string): Promise<void> {
    return this.users.delete(userId);
  }

  private async session(user: UserEntity, refreshToken: string, refreshExpiresAt: Date): Promise<OwnerSession> {
    const ttl = this.config.accessTokenTtlSeconds;
    const { token } = await this.signing.sign({ sub: user.id }, { audience: ACCESS_TOKEN_AUDIENCE, ttlSeconds: ttl });
    return { user, accessToken: token, expiresIn: ttl, refreshToken, refreshExpiresAt };
  }
}
