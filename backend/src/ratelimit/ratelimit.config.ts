import { registerAs } from '@nestjs/config';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ConfigError, EnvVar, env, envInt, validateConfig } from '../config/env';

export const RATE_LIMIT_ENV: EnvVar[] = [
  {
    name: 'RATE_LIMIT_WINDOW',
    description: 'Window of the per-IP, per-principal and per-share-link rate limits, in seconds.',
    example: '60',
    default: '60',
  },
  {
    name: 'RATE_LIMIT_PER_IP',
    description: 'Requests per client IP (as resolved through TRUST_PROXY) per window, on every API route.',
    example: '120',
    default: '120',
  },
  {
    name: 'RATE_LIMIT_PER_PRINCIPAL',
    description:
      'Requests per authenticated principal (owner, canvas chat user, share-link visitor, OIDC subject) per window.',
    example: '60',
    default: '60',
  },
  {
    name: 'RATE_LIMIT_ATTACHMENTS_PER_PRINCIPAL',
    description: 'ChatKit `attachments.create` requests per principal per window, counted on top of the request limits.',
    example: '20',
    default: '20',
  },
  {
    name: 'RATE_LIMIT_PER_LINK',
    description: 'Requests per share link per window, all visitors together (a ceiling against floods).',
    example: '600',
    default: '600',
  },
  {
    name: 'REDIS_URL',
    description:
      'Redis for rate-limit counters shared by every instance (`redis://[:password@]host:6379[/db]`, `rediss://` for TLS). ' +
      'Empty: counters are kept in memory, per instance.',
    example: '',
    default: 'unset (in memory)',
  },
  {
    name: 'RATE_LIMIT_REDIS_FAILURE',
    description:
      'What happens while Redis is unreachable: `mixed` lets owner and canvas-chat traffic through and refuses public ' +
      '(share-link, anonymous) traffic with 503; `open` lets everything through; `closed` refuses everything.',
    example: 'mixed',
    default: 'mixed',
  },
  {
    name: 'RATE_LIMIT_REDIS_TIMEOUT_MS',
    description: 'Connect and command timeout for Redis, in ms; a slower answer counts as Redis being unreachable.',
    example: '500',
    default: '500',
  },
];

/** What the limiter does while its shared store cannot be reached. */
export type RedisFailureMode = 'mixed' | 'open' | 'closed';
export const REDIS_FAILURE_MODES: readonly RedisFailureMode[] = ['mixed', 'open', 'closed'];

export class RateLimitConfig {
  @IsInt()
  @Min(1)
  @Max(86400)
  windowSeconds: number;

  @IsInt()
  @Min(1)
  perIp: number;

  @IsInt()
  @Min(1)
  perPrincipal: number;

  @IsInt()
  @Min(1)
  perLink: number;

  @IsInt()
  @Min(1)
  attachmentsPerPrincipal: number;

  @IsOptional()
  @IsString()
  @Matches(/^rediss?:\/\/[^\s]+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  redisUrl: string | null;

  @IsIn(REDIS_FAILURE_MODES)
  redisFailure: RedisFailureMode;

  @IsInt()
  @Min(10)
  @Max(60000)
  redisTimeoutMs: number;
}

export function loadRateLimitConfig(source: NodeJS.ProcessEnv = process.env): RateLimitConfig {
  const failure = env('RATE_LIMIT_REDIS_FAILURE', source)?.toLowerCase() ?? 'mixed';
  if (!(REDIS_FAILURE_MODES as readonly string[]).includes(failure)) {
    throw new ConfigError(`RATE_LIMIT_REDIS_FAILURE must be one of ${REDIS_FAILURE_MODES.join(', ')}, got "${failure}".`);
  }
  return validateConfig(
    'rateLimit',
    RateLimitConfig,
    {
      windowSeconds: envInt('RATE_LIMIT_WINDOW', 60, source),
      perIp: envInt('RATE_LIMIT_PER_IP', 120, source),
      perPrincipal: envInt('RATE_LIMIT_PER_PRINCIPAL', 60, source),
      perLink: envInt('RATE_LIMIT_PER_LINK', 600, source),
      attachmentsPerPrincipal: envInt('RATE_LIMIT_ATTACHMENTS_PER_PRINCIPAL', 20, source),
      redisUrl: env('REDIS_URL', source) ?? null,
      redisFailure: failure,
      redisTimeoutMs: envInt('RATE_LIMIT_REDIS_TIMEOUT_MS', 500, source),
    },
    RATE_LIMIT_ENV,
    source,
  );
}

export const rateLimitConfig = registerAs('rateLimit', () => loadRateLimitConfig());
