// Verifies Parley's `X-Parley-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
// Copy this into your engine: it needs nothing but node:crypto. Verify the RAW body bytes, before
// any JSON parsing, and reject timestamps outside the replay window.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const REPLAY_WINDOW_SECONDS = 300;

/** Returns null when the signature is valid, else why not: 'missing' | 'malformed' | 'expired' | 'mismatch'. */
export function verifyParleySignature(secret, rawBody, header, nowSeconds = Math.floor(Date.now() / 1000)) {
  if (!header) return 'missing';
  const parts = Object.fromEntries(header.split(',').map((part) => part.trim().split('=', 2)));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) return 'malformed';
  if (Math.abs(nowSeconds - t) > REPLAY_WINDOW_SECONDS) return 'expired';
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  return timingSafeEqual(Buffer.from(expected), Buffer.from(parts.v1)) ? null : 'mismatch';
}
