import { Module } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { DiscoveryModule } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { appConfig } from '../config/app.config';
import { databaseConfig } from '../database/database.config';
import { authConfig } from './auth.config';
import { AuthController } from './auth.controller';
import { AuthCookies } from './auth.cookies';
import { AuthService } from './auth.service';
import { AccessTokenGuard } from './guards/access-token.guard';
import { AccessTokenStrategy } from './guards/access-token.strategy';
import { GlobalAuthGuard } from './guards/auth.guard';
import { CsrfPolicy } from './csrf.policy';
import { OwnerTokenVerifier } from './guards/owner-token.verifier';
import { RouteAuthInspector } from './guards/route-auth.inspector';
import { VerifierRegistry } from './guards/verifier.registry';
import { JwksController } from './keys/jwks.controller';
import { deriveKeyEncryptionKey } from './keys/key-encryption';
import { SigningKeysRepository } from './keys/signing-keys.repository';
import { SigningKeysService } from './keys/signing-keys.service';
import { SigningService } from './signing.service';
import { PasswordHasher } from './passwords/password-hasher';
import { PersonalTokensController } from './personal-tokens.controller';
import { PersonalTokensRepository } from './tokens/personal-tokens.repository';
import { PersonalTokensService } from './tokens/personal-tokens.service';
import { RefreshTokensRepository } from './tokens/refresh-tokens.repository';
import { RefreshTokensService } from './tokens/refresh-tokens.service';
import { RevokedAccessTokensRepository } from './tokens/revoked-access-tokens.repository';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';
import { OAuthSessionController } from './oidc/oauth-session.controller';
import { OAuthSessionVerifier } from './oidc/oauth-session.verifier';
import { OAuthSessionsRepository } from './oidc/oauth-sessions.repository';
import { OAuthSessionsService } from './oauth-sessions.service';
import { OidcCookies } from './oidc/oidc.cookies';
import { oidcConfig } from './oidc/oidc.config';
import { OidcController } from './oidc/oidc.controller';
import { OidcService } from './oidc/oidc.service';
import { OidcProviderClient } from './oidc/oidc-provider.client';
import { IdentityTokenService } from './identity-token.service';

/**
 * Owner accounts, tokens and the global deny-by-default guard — exported, and registered by
 * AppModule as the first APP_GUARD, ahead of the rate limiter that keys on the principal it
 * attaches. Other modules use the exported services (signing for chat/visitor JWTs, users for
 * OIDC linking, CSRF policy for their own cookies) and register verifiers for their auth modes
 * with `@AuthVerifier(mode)`.
 */
@Module({
  imports: [
    ConfigModule.forFeature(authConfig),
    ConfigModule.forFeature(appConfig),
    ConfigModule.forFeature(databaseConfig),
    // Registers the `oidc` namespace globally: `/api/config` reads `oidc.enabled`.
    ConfigModule.forFeature(oidcConfig),
    DiscoveryModule,
  ],
  controllers: [AuthController, PersonalTokensController, JwksController, OidcController, OAuthSessionController],
  providers: [
    IdentityTokenService,
    GlobalAuthGuard,
    VerifierRegistry,
    RouteAuthInspector,
    OwnerTokenVerifier,
    AccessTokenStrategy,
    AccessTokenGuard,
    CsrfPolicy,
    AuthCookies,
    AuthService,
    UsersService,
    UsersRepository,
    PasswordHasher,
    SigningKeysService,
    {
      provide: SigningKeysRepository,
      inject: [DataSource, appConfig.KEY],
      useFactory: (dataSource: DataSource, app: ConfigType<typeof appConfig>) =>
        new SigningKeysRepository(dataSource, deriveKeyEncryptionKey(app.secretKey)),
    },
    SigningService,
    RefreshTokensService,
    RefreshTokensRepository,
    RevokedAccessTokensRepository,
    PersonalTokensService,
    PersonalTokensRepository,
    // OpenID Connect (relying party) and the end-user OAuth session.
    OidcProviderClient,
    OidcService,
    OidcCookies,
    OAuthSessionsService,
    OAuthSessionsRepository,
    OAuthSessionVerifier,
  ],
  exports: [
    // Signs X-Parley-Identity for tools, MCP servers and webhook engines.
    IdentityTokenService,
    GlobalAuthGuard,
    AuthService,
    UsersService,
    SigningService,
    SigningKeysService,
    CsrfPolicy,
    AuthCookies,
    RouteAuthInspector,
    // For routes that need an OAuth session together with another credential (share link + requireLogin).
    OAuthSessionsService,
  ],
})
export class AuthModule {}
