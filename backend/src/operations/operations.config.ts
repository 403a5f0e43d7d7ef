import { registerAs } from '@nestjs/config';
import { IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { EnvVar, env, envInt, validateConfig } from '../config/env';

export const OPERATIONS_ENV: EnvVar[] = [
  {
    name: 'METRICS_TOKEN',
    description:
      '`GET /metrics` requires `Authorization: Bearer <METRICS_TOKEN>` (≥ 16 characters). Required in production; ' +
      'outside production, unset leaves the route open (keep it off the public proxy).',
    example: 'change-me-to-a-random-metrics-token',
    secret: true,
  },
  {
    name: 'SHUTDOWN_GRACE_SECONDS',
    description:
      'On SIGTERM, how long open chat streams may run before they are ended with a retryable `error` event; keep it below the orchestrator kill timeout.',
    example: '20',
    default: '20',
  },
];

export class OperationsConfig {
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters.' })
  metricsToken: string | null;

  @IsInt()
  @Min(0)
  @Max(3_600_000, { message: 'SHUTDOWN_GRACE_SECONDS must be at most 3600.' })
  shutdownGraceMs: number;
}

export function loadOperationsConfig(source: NodeJS.ProcessEnv = process.env): OperationsConfig {
  return validateConfig(
    'operations',
    OperationsConfig,
    {
      metricsToken: env('METRICS_TOKEN', source) ?? null,
      shutdownGraceMs: envInt('SHUTDOWN_GRACE_SECONDS', 20, source) * 1000,
    },
    OPERATIONS_ENV,
    source,
  );
}

export const operationsConfig = registerAs('operations', () => loadOperationsConfig());
