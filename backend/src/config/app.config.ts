import { registerAs } from '@nestjs/config';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Max, Min, MinLength } from 'class-validator';
import { EnvVar, ConfigError, env, envInt, envList, isProduction, validateConfig } from './env';

import { DEFAULT_HEAP_GROWING_PERCENT, DEFAULT_HEAP_SEMI_SPACE_MB } from './v8-heap';

// Applied by main.ts before anything else loads (config/v8-heap.ts); re-exported for the config's users.
export { applyHeapGrowth, applyYoungGenerationCap, DEFAULT_HEAP_GROWING_PERCENT, DEFAULT_HEAP_SEMI_SPACE_MB } from './v8-heap';

export const APP_ENV: EnvVar[] = [
  { name: 'NODE_ENV', description: '`development`, `production` or `test`.', example: 'development', default: 'development' },
  { name: 'PORT', description: 'HTTP port.', example: '3000', default: '3000' },
  { name: 'HOST', description: 'Interface to bind. Defaults to 127.0.0.1, or 0.0.0.0 in production.', example: '127.0.0.1' },
  {
    name: 'PUBLIC_BASE_URL',
    description: 'External URL of Parley, used for share links and redirects.',
    example: 'http://localhost:3000',
    default: 'http://localhost:$PORT',
  },
  {
    name: 'CORS_ORIGINS',
    description: 'Comma-separated exact origins allowed to call the API with credentials.',
    example: 'http://localhost:3000',
    default: 'origin of PUBLIC_BASE_URL',
  },
  {
    name: 'TRUST_PROXY',
    description: 'Which peers may set X-Forwarded-For: `false`, a hop count (`1`), or a comma-separated list of IPs/CIDRs.',
    example: 'false',
    default: 'false',
  },
  { name: 'BODY_LIMIT', description: 'Maximum JSON body size (e.g. `1mb`).', example: '1mb', default: '1mb' },
  { name: 'LOG_LEVEL', description: 'pino level: `fatal`…`trace`, or `silent`.', example: 'info', default: 'info' },
  {
    name: 'LOG_FORMAT',
    description: '`json` (one JSON object per line) or `pretty` (one readable line per entry, for a terminal).',
    example: '',
    default: '`pretty` in development, else `json`',
  },
  {
    name: 'HEAP_GROWING_PERCENT',
    description:
      'How far V8 lets the old generation grow past its live size before the next full GC (V8 `--heap-growing-percent`, ' +
      'applied at start-up). Lower keeps peak memory down at some CPU cost; `0` leaves V8\'s own heuristics (up to 4× the live size). ' +
      'docs/performance.md, "ChatKit gateway".',
    example: '50',
    default: String(DEFAULT_HEAP_GROWING_PERCENT),
  },
  {
    name: 'HEAP_SEMI_SPACE_MB',
    description:
      'Largest size, in MiB, V8 lets each of the young generation\'s two semi-spaces grow to (like `--max-semi-space-size`, but ' +
      'applied at start-up by `main.ts`, in every start path). V8\'s own maximum is 16 (32 MiB resident for the young generation ' +
      'once grown), also the largest value; `0` leaves V8\'s own. docs/performance.md, "ChatKit gateway".',
    example: String(DEFAULT_HEAP_SEMI_SPACE_MB),
    default: String(DEFAULT_HEAP_SEMI_SPACE_MB),
  },
  {
    name: 'PARLEY_SECRET_KEY',
    description: 'Master secret (≥ 32 characters) that encrypts signing keys at rest. Required in production.',
    example: 'change-me-to-a-long-random-string-of-32-chars-or-more',
    secret: true,
  },
];

/** Used only outside production so a fresh clone starts without setup. */
const DEVELOPMENT_SECRET_KEY = 'parley-development-secret-key-not-for-production-use';

export type TrustProxy = boolean | number | string[];

export class AppConfig {
  @IsIn(['development', 'production', 'test'])
  nodeEnv: 'development' | 'production' | 'test';

  @IsInt()
  @Min(0)
  @Max(65535)
  port: number;

  @IsString()
  host: string;

  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  publicBaseUrl: string;

  @IsString({ each: true })
  corsOrigins: string[];

  @IsOptional()
  trustProxy: TrustProxy;

  @IsString()
  bodyLimit: string;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  logLevel: string;

  @IsIn(['json', 'pretty'])
  logFormat: 'json' | 'pretty';

  @IsString()
  @MinLength(32)
  secretKey: string;

  @IsInt()
  @Min(0)
  @Max(1000)
  heapGrowingPercent: number;

  @IsInt()
  @Min(0)
  @Max(16)
  heapSemiSpaceMb: number;
}

export function parseTrustProxy(value: string | undefined): TrustProxy {
  if (value === undefined || /^(false|0)$/i.test(value)) return false;
  if (/^true$/i.test(value)) {
    throw new ConfigError('TRUST_PROXY=true would trust any peer; give a hop count or a list of proxy addresses.');
  }
  if (/^\d+$/.test(value)) return Number(value);
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `PUBLIC_BASE_URL` without trailing slashes, defaulting to localhost on `PORT`; other namespaces derive from it. */
export function publicBaseUrlFrom(source: NodeJS.ProcessEnv = process.env): string {
  return (env('PUBLIC_BASE_URL', source) ?? `http://localhost:${envInt('PORT', 3000, source)}`).replace(/\/+$/, '');
}

export function loadAppConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = envInt('PORT', 3000, source);
  const publicBaseUrl = publicBaseUrlFrom(source);
  let origin = publicBaseUrl;
  try {
    origin = new URL(publicBaseUrl).origin;
  } catch {
    /* reported by validation */
  }
  return validateConfig(
    'app',
    AppConfig,
    {
      nodeEnv: env('NODE_ENV', source) ?? 'development',
      port,
      host: env('HOST', source) ?? (isProduction(source) ? '0.0.0.0' : '127.0.0.1'),
      publicBaseUrl,
      corsOrigins: envList('CORS_ORIGINS', [origin], source),
      trustProxy: parseTrustProxy(env('TRUST_PROXY', source)),
      bodyLimit: env('BODY_LIMIT', source) ?? '1mb',
      logLevel: env('LOG_LEVEL', source) ?? 'info',
      logFormat: (env('LOG_FORMAT', source) ?? ((env('NODE_ENV', source) ?? 'development') === 'development' ? 'pretty' : 'json')) as AppConfig['logFormat'],
      secretKey: env('PARLEY_SECRET_KEY', source) ?? (isProduction(source) ? '' : DEVELOPMENT_SECRET_KEY),
      heapGrowingPercent: envInt('HEAP_GROWING_PERCENT', DEFAULT_HEAP_GROWING_PERCENT, source),
      heapSemiSpaceMb: envInt('HEAP_SEMI_SPACE_MB', DEFAULT_HEAP_SEMI_SPACE_MB, source),
    },
    APP_ENV,
    source,
  );
}

export const appConfig = registerAs('app', () => loadAppConfig());
