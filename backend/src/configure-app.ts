import type { INestApplication } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import * as express from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface';
import { chatkitReadsOwnBody } from './chatkit/http/chatkit-body';
import { corsOptionsFor } from './chatkit/public/chatkit-cors';
import { DomainError } from './common/errors/domain-error';
import { bodyReadFailure } from './common/http/body-errors';
import { findJsonInputProblem } from './chat-protocol/json-input';
import { requestIdMiddleware } from './common/http/request-id';
import { shareExpressPrototypes } from './common/http/shared-request-shapes';
import { createValidationPipe } from './common/http/validation.pipe';
import { appConfig } from './config/app.config';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { ParleyMetrics } from './metrics/parley-metrics';
import { setupOpenApi } from './openapi/openapi';
import { contentSecurityDirectives } from './web/content-security-policy';
import { securityHeaders } from './web/security-headers';
import { serveFrontends } from './web/static-assets';
import { webConfig } from './web/web.config';

/** `req.cookies` and `req.signedCookies` of every request that sent no cookie. */
const NO_COOKIES: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>);

/**
 * Everything an app needs beyond its modules. `main.ts` and every e2e test call this,
 * so tests exercise exactly what production serves.
 */
export function configureApp(app: INestApplication): INestApplication {
  const expressApp = app as NestExpressApplication;
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  const web = app.get<ConfigType<typeof webConfig>>(webConfig.KEY);

  app.useLogger(app.get(Logger));
  // Requests and responses built with Express's prototypes: one hidden class for all of them, not one each.
  shareExpressPrototypes(app);
  expressApp.set('trust proxy', config.trustProxy);
  expressApp.disable('x-powered-by');

  // Order matters: timing first (it sees every request, whatever fails after), then the request
  // id, so even body-parser errors carry one.
  app.use(httpMetricsMiddleware(app.get(ParleyMetrics)));
  app.use(requestIdMiddleware);
  // Helmet's full set on pages (and anything a browser may render as one); a precomputed lean set on API
  // responses, which are never documents (web/security-headers.ts, docs/security.md "Security headers").
  app.use(
    securityHeaders(
      helmet({
        // Strict, plus exactly the origin of CHATKIT_SCRIPT_URL (web/content-security-policy.ts).
        contentSecurityPolicy: { directives: contentSecurityDirectives(web.chatkitScriptUrl) },
        crossOriginEmbedderPolicy: false,
      }),
    ),
  );
  const parseJson = express.json({ limit: config.bodyLimit, type: ['application/json', 'application/*+json'] });
  // Unsigned cookies only: auth cookies are random tokens or signed JWTs, verified on use. A request without a Cookie
  // header gets one shared empty (frozen) object instead of cookie-parser's two new dictionary-mode objects, which an
  // open chat stream would keep (docs/performance.md, idle open streams).
  // The shared empty object sits on the app's request prototype (every request gets it through Express), so a request
  // without cookies gets no property of its own either (each property added to a request costs memory per request);
  // cookie-parser's assignment makes an own property where there are cookies.
  const parseCookies = cookieParser();
  const requestPrototype = (expressApp.getHttpAdapter().getInstance() as { request: object }).request;
  for (const name of ['cookies', 'signedCookies']) {
    Object.defineProperty(requestPrototype, name, { value: NO_COOKIES, writable: true, configurable: true, enumerable: true });
  }
  app.use(function cookies(req: express.Request, res: express.Response, next: express.NextFunction) {
    if (req.headers.cookie === undefined) return next();
    // cookie-parser leaves a request alone that already has `cookies` (the prototype's empty object).
    (req as { cookies?: unknown }).cookies = undefined;
    parseCookies(req, res, next);
  });
  app.use(function jsonParser(req: express.Request, res: express.Response, next: express.NextFunction) {
    // The ChatKit endpoint and uploads read their own bodies (any content type, their own limits).
    if (chatkitReadsOwnBody(req)) return next();
    parseJson(req, res, (err?: unknown) => {
      if (err) return next(bodyReadFailure(err, { unreadable: 'invalid_json' }) ?? err);
      // Text PostgreSQL cannot store (NUL, unpaired surrogates) and absurd nesting fail here, clearly.
      const problem = req.body === undefined ? null : findJsonInputProblem(req.body);
      if (problem) return next(new DomainError('validation_failed', `The request body is not acceptable: \`${problem.path}\` ${problem.message}.`, { fields: { [problem.path]: [problem.message] } }));
      next();
    });
  });

  // Nest adds express.json() and express.urlencoded() of its own unless a middleware of that name is already there
  // (ExpressAdapter.registerParserMiddleware): `jsonParser` above replaces the first; the API takes JSON bodies only,
  // so the URL-encoded one is replaced by nothing — a form-encoded body is left unread like any other non-JSON body
  // (the DTO then refuses the request: validation_failed), and no request pays for its content-type check
  // (docs/performance.md, "ChatKit gateway", experiment 15). Mounted on a path no request has, so the router only
  // tests its pattern (a layer on `/` would build a match for every request).
  app.use('/.parley-no-urlencoded-parser', function urlencodedParser(_req: express.Request, _res: express.Response, next: express.NextFunction) {
    next();
  });

  // The global allowlist everywhere; the ChatKit routes answer any preflight and let the
  // workflow's `allowedOrigins` decide real responses (chatkit/public/chatkit-cors.ts).
  const allowed = new Set(config.corsOrigins);
  app.enableCors((req: express.Request, callback: (err: Error | null, options?: CorsOptions) => void) => callback(null, corsOptionsFor(req, allowed)));

  serveFrontends(app, web);

  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  setupOpenApi(app);
  return app;
}
