import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** Why a sign-in was started; decides what the callback hands out. */
export type OidcPurpose = 'session' | 'owner';

/**
 * What the callback needs to finish a sign-in this browser started: the PKCE verifier, `state`,
 * `nonce`, where to go afterwards and why. Kept in the browser, sealed, so any instance can
 * finish a sign-in another one started.
 */
export interface OidcTransaction {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  purpose: OidcPurpose;
  /**
   * Owner sign-in started by an owner already signed in (with a password): the account the SSO
   * identity may be connected to, even though its email was never verified.
   */
  linkUserId?: string;
  /** Epoch milliseconds after which the callback refuses it. */
  expiresAt: number;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Binds the ciphertext to this use, so no other sealed value of Parley can be replayed as one. */
const AAD = Buffer.from('parley oidc transaction', 'utf8');

/** AES-256 key for transaction cookies, derived from PARLEY_SECRET_KEY (domain-separated from the signing-key KEK). */
export function deriveTransactionKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'parley/oidc-transaction', 'parley oidc transaction v1', 32));
}

/** AES-256-GCM, base64url of `version | iv | tag | ciphertext`: confidential (the verifier) and tamper-proof (returnTo, purpose). */
export function sealTransaction(tx: OidcTransaction, key: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(AAD);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(tx), 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
}

/** The transaction, or null when the value is malformed, forged, sealed with another key or expired. */
export function openTransaction(sealed: string | undefined, key: Buffer, now = Date.now()): OidcTransaction | null {
  if (!sealed || sealed.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(sealed)) return null;
  const blob = Buffer.from(sealed, 'base64url');
  if (blob.length < 1 + IV_BYTES + TAG_BYTES + 1 || blob[0] !== VERSION) return null;
  let tx: OidcTransaction;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(1, 1 + IV_BYTES));
    decipher.setAAD(AAD);
    decipher.setAuthTag(blob.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
    const plaintext = Buffer.concat([decipher.update(blob.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    tx = JSON.parse(plaintext.toString('utf8')) as OidcTransaction;
  } catch {
    return null;
  }
  if (typeof tx.expiresAt !== 'number' || tx.expiresAt <= now) return null;
  return tx;
}
