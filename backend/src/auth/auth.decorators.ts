import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import { ApiErrors } from '../common/errors/api-errors.decorator';
import { ErrorCode } from '../common/errors/error-codes';
import { ForbiddenError, UnauthenticatedError } from './auth.errors';
import { AuthRequest } from './credentials';
import { AUTH_MODES, AuthMode, PrincipalKind } from './principal';
import { httpRequestOf } from '../common/http/http-context';

/**
 * The route-level auth decorators. `@Public()` lives in common/http/public.decorator.ts so that
 * modules such as health can use it without depending on auth.
 */

export const AUTH_MODES_KEY = 'parley:auth-modes';

/**
 * Declares which credentials a route (or controller) accepts; the global guard denies anything
 * else. Also writes the OpenAPI security requirement (one alternative per mode) and the
 * 401/403 error responses, so the document cannot drift from what the guard enforces.
 */
export function Auth(...modes: [AuthMode, ...AuthMode[]]): MethodDecorator & ClassDecorator {
  const unique = [...new Set(modes)];
  const requirements = new Map(unique.map((m) => [AUTH_MODES[m].security.join('+'), AUTH_MODES[m].security]));
  const codes: ErrorCode[] = ['unauthenticated', 'token_expired', 'token_invalid', 'forbidden'];
  if (unique.some((m) => AUTH_MODES[m].cookie)) codes.push('csrf_failed');
  return applyDecorators(
    SetMetadata(AUTH_MODES_KEY, unique),
    ...[...requirements.values()].map((schemes) => ApiSecurity(Object.fromEntries(schemes.map((s) => [s, []])))),
    ApiErrors(...codes),
  );
}

/**
 * The principal the global guard resolved for this request. With a kind
 * (`@CurrentPrincipal('user')`) it also asserts the kind, answering 403 otherwise, so a
 * handler typed for one kind can never receive another.
 */
export const CurrentPrincipal = createParamDecorator((kind: PrincipalKind | undefined, ctx: ExecutionContext) => {
  const principal = httpRequestOf<AuthRequest>(ctx).principal;
  if (!principal) throw new UnauthenticatedError();
  if (kind && principal.kind !== kind) throw new ForbiddenError();
  return principal;
});
