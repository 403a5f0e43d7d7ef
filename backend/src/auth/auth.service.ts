import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { authConfig } from './auth.config';
import { InvalidCredentialsError, InvalidTokenError } from './auth.errors';
import { UserEntity } from './entities/user.entity';
import { ACCESS_TOKEN_AUDIENCE, SigningService } from './keys/signing.service';
import { PasswordHasher } from './passwords/password-hasher';
import { RefreshTokensService } from './tokens/refresh-tokens.service';
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
  async refresh(refreshToken: string): Promise<OwnerSession> {
    const { userId, refresh } = await this.refreshTokens.rotate(refreshToken);
    const user = await this.users.findById(userId);
    // Unreachable through the cascade, but a token must never outlive its account.
    if (!user) throw new InvalidTokenError();
    return this.session(user, refresh.token, refresh.expiresAt);
  }

  /** Ends the session family of a refresh token, if any. Access tokens expire on their own (15 min). */
  async logout(refreshToken: string | undefined): Promise<void> {
    if (refreshToken) await this.refreshTokens.revokeFamilyOf(refreshToken);
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
