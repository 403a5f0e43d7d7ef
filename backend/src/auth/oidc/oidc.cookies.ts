import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { CookieOptions, Response } from 'express';
import { authConfig } from '../auth.config';

/** The end-user OAuth session (security scheme `oauthSession`; docs/security.md, End-user OAuth sessions). */
export const OAUTH_COOKIE = 'parley_oauth';
/** Only API routes read the session (`/api/chatkit`, `/api/auth/session`); pages never need it. */
export const OAUTH_COOKIE_PATH = '/api';
/** The sealed sign-in transaction, only ever read by the callback. */
export const OIDC_TRANSACTION_COOKIE = 'parley_oidc';
export const OIDC_TRANSACTION_COOKIE_PATH = '/api/auth/oidc';
/** How long a sign-in may take at the provider before the callback refuses it. */
export const OIDC_TRANSACTION_TTL_SECONDS = 600;

/**
 * Sets and clears the OIDC cookies: HttpOnly, SameSite=Lax (sent on the provider's top-level
 * redirect back, not on cross-site sub-requests), Secure whenever the owner cookies are.
 */
@Injectable()
export class OidcCookies {
  constructor(@Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>) {}

  private base(path: string): CookieOptions {
    return { httpOnly: true, sameSite: 'lax', secure: this.auth.cookieSecure, path };
  }

  setTransaction(res: Response, sealed: string): void {
    res.cookie(OIDC_TRANSACTION_COOKIE, sealed, { ...this.base(OIDC_TRANSACTION_COOKIE_PATH), maxAge: OIDC_TRANSACTION_TTL_SECONDS * 1000 });
  }

  clearTransaction(res: Response): void {
    res.clearCookie(OIDC_TRANSACTION_COOKIE, this.base(OIDC_TRANSACTION_COOKIE_PATH));
  }

  setSession(res: Response, token: string, expiresAt: Date): void {
    res.cookie(OAUTH_COOKIE, token, { ...this.base(OAUTH_COOKIE_PATH), maxAge: Math.max(0, expiresAt.getTime() - Date.now()) });
  }

  clearSession(res: Response): void {
    res.clearCookie(OAUTH_COOKIE, this.base(OAUTH_COOKIE_PATH));
  }
}
