import { deriveSecretBoxKey, isSealed, openWith, sealWith, SecretUnsealError } from './secret-box';

describe('secret box', () => {
  const key = deriveSecretBoxKey('a-test-secret-key-of-at-least-32-characters');

  it('round-trips and never stores the plaintext', () => {
    const sealed = sealWith(key, 'Bearer sk-live-123', 'tool-header');
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain('sk-live');
    expect(openWith(key, sealed, 'tool-header')).toBe('Bearer sk-live-123');
    expect(sealWith(key, 'Bearer sk-live-123', 'tool-header')).not.toBe(sealed); // random IV
  });

  it('refuses another purpose, another key and tampered data', () => {
    const sealed = sealWith(key, 'value', 'tool-header');
    expect(() => openWith(key, sealed, 'webhook-secret')).toThrow(SecretUnsealError);
    expect(() => openWith(deriveSecretBoxKey('another-secret-key-of-at-least-32-characters'), sealed, 'tool-header')).toThrow(SecretUnsealError);
    // Change one full-6-bit character of the tag (the last one may carry padding bits only).
    const at = sealed.length - 2;
    const flipped = sealed.slice(0, at) + (sealed[at] === 'A' ? 'B' : 'A') + sealed.slice(at + 1);
    expect(flipped).not.toBe(sealed);
    expect(() => openWith(key, flipped, 'tool-header')).toThrow(SecretUnsealError);
    expect(() => openWith(key, 'plain', 'tool-header')).toThrow(SecretUnsealError);
    expect(isSealed('***')).toBe(false);
  });
});
