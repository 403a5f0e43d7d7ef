import { SetMetadata } from '@nestjs/common';

export const LOGIN_ATTEMPTS = 'parley:login-attempts';

/**
 * Marks a credential endpoint (login, register, OIDC sign-in): besides the global limits, its
 * attempts are counted per client IP and per email address (`AuthRateLimitGuard`, ratelimit/).
 */
export const LoginAttempts = (): MethodDecorator => SetMetadata(LOGIN_ATTEMPTS, true);
