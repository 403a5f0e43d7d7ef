import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Domain separation: the same PARLEY_SECRET_KEY may derive other keys for other purposes. */
const HKDF_SALT = 'parley/signing-keys';
const HKDF_INFO = 'parley signing-key encryption v1';

export class KeyDecryptionError extends Error {
  constructor(kid: string) {
    super(
      `Cannot decrypt signing key "${kid}": PARLEY_SECRET_KEY differs from the one that encrypted it, or the row is corrupt. ` +
        'Restore the previous PARLEY_SECRET_KEY (or rotate keys with it, then change it).',
    );
    this.name = 'KeyDecryptionError';
  }
}

/** AES-256 key derived from PARLEY_SECRET_KEY with HKDF-SHA256 (the secret is a passphrase, not key material). */
export function deriveKeyEncryptionKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), HKDF_SALT, HKDF_INFO, 32));
}

/**
 * AES-256-GCM with a random 96-bit IV; the kid is authenticated as associated data so a
 * ciphertext cannot be moved to another row. Layout: version(1) | iv(12) | tag(16) | ciphertext.
 */
export function encryptPrivateKey(plaintext: Buffer, kek: Buffer, kid: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(kid, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ciphertext]);
}

export function decryptPrivateKey(blob: Buffer, kek: Buffer, kid: string): Buffer {
  if (blob.length < 1 + IV_BYTES + TAG_BYTES + 1 || blob[0] !== VERSION) throw new KeyDecryptionError(kid);
  const iv = blob.subarray(1, 1 + IV_BYTES);
  const tag = blob.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const ciphertext = blob.subarray(1 + IV_BYTES + TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, iv);
    decipher.setAAD(Buffer.from(kid, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new KeyDecryptionError(kid);
  }
}
