import { registerAs } from '@nestjs/config';
import { IsBoolean, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import * as path from 'node:path';
import { EnvVar, env, envBool, envInt, validateConfig } from '../config/env';

export const DATABASE_ENV: EnvVar[] = [
  {
    name: 'DATABASE_URL',
    description: 'PostgreSQL connection URL. Unset: an embedded PGlite database under PARLEY_DATA_DIR.',
    example: '',
  },
  {
    name: 'PARLEY_DATA_DIR',
    description: 'Directory of the embedded database (only without DATABASE_URL); `:memory:` keeps nothing.',
    example: '.parley/data',
    default: '.parley/data',
  },
  { name: 'DATABASE_MIGRATIONS_RUN', description: 'Run pending migrations at start-up.', example: 'true', default: 'true' },
  { name: 'DATABASE_POOL_SIZE', description: 'Connection pool size (the embedded server accepts as many).', example: '10', default: '10' },
  { name: 'DATABASE_SSL', description: 'Use TLS to reach PostgreSQL (`true`/`false`).', example: 'false', default: 'false' },
];

export class DatabaseConfig {
  @IsOptional()
  @IsString()
  url?: string;

  @IsString()
  /** Absolute path, or null for an in-memory database (`PARLEY_DATA_DIR=:memory:`). */
  @IsOptional()
  @IsString()
  dataDir: string | null;

  @IsBoolean()
  migrationsRun: boolean;

  @IsInt()
  @Min(1)
  @Max(200)
  poolSize: number;

  @IsBoolean()
  ssl: boolean;
}

function resolveDataDir(value: string | undefined): string | null {
  if (value === ':memory:') return null;
  return path.resolve(value ?? '.parley/data');
}

export function loadDatabaseConfig(source: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  return validateConfig(
    'database',
    DatabaseConfig,
    {
      url: env('DATABASE_URL', source),
      dataDir: resolveDataDir(env('PARLEY_DATA_DIR', source)),
      migrationsRun: envBool('DATABASE_MIGRATIONS_RUN', true, source),
      poolSize: envInt('DATABASE_POOL_SIZE', 10, source),
      ssl: envBool('DATABASE_SSL', false, source),
    },
    DATABASE_ENV,
    source,
  );
}

export const databaseConfig = registerAs('database', () => loadDatabaseConfig());
