import { createHmac, timingSafeEqual } from 'node:crypto';

/** The signature header of every webhook request. */
export const SIGNATURE_HEADER = 'X-Parley-Signature';

/** How old a signature an engine should accept (documented for verifiers; Parley signs fresh). */
export const REPLAY_WINDOW_SECONDS = 300;

/** `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` keyed by the workflow's signing secret. */
export function signWebhook(secret: string, rawBody: string, timestamp: number = Math.floor(Date.now() / 1000)): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${digest}`;
}

/**
 * The reference verifier (what docs/embedding.md shows engines): parses the header, rejects a
 * timestamp outside the replay window, and compares in constant time. Returns why it failed, or null.
 */
export function verifyWebhookSignature(
  secret: string,
  rawBody: string,
  header: string | undefined,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  windowSeconds: number = REPLAY_WINDOW_SECONDS,
): 'missing' | 'malformed' | 'expired' | 'mismatch' | null {
  if (!header) return 'missing';
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return 'malformed';
  if (Math.abs(nowSeconds - t) > windowSeconds) return 'expired';
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${rawBody}`, 'utf8').digest('hex'), 'utf8');
  return timingSafeEqual(expected, Buffer.from(v1, 'utf8')) ? null : 'mismatch';
}
