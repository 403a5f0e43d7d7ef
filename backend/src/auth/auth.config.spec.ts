import { generateKeyPairSync } from 'node:crypto';
import { loadAuthConfig } from './auth.config';
import { jwkThumbprint } from './keys/jwk';

const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (key: ReturnType<typeof ec>['privateKey']) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('auth config', () => {
  it('has safe defaults: 15-minute access tokens, 30-day refresh tokens, issuer = public URL, keys in the database', () => {
    const c = loadAuthConfig({ PUBLIC_BASE_URL: 'https://chat.example.com/' });
    expect(c).toMatchObject({
      issuer: 'https://chat.example.com',
      accessTokenTtlSeconds: 900,
      refreshTokenTtlSeconds: 2592000,
      maxTokenTtlSeconds: 86400,
      cookieSecure: false,
      rateLimit: { windowSeconds: 900, perIp: 100, perEmail: 10 },
      envKey: null,
      previousPublicKeys: [],
    });
  });

  it('makes cookies Secure in production and refuses to turn that off', () => {
    expect(loadAuthConfig({ NODE_ENV: 'production' }).cookieSecure).toBe(true);
    expect(() => loadAuthConfig({ NODE_ENV: 'production', AUTH_COOKIE_SECURE: 'false' })).toThrow(/refused in production/);
    expect(loadAuthConfig({ AUTH_COOKIE_SECURE: 'true' }).cookieSecure).toBe(true);
  });

  it('bounds lifetimes', () => {
    expect(() => loadAuthConfig({ AUTH_ACCESS_TOKEN_TTL: '10' })).toThrow(/auth\.accessTokenTtlSeconds/);
    expect(() => loadAuthConfig({ AUTH_ACCESS_TOKEN_TTL: '3600', JWT_MAX_TTL: '600' })).toThrow(/JWT_MAX_TTL must be at least/);
    expect(() => loadAuthConfig({ AUTH_RATE_LIMIT_PER_EMAIL: '0' })).toThrow(/auth\.rateLimit/);
  });

  it('reads an env-provided P-256 key (PEM with escaped newlines), defaulting its kid to the JWK thumbprint', () => {
    const { privateKey, publicKey } = ec();
    const c = loadAuthConfig({ JWT_PRIVATE_KEY: pem(privateKey).replace(/\n/g, '\\n') });
    expect(c.envKey!.kid).toBe(jwkThumbprint(publicKey.export({ format: 'jwk' })));
    expect(loadAuthConfig({ JWT_PRIVATE_KEY: pem(privateKey), JWT_KEY_ID: 'k1' }).envKey!.kid).toBe('k1');
  });

  it('refuses unusable key material with a message naming the variable', () => {
    expect(() => loadAuthConfig({ JWT_PRIVATE_KEY: 'garbage' })).toThrow(/JWT_PRIVATE_KEY is not a readable PEM/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => loadAuthConfig({ JWT_PRIVATE_KEY: rsa })).toThrow(/must be an EC P-256 key/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    expect(() => loadAuthConfig({ JWT_PRIVATE_KEY: pem(p384) })).toThrow(/must be an EC P-256 key/);
    expect(() => loadAuthConfig({ JWT_KEY_ID: 'k1' })).toThrow(/JWT_KEY_ID is set but JWT_PRIVATE_KEY is not/);
  });

  it('reads previous public keys as a JWK set and refuses private or nameless ones', () => {
    const current = pem(ec().privateKey);
    const old = ec();
    const jwk = { ...old.publicKey.export({ format: 'jwk' }), kid: 'old' };
    const c = loadAuthConfig({ JWT_PRIVATE_KEY: current, JWT_PREVIOUS_PUBLIC_KEYS: JSON.stringify({ keys: [jwk] }) });
    expect(c.previousPublicKeys.map((k) => k.kid)).toEqual(['old']);
    const withPrivate = { ...old.privateKey.export({ format: 'jwk' }), kid: 'old' };
    expect(() => loadAuthConfig({ JWT_PRIVATE_KEY: current, JWT_PREVIOUS_PUBLIC_KEYS: JSON.stringify({ keys: [withPrivate] }) })).toThrow(
      /contains private material/,
    );
    const { kid: _kid, ...nameless } = jwk;
    expect(() => loadAuthConfig({ JWT_PRIVATE_KEY: current, JWT_PREVIOUS_PUBLIC_KEYS: JSON.stringify({ keys: [nameless] }) })).toThrow(/has no "kid"/);
    expect(() => loadAuthConfig({ JWT_PRIVATE_KEY: current, JWT_PREVIOUS_PUBLIC_KEYS: '[' })).toThrow(/JSON JWK set/);
    expect(() => loadAuthConfig({ JWT_PREVIOUS_PUBLIC_KEYS: JSON.stringify({ keys: [jwk] }) })).toThrow(/only used with JWT_PRIVATE_KEY/);
  });
});
