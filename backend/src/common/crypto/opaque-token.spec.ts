import { generateOpaqueToken, hashToken, looksLikeOpaqueToken, tokenHashesEqual } from './opaque-token';

describe('opaque tokens', () => {
  it('are the prefix plus 43 base64url characters (256 random bits) and never repeat', () => {
    const a = generateOpaqueToken('pat_');
    expect(a).toMatch(/^pat_[A-Za-z0-9_-]{43}$/);
    expect(generateOpaqueToken('pat_')).not.toEqual(a);
    expect(looksLikeOpaqueToken(a, 'pat_')).toBe(true);
    expect(looksLikeOpaqueToken(a, 'rt_')).toBe(false);
    expect(looksLikeOpaqueToken(a + 'x', 'pat_')).toBe(false);
    expect(looksLikeOpaqueToken('pat_' + '!'.repeat(43), 'pat_')).toBe(false);
  });

  it('hash to 32 bytes of SHA-256 and compare by value', () => {
    const t = generateOpaqueToken('rt_');
    expect(hashToken(t)).toHaveLength(32);
    expect(tokenHashesEqual(hashToken(t), hashToken(t))).toBe(true);
    expect(tokenHashesEqual(hashToken(t), hashToken(t + 'x'))).toBe(false);
    expect(tokenHashesEqual(hashToken(t), Buffer.alloc(16))).toBe(false);
  });
});
