import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { CookieOptions, Response } from 'express';
import { authConfig } from './auth.config';
import type { OwnerSession } from './auth.service';

export const ACCESS_COOKIE = 'parley_access';
export const REFRESH_COOKIE = 'parley_refresh';
/** The refresh cookie only travels to the auth routes that consume it (refresh, logout). */
export const REFRESH_COOKIE_PATH = '/api/auth';

/** Sets and clears the owner session cookies: HttpOnly, SameSite=Lax, Secure in production. */
@Injectable()
export class AuthCookies {
  constructor(@Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>) {}

  private base(path: string): CookieOptions {
    return { httpOnly: true, sameSite: 'lax', secure: this.config.cookieSecure, path };
  }

  /** Sets `parley_access` (Path=/) and `parley_refresh` (Path=/api/auth) for a session from `AuthService`. */
  setSession(res: Response, session: Pick<OwnerSession, 'accessToken' | 'expiresIn' | 'refreshToken' | 'refreshExpiresAt'>): void {
    res.cookie(ACCESS_COOKIE, session.accessToken, { ...this.base('/'), maxAge: session.expiresIn * 1000 });
    res.cookie(REFRESH_COOKIE, session.refreshToken, {
      ...this.base(REFRESH_COOKIE_PATH),
      maxAge: Math.max(0, session.refreshExpiresAt.getTime() - Date.now()),
    });
  }

  clearSession(res: Response): void {
    res.clearCookie(ACCESS_COOKIE, this.base('/'));
    res.clearCookie(REFRESH_COOKIE, this.base(REFRESH_COOKIE_PATH));
  }
}
