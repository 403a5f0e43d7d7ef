import { PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('produces argon2id hashes that verify only the right password', async () => {
    const h = await hasher.hash('correct horse battery');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verify(h, 'correct horse battery')).toBe(true);
    expect(await hasher.verify(h, 'wrong horse battery')).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hasher.hash('same password')).not.toEqual(await hasher.hash('same password'));
  });

  it('treats a malformed hash as a mismatch instead of throwing', async () => {
    expect(await hasher.verify('not-a-hash', 'whatever')).toBe(false);
  });

  it('still runs argon2 for a missing account (dummy hash) and never accepts it', async () => {
    const spy = jest.spyOn(hasher, 'verify');
    expect(await hasher.verifyAccount(null, 'any password at all')).toBe(false);
    expect(await hasher.verifyAccount(undefined, 'any password at all')).toBe(false);
    expect(spy).toHaveBeenCalledTimes(2);
    expect(spy.mock.calls[0][0]).toMatch(/^\$argon2id\$/);
    spy.mockRestore();
  });

  it('accepts the right password for an existing account', async () => {
    const h = await hasher.hash('a real password');
    expect(await hasher.verifyAccount(h, 'a real password')).toBe(true);
    expect(await hasher.verifyAccount(h, 'another password')).toBe(false);
  });
});
