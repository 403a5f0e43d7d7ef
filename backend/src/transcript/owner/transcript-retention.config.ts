import { registerAs } from '@nestjs/config';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { EnvVar, env, envInt, validateConfig } from '../../config/env';

export const RETENTION_ENV: EnvVar[] = [
  {
    name: 'TRANSCRIPT_RETENTION_DAYS',
    description: 'Delete threads untouched for this many days (unset: keep). A workflow can override it.',
    example: '',
  },
  {
    name: 'TRANSCRIPT_RETENTION_SWEEP_SECONDS',
    description: 'How often the retention job runs.',
    example: '3600',
    default: '3600',
  },
];

export class RetentionConfig {
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(36500)
  days: number | null;

  @IsInt()
  @Min(1)
  sweepSeconds: number;
}

export function loadRetentionConfig(source: NodeJS.ProcessEnv = process.env): RetentionConfig {
  return validateConfig(
    'retention',
    RetentionConfig,
    {
      days: env('TRANSCRIPT_RETENTION_DAYS', source) === undefined ? null : envInt('TRANSCRIPT_RETENTION_DAYS', 0, source),
      sweepSeconds: envInt('TRANSCRIPT_RETENTION_SWEEP_SECONDS', 3600, source),
    },
    RETENTION_ENV,
    source,
  );
}

export const retentionConfig = registerAs('retention', () => loadRetentionConfig());
