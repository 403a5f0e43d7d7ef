import { createHash, JsonWebKey, KeyObject } from 'node:crypto';

/** A public signing key as published in the JWKS. */
export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

/** RFC 7638 thumbprint of an EC public JWK: SHA-256 over the required members in lexicographic order. */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

/** The JWKS entry of a P-256 public (or private: only public members are kept) key. */
export function publicJwkOf(key: KeyObject, kid: string): PublicJwk {
  const jwk = key.export({ format: 'jwk' });
  return { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, kid, alg: 'ES256', use: 'sig' };
}
