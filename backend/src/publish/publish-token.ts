import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const PUBLISH_TOKEN_PREFIX = 'pub_';
const FORMAT = /^pub_[A-Za-z0-9_-]{43}$/;

/** `pub_` + 43 base64url characters (32 random bytes). */
export function generatePublishToken(): string {
  return PUBLISH_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function isPublishTokenFormat(token: string): boolean {
  return FORMAT.test(token);
}

export function hashPublishToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex digests of equal length. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What audit rows and logs may show of a token: `pub_…` and the last 4 characters of its hash. */
export function maskedToken(tokenHash: string): string {
  return `${PUBLISH_TOKEN_PREFIX}…${tokenHash.slice(-4)}`;
}
