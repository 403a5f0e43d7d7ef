/**
 * The one email normalisation: Unicode NFC, trimmed, lower-cased. Applied by DTOs, the
 * services and the rate limiter alike, so `A@x.io ` and `a@x.io` are one account and one bucket.
 */
export function normaliseEmail(email: string): string {
  return email.normalize('NFC').trim().toLowerCase();
}
