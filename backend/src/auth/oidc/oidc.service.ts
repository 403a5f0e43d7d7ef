import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { timingSafeEqual } from 'node:crypto';
import { ContextLogger, RequestLog } from '../../common/logging/request-log';
import { appConfig } from '../../config/app.config';
import { EmailTakenError } from '../auth.errors';
import { AuthService, OwnerSession } from '../auth.service';
import { UserEntity } from '../entities/user.entity';
import { UsersService } from '../users.service';
import type { OidcIdentity } from '../oauth-sessions.service';
import { OIDC_TRANSACTION_TTL_SECONDS } from './oidc.cookies';
import { oidcConfig } from './oidc.config';
import {
  InvalidReturnToError,
  OidcAccountUnverifiedError,
  OidcDisabledError,
  OidcEmailUnverifiedError,
  OidcLoginFailedError,
  OidcStateMismatchError,
} from './oidc.errors';
import { OidcProviderClient } from './oidc-provider.client';
import { deriveTransactionKey, OidcPurpose, openTransaction, sealTransaction } from './oidc-transaction';
import { resolveReturnTo } from './return-to';

/** A finished code flow: who signed in, why, and where the browser goes next. */
export interface CompletedSignIn {
  purpose: OidcPurpose;
  /** Owner sign-in started while signed in as this owner (see `OidcTransaction.linkUserId`). */
  linkUserId?: string;
  returnTo: string;
  identity: OidcIdentity;
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * OpenID Connect sign-in (authorization code + PKCE S256 + state + nonce). `start` checks
 * `returnTo` and seals the transaction for a short-lived cookie; `complete` opens it, matches
 * `state` and lets openid-client verify the provider's answer. What a sign-in yields depends on
 * its purpose: an end-user OAuth session, or (owner sign-in) a normal owner session.
 */
@Injectable()
export class OidcService {
  private readonly logger = new ContextLogger('OIDC');
  private readonly transactionKey: Buffer;

  constructor(
    @Inject(oidcConfig.KEY) private readonly config: ConfigType<typeof oidcConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    private readonly provider: OidcProviderClient,
    private readonly users: UsersService,
    private readonly auth: AuthService,
  ) {
    this.transactionKey = deriveTransactionKey(app.secretKey);
  }

  /**
   * Begins a sign-in: refuses an open-redirect `returnTo` (before contacting anyone), then returns
   * the provider URL to redirect to and the sealed transaction for the `parley_oidc` cookie.
   */
  async start(purpose: OidcPurpose, returnTo: string | undefined, linkUserId?: string, log?: RequestLog): Promise<{ redirectUrl: string; transaction: string }> {
    if (!this.config.enabled) throw new OidcDisabledError();
    const target = resolveReturnTo(returnTo, this.app.publicBaseUrl, this.config.allowedReturnOrigins);
    if (!target) throw new InvalidReturnToError();
    const checks = this.provider.newChecks();
    const redirectUrl = await this.provider.authorizationUrl(checks, log);
    const transaction = sealTransaction(
      { ...checks, returnTo: target, purpose, ...(linkUserId ? { linkUserId } : {}), expiresAt: Date.now() + OIDC_TRANSACTION_TTL_SECONDS * 1000 },
      this.transactionKey,
    );
    return { redirectUrl, transaction };
  }

  /** Finishes a sign-in from the callback's raw query string and this browser's sealed transaction. */
  async complete(query: string, sealed: string | undefined, log?: RequestLog): Promise<CompletedSignIn> {
    if (!this.config.enabled) throw new OidcDisabledError();
    const tx = openTransaction(sealed, this.transactionKey);
    if (!tx) throw new OidcStateMismatchError('No sign-in is in progress in this browser, or it took too long; start again.');
    const state = new URLSearchParams(query).get('state');
    // Login CSRF: a callback carrying someone else's code never matches this browser's state.
    if (!state || !sameString(state, tx.state)) throw new OidcStateMismatchError();
    let identity: OidcIdentity;
    try {
      identity = await this.provider.identify(query, tx, log);
    } catch (err) {
      // A visitor who cancelled (or whose provider failed) should find the way back to the page they came from.
      if (err instanceof OidcLoginFailedError && tx.purpose === 'session') throw new OidcLoginFailedError(err.message, { ...err.details, returnTo: tx.returnTo });
      throw err;
    }
    return { purpose: tx.purpose, returnTo: tx.returnTo, identity, ...(tx.linkUserId ? { linkUserId: tx.linkUserId } : {}) };
  }

  /**
   * Owner sign-in. Only the provider's `email_verified: true` counts; an unverified email could
   * be anyone's. The verified email then
   * - creates an owner account without a password (its email counts as verified), or
   * - signs in to the account with that email when its email is verified (created by SSO, or a
   *   password account whose holder connected SSO before), or
   * - connects a password account whose email was never verified only when the sign-in was started
   *   by that account's holder, signed in with the password (`linkUserId`): proof of both sides.
   * Otherwise `oidc_account_unverified`: anyone can register a password account for an address they
   * do not own, and merging it would give them the SSO user's account (pre-account takeover).
   */
  async ownerSession(identity: OidcIdentity, linkUserId?: string, log?: RequestLog): Promise<OwnerSession> {
    if (!identity.email || !identity.emailVerified) throw new OidcEmailUnverifiedError();
    const user = await this.linkOrCreate(identity.email, identity.name, linkUserId, log);
    return this.auth.startSession(user);
  }

  private async linkOrCreate(email: string, name: string | null, linkUserId: string | undefined, log: RequestLog | undefined): Promise<UserEntity> {
    const existing = await this.users.findByEmail(email);
    if (existing) return this.linkExisting(existing, linkUserId, log);
    try {
      const created = await this.users.create({ email, name, passwordHash: null, emailVerified: true });
      this.logger.in(log).log(`Created owner account ${created.id} from OIDC sign-in.`);
      return created;
    } catch (err) {
      // Two first sign-ins at once: the unique index let one create it; use that one.
      if (!(err instanceof EmailTakenError)) throw err;
      const raced = await this.users.findByEmail(email);
      if (!raced) throw err;
      return this.linkExisting(raced, linkUserId, log);
    }
  }

  private async linkExisting(user: UserEntity, linkUserId: string | undefined, log: RequestLog | undefined): Promise<UserEntity> {
    if (user.emailVerifiedAt) return user;
    if (linkUserId !== user.id) {
      this.logger.in(log).warn(`Refused SSO sign-in into owner account ${user.id}: a password account whose email was never verified.`);
      throw new OidcAccountUnverifiedError(user.email);
    }
    await this.users.markEmailVerified(user.id);
    this.logger.in(log).log(`Connected SSO to owner account ${user.id}, signed in with its password.`);
    return { ...user, emailVerifiedAt: new Date() };
  }
}
