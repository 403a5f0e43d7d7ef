import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { ExpiredTokenError, InvalidTokenError } from './auth.errors';
import { cookieOf } from './credentials';
import { OAuthPrincipal } from './principal';
import { generateOpaqueToken, hashToken, looksLikeOpaqueToken, tokenHashesEqual } from '../common/crypto/opaque-token';
import { OAuthSessionEntity } from './oidc/entities/oauth-session.entity';
import { OAuthSessionsRepository } from './oidc/oauth-sessions.repository';
import { OAUTH_COOKIE } from './oidc/oidc.cookies';
import { oidcConfig } from './oidc/oidc.config';

/** Prefix of OAuth session ids (the `parley_oauth` cookie value). */
export const OAUTH_SESSION_PREFIX = 'oas_';

/** Expired rows are kept this long so a late request still learns `token_expired` rather than `token_invalid`. */
const EXPIRED_ROW_GRACE_MS = 86400 * 1000;

/** Who the identity provider says signed in, after every check of the code flow. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

/** Compares issuer identifiers the way URLs compare (`https://idp` and `https://idp/` are one issuer). */
function sameIssuer(a: string, b: string | null): boolean {
  if (!b) return false;
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}

/**
 * End-user sessions created by OIDC sign-in. The browser holds an opaque `oas_…` id in the
 * HttpOnly `parley_oauth` cookie; the table keeps only its SHA-256. Exported so that routes which
 * combine the OAuth session with another credential (a share link with `requireLogin`) can read it.
 */
@Injectable()
export class OAuthSessionsService {
  constructor(
    private readonly sessions: OAuthSessionsRepository,
    @Inject(oidcConfig.KEY) private readonly config: ConfigType<typeof oidcConfig>,
  ) {}

  /** Starts a session; `replacing` (the browser's previous session id, if any) is ended first. */
  async create(identity: OidcIdentity, replacing?: string): Promise<{ token: string; session: OAuthSessionEntity }> {
    if (replacing && looksLikeOpaqueToken(replacing, OAUTH_SESSION_PREFIX)) await this.sessions.deleteByHash(hashToken(replacing));
    const now = Date.now();
    await this.sessions.deleteExpired(new Date(now - EXPIRED_ROW_GRACE_MS));
    const token = generateOpaqueToken(OAUTH_SESSION_PREFIX);
    const session = await this.sessions.insert({
      tokenHash: hashToken(token),
      issuer: identity.issuer,
      subject: identity.subject,
      email: identity.email,
      emailVerified: identity.emailVerified,
      name: identity.name,
      expiresAt: new Date(now + this.config.sessionTtlSeconds * 1000),
    });
    return { token, session };
  }

  /**
   * Turns a session id into its principal. Throws `token_invalid` (malformed, unknown, ended, from
   * another issuer, or OIDC switched off) or `token_expired`.
   */
  async authenticate(token: string): Promise<OAuthPrincipal> {
    if (!this.config.enabled || !looksLikeOpaqueToken(token, OAUTH_SESSION_PREFIX)) throw new InvalidTokenError();
    const hash = hashToken(token);
    const row = await this.sessions.findByHash(hash);
    if (!row || !tokenHashesEqual(row.tokenHash, hash) || !sameIssuer(row.issuer, this.config.issuer)) throw new InvalidTokenError();
    if (row.expiresAt.getTime() <= Date.now()) throw new ExpiredTokenError('The sign-in session has expired; sign in again.');
    return {
      kind: 'oauth',
      sessionId: row.id,
      issuer: row.issuer,
      subject: row.subject,
      email: row.email,
      emailVerified: row.emailVerified,
      name: row.name,
      expiresAt: row.expiresAt,
    };
  }

  /**
   * The OAuth session of a request's `parley_oauth` cookie: null without the cookie, otherwise as
   * `authenticate`. Performs no CSRF check; callers handling unsafe methods must (the verifier does).
   */
  async fromRequest(req: Request): Promise<OAuthPrincipal | null> {
    const token = cookieOf(req, OAUTH_COOKIE);
    return token ? this.authenticate(token) : null;
  }

  /** Ends the session of a session id, if it exists. Idempotent. */
  async end(token: string): Promise<void> {
    if (looksLikeOpaqueToken(token, OAUTH_SESSION_PREFIX)) await this.sessions.deleteByHash(hashToken(token));
  }
}
