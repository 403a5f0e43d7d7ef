import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { appConfig } from '../config/app.config';
import { databaseConfig } from '../database/database.config';
import { authConfig } from './auth.config';
import { AuthController } from './auth.controller';
import { AuthCookies } from './auth.cookies';
import { AuthService } from './auth.service';
import { AccessTokenGuard } from './guards/access-token.guard';
import { AccessTokenStrategy } from './guards/access-token.strategy';
import { GlobalAuthGuard } from './guards/auth.guard';
import { CsrfPolicy } from './guards/csrf.policy';
import { OwnerTokenVerifier } from './guards/owner-token.verifier';
import { RouteAuthInspector } from './guards/route-auth.inspector';
import { VerifierRegistry } from './guards/verifier.registry';
import { JwksController } from './keys/jwks.controller';
import { SigningKeysService } from './keys/signing-keys.service';
import { SigningService } from './keys/signing.service';
import { PasswordHasher } from './passwords/password-hasher';
import { PersonalTokensController } from './personal-tokens.controller';
import { AUTH_RATE_LIMIT_STORAGE } from './rate-limit/auth-rate-limit.guard';
import { PersonalTokensRepository } from './tokens/personal-tokens.repository';
import { PersonalTokensService } from './tokens/personal-tokens.service';
import { RefreshTokensRepository } from './tokens/refresh-tokens.repository';
import { RefreshTokensService } from './tokens/refresh-tokens.service';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

/**
 * Owner accounts, tokens and the global deny-by-default guard. Other modules use the exported
 * services (signing for chat/visitor JWTs, users for OIDC linking, CSRF policy for their own
 * cookies) and register verifiers for their auth modes with `@AuthVerifier(mode)`.
 */
@Module({
  imports: [
    ConfigModule.forFeature(authConfig),
    ConfigModule.forFeature(appConfig),
    ConfigModule.forFeature(databaseConfig),
    DiscoveryModule,
  ],
  controllers: [AuthController, PersonalTokensController, JwksController],
  providers: [
    { provide: APP_GUARD, useClass: GlobalAuthGuard },
    { provide: AUTH_RATE_LIMIT_STORAGE, useClass: ThrottlerStorageService },
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
    SigningService,
    RefreshTokensService,
    RefreshTokensRepository,
    PersonalTokensService,
    PersonalTokensRepository,
  ],
  exports: [AuthService, UsersService, SigningService, SigningKeysService, CsrfPolicy, AuthCookies, RouteAuthInspector],
})
export class AuthModule {}
