import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { appConfig } from '../config/app.config';
import { CsrfFailedError } from './auth.errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF defence for cookie-authenticated requests (ambient credentials). Unsafe methods must be
 * same-origin by `Sec-Fetch-Site`, or carry an `Origin` on the allowlist (CORS_ORIGINS plus the
 * origin of PUBLIC_BASE_URL). A request with neither header is refused: every browser that could
 * be tricked into sending the cookie sends one of them; scripts should use a Bearer token.
 */
@Injectable()
export class CsrfPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(@Inject(appConfig.KEY) app: ConfigType<typeof appConfig>) {
    this.allowed = new Set([...app.corsOrigins, new URL(app.publicBaseUrl).origin]);
  }

  /** Throws `csrf_failed` unless the request is safe or comes from an allowed origin. */
  assertAllowed(req: Request): void {
    if (SAFE_METHODS.has(req.method.toUpperCase())) return;
    // Set by the browser, not by page script; `same-site` is not enough (sibling subdomains).
    if (req.headers['sec-fetch-site'] === 'same-origin') return;
    const origin = req.headers.origin;
    if (typeof origin === 'string' && this.allowed.has(origin)) return;
    throw new CsrfFailedError();
  }
}
