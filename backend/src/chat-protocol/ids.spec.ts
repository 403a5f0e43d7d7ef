import { ID_PREFIXES, randomIdGenerator } from './ids';

describe('randomIdGenerator', () => {
  it('gives <prefix>_<16 hex> ids, never the same one, across refills of its random pool', () => {
    const seen = new Set<string>();
    // 512 ids use one pool of random bytes; 2,000 cross several refills.
    for (let i = 0; i < 2000; i++) {
      const id = randomIdGenerator(i % 2 ? 'message' : 'thread');
      expect(id).toMatch(new RegExp(`^(${ID_PREFIXES.message}|${ID_PREFIXES.thread})_[0-9a-f]{16}$`));
      seen.add(id.slice(id.indexOf('_') + 1));
    }
    expect(seen.size).toBe(2000);
  });
});
