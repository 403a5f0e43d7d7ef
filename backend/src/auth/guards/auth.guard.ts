import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../../common/errors/domain-error';
import { ErrorCode } from '../../common/errors/error-codes';
import { IS_PUBLIC_KEY } from '../../common/http/public.decorator';
import { assignLogFields } from '../../logging/log-fields';
import { ContextLogger, requestLog } from '../../common/logging/request-log';
import { ForbiddenError, UnauthenticatedError } from '../auth.errors';
import { AuthMode, Principal } from '../principal';
import { AUTH_MODES_KEY } from '../auth.decorators';
import { AuthRequest } from '../credentials';
import { VerifierRegistry } from './verifier.registry';
import { httpRequestOf } from '../../common/http/http-context';

/** When several modes reject a request, the most specific reason wins. */
const ERROR_PRIORITY: Partial<Record<ErrorCode, number>> = {
  csrf_failed: 5,
  forbidden: 4,
  token_expired: 3,
  // A chat JWT whose session ended: the verifier of its kind knows better than one that refused the kind.
  chat_session_revoked: 3,
  token_invalid: 2,
  unauthenticated: 1,
};

/**
 * The global guard (APP_GUARD): deny by default. A route passes only if it is `@Public()` or
 * one of its `@Auth(...modes)` verifiers proves the request's credential; the principal is
 * stored on the request for `@CurrentPrincipal()`.
 */
@Injectable()
export class GlobalAuthGuard implements CanActivate {
  private readonly logger = new ContextLogger('Auth');
  private readonly routes = new WeakMap<object, WeakMap<object, RouteAuth>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly registry: VerifierRegistry,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Only HTTP exists today; any other transport must bring its own guard rather than pass by accident.
    if (context.getType() !== 'http') throw new ForbiddenError();
    const { isPublic, modes } = this.routeAuth(context.getHandler(), context.getClass());
    if (isPublic) return true;
    const req = httpRequestOf<AuthRequest>(context);
    if (!modes?.length) {
      this.logger.in(requestLog(req)).error(`${req.method} ${req.path} declares neither @Public() nor @Auth(); denied.`);
      throw new ForbiddenError('This route is not available.');
    }

    const failures: DomainError[] = [];
    for (const mode of modes) {
      const verifier = this.registry.get(mode);
      // The boot check makes this unreachable; fail closed anyway.
      if (!verifier) throw new Error(`No verifier registered for auth mode "${mode}".`);
      if (!verifier.hasCredential(req)) continue;
      try {
        const principal = await verifier.verify(context);
        if (principal) {
          req.principal = principal;
          assignLogFields(req, { authMode: mode, principalKind: principal.kind, workflowId: workflowIdOf(principal, req) });
          return true;
        }
      } catch (err) {
        // Another accepted mode may still succeed (e.g. chat and owner JWTs share Bearer).
        if (err instanceof DomainError && (err.status === 401 || err.status === 403)) failures.push(err);
        else throw err;
      }
    }
    if (failures.length) {
      throw failures.reduce((a, b) => ((ERROR_PRIORITY[b.code] ?? 0) > (ERROR_PRIORITY[a.code] ?? 0) ? b : a));
    }
    for (const [mode, verifier] of this.registry.all()) {
      if (!modes.includes(mode) && !verifier.ambient && verifier.hasCredential(req)) {
        throw new ForbiddenError('This route does not accept this kind of credential.');
      }
    }
    throw new UnauthenticatedError();
  }

  /** A route's `@Public()` / `@Auth()` metadata, read once per handler and controller (it never changes). */
  private routeAuth(handler: object, controller: object): RouteAuth {
    let byController = this.routes.get(handler);
    if (!byController) this.routes.set(handler, (byController = new WeakMap()));
    let route = byController.get(controller);
    if (!route) {
      const targets = [handler, controller] as Array<() => void>;
      route = {
        isPublic: this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets) === true,
        modes: this.reflector.getAllAndOverride<AuthMode[] | undefined>(AUTH_MODES_KEY, targets),
      };
      byController.set(controller, route);
    }
    return route;
  }
}

interface RouteAuth {
  isPublic: boolean;
  modes: AuthMode[] | undefined;
}

/** The workflow a request concerns, when the credential or the route names one (for the logs). */
function workflowIdOf(principal: Principal, req: AuthRequest): string | undefined {
  if ('workflowId' in principal && principal.workflowId) return principal.workflowId;
  const params = req.params as Record<string, string | undefined> | undefined;
  if (params?.workflowId) return params.workflowId;
  return req.path.startsWith('/api/workflows/') ? params?.id : undefined;
}
