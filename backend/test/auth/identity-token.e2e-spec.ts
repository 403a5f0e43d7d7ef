import { createLocalJWKSet, jwtVerify } from 'jose';
import { IDENTITY_TOKEN_TTL_SECONDS, IdentityTokenService, identitySubjectOf } from '../../src/auth/identity/identity-token.service';
import { createTestApp, TestApp } from '../setup/test-app';

/** `X-Parley-Identity` as a tool server sees it: verified with jose against the published JWKS. */
describe('IdentityTokenService', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  async function verify(token: string, audience: string) {
    const jwks = createLocalJWKSet((await (await fetch(`${t.baseUrl}/.well-known/jwks.json`)).json()) as Parameters<typeof createLocalJWKSet>[0]);
    return jwtVerify(token, jwks, { issuer: 'http://localhost:3000', audience, algorithms: ['ES256'] });
  }

  it('signs an ES256 token for the tool origin that verifies against /.well-known/jwks.json', async () => {
    const identity = t.app.get(IdentityTokenService);
    const token = await identity.mint({
      workflowId: '7b0e7a56-0000-4000-8000-000000000001',
      threadId: 'thr_1234',
      subject: identitySubjectOf({ kind: 'oauth', sessionId: 's', issuer: 'https://idp.example', subject: 'u-42', email: 'ada@example.com', emailVerified: true, name: 'Ada', expiresAt: new Date() }),
      audience: 'https://tools.example.com/orders/{id}?x=1',
    });
    const { payload, protectedHeader } = await verify(token, 'https://tools.example.com');
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(payload).toMatchObject({
      iss: 'http://localhost:3000',
      aud: 'https://tools.example.com',
      wf: '7b0e7a56-0000-4000-8000-000000000001',
      thr: 'thr_1234',
      sub: 'https://idp.example|u-42',
      kind: 'oauth',
      email: 'ada@example.com',
      name: 'Ada',
    });
    expect(typeof payload.jti).toBe('string');
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(IDENTITY_TOKEN_TTL_SECONDS);
    // Another origin's verifier refuses it.
    await expect(verify(token, 'https://other.example.com')).rejects.toThrow();
  });

  it('carries no email for an anonymous visitor and none for an unverified OIDC email', async () => {
    const identity = t.app.get(IdentityTokenService);
    const visitor = await identity.mint({ workflowId: 'w', threadId: 't', subject: identitySubjectOf({ kind: 'visitor', visitorId: 'v-1', workflowId: 'w', publishLinkId: 'l' }), audience: 'http://127.0.0.1:9' });
    const { payload } = await verify(visitor, 'http://127.0.0.1:9');
    expect(payload).toMatchObject({ sub: 'v-1', kind: 'visitor' });
    expect(payload.email).toBeUndefined();
    const unverified = identitySubjectOf({ kind: 'oauth', sessionId: 's', issuer: 'i', subject: 's', email: 'x@example.com', emailVerified: false, name: null, expiresAt: new Date() });
    expect(unverified.email).toBeNull();
  });
});
