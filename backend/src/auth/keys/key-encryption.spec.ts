import { generateKeyPairSync } from 'node:crypto';
import { decryptPrivateKey, deriveKeyEncryptionKey, encryptPrivateKey, KeyDecryptionError } from './key-encryption';
import { jwkThumbprint } from './jwk';

describe('signing key encryption', () => {
  const der = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'der', type: 'pkcs8' });
  const kek = deriveKeyEncryptionKey('a'.repeat(40));

  it('round-trips and never stores the plaintext', () => {
    const blob = encryptPrivateKey(der, kek, 'kid-1');
    expect(blob.includes(der)).toBe(false);
    expect(decryptPrivateKey(blob, kek, 'kid-1')).toEqual(der);
  });

  it('uses a fresh IV each time', () => {
    expect(encryptPrivateKey(der, kek, 'kid-1')).not.toEqual(encryptPrivateKey(der, kek, 'kid-1'));
  });

  it('refuses another secret, another kid (moved row) and tampering', () => {
    const blob = encryptPrivateKey(der, kek, 'kid-1');
    expect(() => decryptPrivateKey(blob, deriveKeyEncryptionKey('b'.repeat(40)), 'kid-1')).toThrow(KeyDecryptionError);
    expect(() => decryptPrivateKey(blob, kek, 'kid-2')).toThrow(/PARLEY_SECRET_KEY/);
    const tampered = Buffer.from(blob);
    tampered[tampered.length - 1] ^= 1;
    expect(() => decryptPrivateKey(tampered, kek, 'kid-1')).toThrow(KeyDecryptionError);
    expect(() => decryptPrivateKey(Buffer.alloc(3), kek, 'kid-1')).toThrow(KeyDecryptionError);
  });

  it('derives a 256-bit key that depends on the secret', () => {
    expect(kek).toHaveLength(32);
    expect(deriveKeyEncryptionKey('a'.repeat(40))).toEqual(kek);
    expect(deriveKeyEncryptionKey('a'.repeat(41))).not.toEqual(kek);
  });
});

describe('jwkThumbprint', () => {
  it('hashes the RFC 7638 canonical form: crv, kty, x, y in order, no whitespace, other members ignored', () => {
    const jwk = { kid: 'ignored', kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };
    // Computed independently (Python hashlib) over '{"crv":"P-256","kty":"EC","x":"…","y":"…"}'.
    expect(jwkThumbprint(jwk)).toBe('oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U');
  });
});
