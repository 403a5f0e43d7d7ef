import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { JsonWebTokenError, JwtService, TokenExpiredError } from '@nestjs/jwt';
import { KeyObject, randomUUID } from 'node:crypto';
import { authConfig } from './auth.config';
import { ExpiredTokenError, InvalidTokenError } from './auth.errors';
import { SigningKeysService } from './keys/signing-keys.service';

/** Owner access tokens. Later audiences: `parley-chat` (chat sessions), `parley-visitor` (visitor tokens). */
export const ACCESS_TOKEN_AUDIENCE = 'parley-api';

/** The only algorithm Parley signs or accepts. */
export const JWT_ALGORITHM = 'ES256';

/** Allowed clock difference between the signer and a verifier, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 5;

const REGISTERED_CLAIMS = ['iss', 'aud', 'exp', 'iat', 'nbf', 'jti'] as const;

export interface SignOptions {
  audience: string;
  ttlSeconds: number;
  /** Defaults to a random UUID. */
  jwtId?: string;
  /**
   * Allows a lifetime beyond `JWT_MAX_TTL` (up to a year). Only for tokens whose loss is harmless:
   * once their signing key has been rotated out and pruned they fail verification like a forged
   * token, so the holder must be able to start over (visitor tokens: a new anonymous identity).
   */
  mayOutliveKey?: boolean;
}

/** Ceiling of `mayOutliveKey` lifetimes. */
const LONG_LIVED_MAX_TTL_SECONDS = 366 * 86400;

export interface SignedToken {
  token: string;
  jti: string;
  issuedAt: Date;
  expiresAt: Date;
}

/** Claims every verified token carries, plus the caller's own. */
export interface VerifiedClaims {
  iss: string;
  aud: string | string[];
  iat: number;
  exp: number;
  jti?: string;
  sub?: string;
  [claim: string]: unknown;
}

/**
 * Signs and verifies Parley's JWTs with the current key set: ES256 only, `kid` in the header,
 * `iss` = PUBLIC_BASE_URL, an explicit audience per token type and a bounded lifetime.
 * Every module that mints tokens (access, chat, visitor) goes through here.
 */
@Injectable()
export class SigningService {
  /** No module-wide secret: the key changes with rotation, so it is passed on every call. */
  private readonly jwt = new JwtService();

  constructor(
    private readonly keys: SigningKeysService,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  get issuer(): string {
    return this.config.issuer;
  }

  /** Signs `claims` (which must not set registered claims) for `audience`, valid for `ttlSeconds`. */
  async sign(claims: Record<string, unknown>, options: SignOptions): Promise<SignedToken> {
    const reserved = REGISTERED_CLAIMS.filter((c) => c in claims);
    if (reserved.length) throw new Error(`sign(): ${reserved.join(', ')} are set from the options, not the claims.`);
    const maxTtl = options.mayOutliveKey ? LONG_LIVED_MAX_TTL_SECONDS : this.config.maxTokenTtlSeconds;
    if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds <= 0 || options.ttlSeconds > maxTtl) {
      // Rotation keeps old keys for JWT_MAX_TTL: a longer-lived token would outlive its key.
      throw new Error(`sign(): ttlSeconds must be an integer in 1..${maxTtl}${options.mayOutliveKey ? '' : ' (JWT_MAX_TTL)'}.`);
    }
    const { kid, privateKey } = await this.keys.signingKey();
    const iat = Math.floor(Date.now() / 1000);
    const jti = options.jwtId ?? randomUUID();
    const token = await this.jwt.signAsync(
      { ...claims, iat, exp: iat + options.ttlSeconds },
      {
        privateKey,
        algorithm: JWT_ALGORITHM,
        keyid: kid,
        header: { alg: JWT_ALGORITHM, kid, typ: 'JWT' },
        issuer: this.config.issuer,
        audience: options.audience,
        jwtid: jti,
      },
    );
    return { token, jti, issuedAt: new Date(iat * 1000), expiresAt: new Date((iat + options.ttlSeconds) * 1000) };
  }

  /**
   * Verifies signature, `alg`, `kid`, `iss`, `aud` and `exp` (which must be present).
   * Throws `token_expired` or `token_invalid`; never says more about why a token was refused.
   */
  async verify<T extends object = Record<string, unknown>>(token: string, options: { audience: string }): Promise<VerifiedClaims & T> {
    const key = await this.verificationKeyFor(token);
    let claims: VerifiedClaims;
    try {
      claims = await this.jwt.verifyAsync<VerifiedClaims>(token, {
        // jsonwebtoken takes a KeyObject; @nestjs/jwt's option type only lists string | Buffer.
        publicKey: key as unknown as string,
        algorithms: [JWT_ALGORITHM],
        issuer: this.config.issuer,
        audience: options.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
    } catch (err) {
      throw toTokenError(err);
    }
    assertLifetimeClaims(claims);
    return claims as VerifiedClaims & T;
  }

  /**
   * The public key that must have signed `token`, looked up by its header `kid`.
   * The header is checked before any lookup: `alg` must be ES256, so `none` and HS256 tokens
   * (including HMACs keyed with our public key) are refused whatever verification follows.
   */
  async verificationKeyFor(token: string): Promise<KeyObject> {
    const header = decodeHeader(token);
    if (!header || header.alg !== JWT_ALGORITHM || typeof header.kid !== 'string' || !header.kid) {
      throw new InvalidTokenError();
    }
    const key = await this.keys.verificationKey(header.kid);
    if (!key) throw new InvalidTokenError();
    // The parsed key, not its PEM: jsonwebtoken would parse a PEM again on every verification
    // (about 0.5 ms of CPU per request, measured by ops/bench/auth).
    return key.publicKey;
  }
}

/** Decodes a compact JWS header without trusting it; null when it is not one. */
function decodeHeader(token: string): { alg?: unknown; kid?: unknown } | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0].length > 1024) return null;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    return header && typeof header === 'object' ? (header as { alg?: unknown; kid?: unknown }) : null;
  } catch {
    return null;
  }
}

/** jsonwebtoken does not require `exp`: a token without one would never expire, so refuse it. */
export function assertLifetimeClaims(claims: { exp?: unknown; iat?: unknown }): void {
  if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number') throw new InvalidTokenError();
}

/** Maps jsonwebtoken failures to our codes; anything else is a real error and propagates. */
export function toTokenError(err: unknown): Error {
  if (err instanceof TokenExpiredError) return new ExpiredTokenError();
  if (err instanceof JsonWebTokenError || isMalformedSignature(err)) return new InvalidTokenError();
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * jsonwebtoken lets the signature decoder's TypeError through for an ECDSA signature of the wrong
 * length (`"ES256" signatures must be "64" bytes, saw "65"`): that is a malformed token, not a fault.
 */
export function isMalformedSignature(err: unknown): boolean {
  return err instanceof TypeError && /signature/i.test(err.message);
}
