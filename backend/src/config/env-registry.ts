import { APP_ENV } from './app.config';
import { DATABASE_ENV } from '../database/database.config';
import type { EnvVar } from './env';

/** Every documented environment variable, grouped by module; `.env.example` is checked against it. */
export const ENV_REGISTRY: Record<string, EnvVar[]> = {
  app: APP_ENV,
  database: DATABASE_ENV,
};
