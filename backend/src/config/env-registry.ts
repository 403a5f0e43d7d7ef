import { APP_ENV } from './app.config';
import { AUTH_ENV } from '../auth/auth.config';
import { OIDC_ENV } from '../auth/oidc/oidc.config';
import { CHATKIT_ENV } from '../chatkit/chatkit.config';
import { RUNNERS_ENV } from '../chatkit/runners/runners.config';
import { DATABASE_ENV } from '../database/database.config';
import { FEATURES_ENV } from './features.config';
import { RATE_LIMIT_ENV } from '../ratelimit/ratelimit.config';
import { WEB_ENV } from '../web/web.config';
import { RETENTION_ENV } from '../transcript/owner/transcript-retention.config';
import { OPERATIONS_ENV } from '../operations/operations.config';
import { OUTBOUND_ENV } from '../outbound/outbound.config';
import type { EnvVar } from './env';

/** Every documented environment variable, grouped by module; `.env.example` is checked against it. */
export const ENV_REGISTRY: Record<string, EnvVar[]> = {
  app: APP_ENV,
  database: DATABASE_ENV,
  auth: AUTH_ENV,
  oidc: OIDC_ENV,
  features: FEATURES_ENV,
  web: WEB_ENV,
  retention: RETENTION_ENV,
  chatkit: CHATKIT_ENV,
  runners: RUNNERS_ENV,
  rateLimit: RATE_LIMIT_ENV,
  operations: OPERATIONS_ENV,
  outbound: OUTBOUND_ENV,
};
