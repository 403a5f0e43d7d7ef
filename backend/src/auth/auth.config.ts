import { registerAs } from '@nestjs/config';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsUrl, Max, Min, ValidateNested } from 'class-validator';
import { createPrivateKey, createPublicKey, JsonWebKey, KeyObject } from 'node:crypto';
import { publicBaseUrlFrom } from '../config/app.config';
import { ConfigError, EnvVar, env, envBool, envInt, isProduction, validateConfig } from '../config/env';
import { jwkThumbprint } from './keys/jwk';

export const AUTH_ENV: EnvVar[] = [
  {
    name: 'AUTH_ACCESS_TOKEN_TTL',
    description: 'Lifetime of owner access JWTs, in seconds.',
    example: '900',
    default: '900 (15 minutes)',
  },
  {
    name: 'AUTH_REFRESH_TOKEN_TTL',
    description: 'Lifetime of each refresh token, in seconds (every refresh issues a new one).',
    example: '2592000',
    default: '2592000 (30 days)',
  },
  {
    name: 'AUTH_COOKIE_SECURE',
    description: 'Mark auth cookies `Secure`. Always on in production (setting `false` there is refused).',
    example: 'false',
    default: 'true in production, false otherwise',
  },
  {
    name: 'AUTH_RATE_LIMIT_WINDOW',
    description: 'Window of the login/register rate limits, in seconds.',
    example: '900',
    default: '900',
  },
  {
    name: 'AUTH_RATE_LIMIT_PER_IP',
    description: 'Login (and, separately, register) attempts allowed per client IP per window.',
    example: '100',
    default: '100',
  },
  {
    name: 'AUTH_RATE_LIMIT_PER_EMAIL',
    description: 'Login (and, separately, register) attempts allowed per email address per window.',
    example: '10',
    default: '10',
  },
  {
    name: 'JWT_MAX_TTL',
    description:
      'Longest lifetime, in seconds, of any JWT Parley signs; a rotated-out key stays published this long (plus 60 s of clock skew).',
    example: '86400',
    default: '86400 (1 day)',
  },
  {
    name: 'JWT_PRIVATE_KEY',
    description:
      'Optional ES256 signing key given by the operator: a PKCS#8 PEM of a P-256 private key (`\\n` escapes allowed). ' +
      'Unset: keys are generated and stored encrypted in the database.',
    example: '',
  },
  {
    name: 'JWT_KEY_ID',
    description: 'The `kid` of JWT_PRIVATE_KEY. Default: its RFC 7638 JWK thumbprint.',
    example: '',
  },
  {
    name: 'JWT_PREVIOUS_PUBLIC_KEYS',
    description:
      'With JWT_PRIVATE_KEY: a JSON JWK set (`{"keys":[…]}`) of earlier public keys still accepted and published, for rotation without downtime.',
    example: '',
  },
];

/** A key given by env instead of the database; parsed at load time so a bad key fails the boot. */
export interface EnvSigningKey {
  kid: string;
  privateKey: KeyObject;
}

/** A public key still accepted and published (env mode rotation). */
export interface EnvPublicKey {
  kid: string;
  publicKey: KeyObject;
}

export class RateLimitConfig {
  @IsInt()
  @Min(1)
  windowSeconds: number;

  @IsInt()
  @Min(1)
  perIp: number;

  @IsInt()
  @Min(1)
  perEmail: number;
}

export class AuthConfig {
  /** `iss` of every JWT Parley signs: the public base URL. */
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  issuer: string;

  @IsInt()
  @Min(60)
  @Max(3600)
  accessTokenTtlSeconds: number;

  @IsInt()
  @Min(300)
  @Max(365 * 86400)
  refreshTokenTtlSeconds: number;

  @IsInt()
  @Min(300)
  @Max(365 * 86400)
  maxTokenTtlSeconds: number;

  @IsBoolean()
  cookieSecure: boolean;

  @ValidateNested()
  @Type(() => RateLimitConfig)
  rateLimit: RateLimitConfig;

  /** Attached after validation (key objects are not plain data). */
  envKey: EnvSigningKey | null;

  previousPublicKeys: EnvPublicKey[];
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/** Parses JWT_PRIVATE_KEY; returns null when unset. Throws a ConfigError naming the variable otherwise. */
export function parseEnvSigningKey(source: NodeJS.ProcessEnv): EnvSigningKey | null {
  const pem = env('JWT_PRIVATE_KEY', source);
  const kid = env('JWT_KEY_ID', source);
  if (!pem) {
    if (kid) throw new ConfigError('JWT_KEY_ID is set but JWT_PRIVATE_KEY is not.');
    return null;
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem.replace(/\\n/g, '\n'), format: 'pem' });
  } catch {
    throw new ConfigError('JWT_PRIVATE_KEY is not a readable PEM private key.');
  }
  if (!isP256(privateKey)) throw new ConfigError('JWT_PRIVATE_KEY must be an EC P-256 key (ES256).');
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return { kid: kid ?? jwkThumbprint(jwk), privateKey };
}

/** Parses JWT_PREVIOUS_PUBLIC_KEYS (a JWK set of P-256 public keys with `kid`). */
export function parsePreviousPublicKeys(source: NodeJS.ProcessEnv): EnvPublicKey[] {
  const raw = env('JWT_PREVIOUS_PUBLIC_KEYS', source);
  if (!raw) return [];
  let keys: unknown;
  try {
    keys = (JSON.parse(raw) as { keys?: unknown }).keys;
  } catch {
    throw new ConfigError('JWT_PREVIOUS_PUBLIC_KEYS must be a JSON JWK set: {"keys":[…]}.');
  }
  if (!Array.isArray(keys)) throw new ConfigError('JWT_PREVIOUS_PUBLIC_KEYS must be a JSON JWK set: {"keys":[…]}.');
  return keys.map((jwk: JsonWebKey & { kid?: unknown; d?: unknown }, i) => {
    if (typeof jwk.kid !== 'string' || !jwk.kid) throw new ConfigError(`JWT_PREVIOUS_PUBLIC_KEYS key ${i} has no "kid".`);
    if (jwk.d !== undefined) throw new ConfigError(`JWT_PREVIOUS_PUBLIC_KEYS key ${jwk.kid} contains private material.`);
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      throw new ConfigError(`JWT_PREVIOUS_PUBLIC_KEYS key ${jwk.kid} is not a valid public JWK.`);
    }
    if (!isP256(publicKey)) throw new ConfigError(`JWT_PREVIOUS_PUBLIC_KEYS key ${jwk.kid} must be EC P-256.`);
    return { kid: jwk.kid, publicKey };
  });
}

export function loadAuthConfig(source: NodeJS.ProcessEnv = process.env): AuthConfig {
  const cookieSecure = envBool('AUTH_COOKIE_SECURE', isProduction(source), source);
  if (isProduction(source) && !cookieSecure) {
    throw new ConfigError('AUTH_COOKIE_SECURE=false is refused in production: auth cookies must be Secure.');
  }
  const envKey = parseEnvSigningKey(source);
  const previousPublicKeys = parsePreviousPublicKeys(source);
  if (!envKey && previousPublicKeys.length) {
    throw new ConfigError('JWT_PREVIOUS_PUBLIC_KEYS is only used with JWT_PRIVATE_KEY.');
  }
  const config = validateConfig(
    'auth',
    AuthConfig,
    {
      issuer: publicBaseUrlFrom(source),
      accessTokenTtlSeconds: envInt('AUTH_ACCESS_TOKEN_TTL', 900, source),
      refreshTokenTtlSeconds: envInt('AUTH_REFRESH_TOKEN_TTL', 30 * 86400, source),
      maxTokenTtlSeconds: envInt('JWT_MAX_TTL', 86400, source),
      cookieSecure,
      rateLimit: {
        windowSeconds: envInt('AUTH_RATE_LIMIT_WINDOW', 900, source),
        perIp: envInt('AUTH_RATE_LIMIT_PER_IP', 100, source),
        perEmail: envInt('AUTH_RATE_LIMIT_PER_EMAIL', 10, source),
      },
    },
    AUTH_ENV,
    source,
  );
  if (config.maxTokenTtlSeconds < config.accessTokenTtlSeconds) {
    throw new ConfigError('JWT_MAX_TTL must be at least AUTH_ACCESS_TOKEN_TTL.');
  }
  // Key objects are attached after validation: class-transformer would turn them into plain objects.
  config.envKey = envKey;
  config.previousPublicKeys = previousPublicKeys;
  return config;
}

export const authConfig = registerAs('auth', () => loadAuthConfig());
