import { ConfigError } from '../../config/env';
import { loadOidcConfig } from './oidc.config';

describe('oidc config', () => {
  const on = { OIDC_ISSUER: 'https://idp.example.com', OIDC_CLIENT_ID: 'parley', OIDC_CLIENT_SECRET: 's3cret' };

  it('is off without an issuer, with working defaults', () => {
    const c = loadOidcConfig({});
    expect(c).toMatchObject({
      enabled: false,
      issuer: null,
      redirectUri: 'http://localhost:3000/api/auth/oidc/callback',
      scopes: ['openid', 'email', 'profile'],
      allowedReturnOrigins: [],
      sessionTtlSeconds: 28800,
      allowInsecureRequests: false,
    });
    // Production without OIDC needs no OIDC secret.
    expect(loadOidcConfig({ NODE_ENV: 'production' }).enabled).toBe(false);
  });

  it('is on with an issuer, deriving the redirect URI from PUBLIC_BASE_URL', () => {
    const c = loadOidcConfig({ ...on, PUBLIC_BASE_URL: 'https://chat.example.com/' });
    expect(c).toMatchObject({ enabled: true, issuer: 'https://idp.example.com', clientId: 'parley', redirectUri: 'https://chat.example.com/api/auth/oidc/callback' });
  });

  it('requires the client id and secret with an issuer', () => {
    expect(() => loadOidcConfig({ OIDC_ISSUER: 'https://idp.example.com', OIDC_CLIENT_SECRET: 'x' })).toThrow(/OIDC_CLIENT_ID is required/);
    expect(() => loadOidcConfig({ OIDC_ISSUER: 'https://idp.example.com', OIDC_CLIENT_ID: 'x' })).toThrow(/OIDC_CLIENT_SECRET is required/);
  });

  it('allows an http issuer only outside production', () => {
    expect(loadOidcConfig({ ...on, OIDC_ISSUER: 'http://127.0.0.1:4010' }).allowInsecureRequests).toBe(true);
    expect(() => loadOidcConfig({ ...on, OIDC_ISSUER: 'http://127.0.0.1:4010', NODE_ENV: 'production' })).toThrow(/must be an https URL in production/);
    expect(loadOidcConfig({ ...on, NODE_ENV: 'production' }).allowInsecureRequests).toBe(false);
  });

  it('validates scopes, return origins and the session lifetime', () => {
    expect(() => loadOidcConfig({ ...on, OIDC_SCOPES: 'email profile' })).toThrow(/must include openid/);
    expect(loadOidcConfig({ ...on, OIDC_SCOPES: 'openid,email  groups' }).scopes).toEqual(['openid', 'email', 'groups']);
    expect(() => loadOidcConfig({ ...on, OIDC_ALLOWED_RETURN_ORIGINS: 'https://ok.example.com/path' })).toThrow(ConfigError);
    expect(loadOidcConfig({ ...on, OIDC_ALLOWED_RETURN_ORIGINS: 'https://a.example.com, http://localhost:5173' }).allowedReturnOrigins).toEqual([
      'https://a.example.com',
      'http://localhost:5173',
    ]);
    expect(() => loadOidcConfig({ ...on, OIDC_SESSION_TTL: '10' })).toThrow(/oidc\.sessionTtlSeconds/);
    expect(() => loadOidcConfig({ ...on, OIDC_ISSUER: 'not a url' })).toThrow(/oidc\.issuer/);
  });
});
