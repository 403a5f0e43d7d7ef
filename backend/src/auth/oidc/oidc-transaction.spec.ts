import { deriveTransactionKey, OidcTransaction, openTransaction, sealTransaction } from './oidc-transaction';

describe('OIDC transaction sealing', () => {
  const key = deriveTransactionKey('a-development-secret-of-at-least-32-characters');
  const tx: OidcTransaction = {
    state: 'state-value',
    nonce: 'nonce-value',
    codeVerifier: 'verifier-value',
    returnTo: 'http://localhost:3000/chat/1',
    purpose: 'owner',
    expiresAt: Date.now() + 60_000,
  };

  it('round-trips and hides its contents', () => {
    const sealed = sealTransaction(tx, key);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain('verifier-value');
    expect(openTransaction(sealed, key)).toEqual(tx);
  });

  it('refuses tampering, another key, expiry and garbage', () => {
    const sealed = sealTransaction(tx, key);
    const blob = Buffer.from(sealed, 'base64url');
    blob[blob.length - 1] ^= 1;
    expect(openTransaction(blob.toString('base64url'), key)).toBeNull();
    expect(openTransaction(sealed, deriveTransactionKey('another-secret-of-at-least-32-characters!!'))).toBeNull();
    expect(openTransaction(sealed, key, tx.expiresAt)).toBeNull();
    expect(openTransaction(undefined, key)).toBeNull();
    expect(openTransaction('not base64url!', key)).toBeNull();
    expect(openTransaction('AQID', key)).toBeNull();
  });

  it('is domain-separated from other keys derived from the same secret', () => {
    expect(deriveTransactionKey('s'.repeat(40)).equals(deriveTransactionKey('s'.repeat(40)))).toBe(true);
    // The signing-key KEK uses another salt/info; this only documents the intent.
    expect(deriveTransactionKey('s'.repeat(40))).toHaveLength(32);
  });
});
