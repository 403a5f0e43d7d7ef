import type { Request } from 'express';
import { ACCESS_COOKIE } from './auth.cookies';
import type { Principal } from './principal';

/** Request fields the auth layer reads; cookie-parser fills `cookies`, the global guard `principal`. */
export type AuthRequest = Request & { cookies?: Record<string, string | undefined>; principal?: Principal };

/** The Bearer token of `Authorization`, `undefined` without the header, `null` when the header is not a Bearer one. */
export function bearerTokenOf(req: Request): string | null | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer +([^\s]+) *$/i.exec(header);
  return match ? match[1] : null;
}

export function cookieOf(req: Request, name: string): string | undefined {
  const value = (req as AuthRequest).cookies?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Where the owner access JWT comes from: an explicit `Authorization` header always wins over
 * the cookie (and makes the request exempt from CSRF checks, since no ambient credential is used).
 */
export function accessTokenOf(req: Request): { token: string; source: 'bearer' | 'cookie' } | null {
  const bearer = bearerTokenOf(req);
  if (bearer) return { token: bearer, source: 'bearer' };
  if (bearer === null) return null;
  const cookie = cookieOf(req, ACCESS_COOKIE);
  return cookie ? { token: cookie, source: 'cookie' } : null;
}

/**
 * The `kind` claim of a JWT, read without verifying it. Only ever used to refuse early (a chat
 * token of another kind than the verifier handles) — never to accept one.
 */
export function unverifiedTokenKind(token: string): unknown {
  const payload = token.split('.')[1];
  if (!payload || payload.length > 4096) return undefined;
  try {
    return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { kind?: unknown } | null)?.kind;
  } catch {
    return undefined;
  }
}
