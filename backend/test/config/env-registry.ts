import { APP_ENV } from '../../src/config/app.config';
import { AUTH_ENV } from '../../src/auth/auth.config';
import { OIDC_ENV } from '../../src/auth/oidc/oidc.config';
import { CHATKIT_ENV } from '../../src/chatkit/chatkit.config';
import { RUNNERS_ENV } from '../../src/runners/runners.config';
import { DATABASE_ENV } from '../../src/database/database.config';
import { FEATURES_ENV } from '../../src/config/features.config';
import { RATE_LIMIT_ENV } from '../../src/ratelimit/ratelimit.config';
import { WEB_ENV } from '../../src/web/web.config';
import { RETENTION_ENV } from '../../src/transcript/owner/transcript-retention.config';
import { OPERATIONS_ENV } from '../../src/operations/operations.config';
import { OUTBOUND_ENV } from '../../src/outbound/outbound.config';
import type { EnvVar } from '../../src/config/env';

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
