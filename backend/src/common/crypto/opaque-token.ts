import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Random opaque token: prefix + 43 base64url characters (32 random bytes, 256 bits). */
export function generateOpaqueToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/**
 * SHA-256 of a token, the only form stored. A fast hash is right here (unlike passwords):
 * the input has 256 bits of entropy, so there is nothing to brute-force.
 */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Constant-time comparison of two token hashes. Rows are found by an index on the hash, and
 * this re-check makes the final accept/reject decision independent of where bytes differ.
 */
export function tokenHashesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Token-shaped strings only: bounds the work done on garbage before any hashing or lookup. */
export function looksLikeOpaqueToken(value: string, prefix: string): boolean {
  return value.startsWith(prefix) && /^[A-Za-z0-9_-]{43}$/.test(value.slice(prefix.length));
}
