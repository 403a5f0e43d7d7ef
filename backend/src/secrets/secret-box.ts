import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Domain separation from the other keys PARLEY_SECRET_KEY derives (signing keys, OIDC, previews). */
const HKDF_SALT = 'parley/secret-box';
const HKDF_INFO = 'parley owner secrets v1';

/** A sealed value that PARLEY_SECRET_KEY cannot open (changed key or tampered data). */
export class SecretUnsealError extends Error {
  constructor() {
    super('A stored secret cannot be decrypted: PARLEY_SECRET_KEY changed since it was saved, or the data is corrupt.');
    this.name = 'SecretUnsealError';
  }
}

/** Derives the secret-box key from PARLEY_SECRET_KEY (HKDF-SHA256, as the signing-key KEK). */
export function deriveSecretBoxKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), HKDF_SALT, HKDF_INFO, 32));
}

/** AES-256-GCM seal: `v1.<base64url(iv | tag | ciphertext)>`, `purpose` authenticated as associated data. */
export function sealWith(key: Buffer, plaintext: string, purpose: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(purpose, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url')}`;
}

export function openWith(key: Buffer, sealed: string, purpose: string): string {
  const [version, data] = sealed.split('.', 2);
  if (version !== VERSION || !data) throw new SecretUnsealError();
  const blob = Buffer.from(data, 'base64url');
  if (blob.length < IV_BYTES + TAG_BYTES) throw new SecretUnsealError();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(purpose, 'utf8'));
    decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretUnsealError();
  }
}

/** True when `value` looks like a sealed secret (so plaintext is never mistaken for one). */
export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && /^v1\.[A-Za-z0-9_-]{38,}$/.test(value);
}

/**
 * Encrypts owner secrets at rest (tool and webhook header values) with a key derived from
 * PARLEY_SECRET_KEY. `purpose` binds a ciphertext to its use, so a sealed tool header cannot be
 * replayed as, say, a webhook signing secret.
 */
@Injectable()
export class SecretBox {
  private readonly key: Buffer;

  constructor(@Inject(appConfig.KEY) app: ConfigType<typeof appConfig>) {
    this.key = deriveSecretBoxKey(app.secretKey);
  }

  seal(plaintext: string, purpose: string): string {
    return sealWith(this.key, plaintext, purpose);
  }

  open(sealed: string, purpose: string): string {
    return openWith(this.key, sealed, purpose);
  }
}
