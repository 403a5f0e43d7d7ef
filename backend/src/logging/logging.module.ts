import { Inject, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { Logger, Params, PARAMS_PROVIDER_TOKEN, PinoLogger } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import { HttpLogger, Options, pinoHttp } from 'pino-http';
import { appConfig } from '../config/app.config';
import { LOG_DESTINATION, LogDestinationModule } from './log-destination';
import { redactHeaders, scrubSecrets } from './log-scrub';
import { NOISY_CONTEXTS, prettyLogStream } from './pretty-logs';

/** pino-http's middleware; its `logger` is the app's root logger. */
const HTTP_LOGGER = Symbol('HTTP_LOGGER');

/**
 * Logs as JSON lines through pino (pretty in development: pretty-logs.ts), with secrets removed (log-scrub.ts).
 *
 * - Requests: pino-http gives each request its logger (`req.log`, bound to the request and its id) and writes the
 *   request-completed line with it. Code that logs while handling a request is handed that logger explicitly
 *   (request-log.ts `ContextLogger.in(log)`, `ChatContext.log`); fields assigned to a request (log-fields.ts) are
 *   bound on it. No AsyncLocalStorage: nestjs-pino's LoggerModule would run every request in
 *   `AsyncLocalStorage.run`, which on Node 20 turns V8's promise hooks on for every promise of the process
 *   (docs/performance.md, "no-als").
 * - Everything else (boot, Nest's own lines, timers, jobs): nestjs-pino's `Logger`, the app logger
 *   (`app.useLogger`, configure-app.ts), writing through the same root logger.
 */
@Module({
  imports: [ConfigModule.forFeature(appConfig), LogDestinationModule],
  providers: [
    {
      provide: HTTP_LOGGER,
      inject: [appConfig.KEY, LOG_DESTINATION],
      useFactory: (app: ConfigType<typeof appConfig>, destination: NodeJS.WritableStream | null): HttpLogger =>
        pinoHttp(httpLoggerOptions(app), app.logFormat === 'pretty' ? prettyLogStream(destination ?? process.stdout) : (destination ?? process.stdout)),
    },
    // nestjs-pino's Logger and PinoLogger write through the root logger (a "passed logger"); with no request store
    // to find (nothing calls its storage), that is every line they write.
    { provide: PARAMS_PROVIDER_TOKEN, inject: [HTTP_LOGGER], useFactory: (http: HttpLogger): Params => ({ pinoHttp: { logger: http.logger } }) },
    PinoLogger,
    Logger,
  ],
  exports: [Logger, PinoLogger],
})
export class LoggingModule implements NestModule {
  constructor(@Inject(HTTP_LOGGER) private readonly http: HttpLogger) {}

  configure(consumer: MiddlewareConsumer): void {
    // Where nestjs-pino's LoggerModule mounted it: every route, after the app-level middleware (configure-app.ts).
    consumer.apply(this.http).forRoutes({ path: '*', method: RequestMethod.ALL });
  }
}

function httpLoggerOptions(app: ConfigType<typeof appConfig>): Options {
  return {
    level: app.logLevel,
    // Secrets are removed from every log call's object by the logMethod hook (log-scrub.ts) and
    // from headers by the req/res serializers: no pino `redact` paths (see log-scrub.ts).
    // On the root logger rather than pino-http's `customProps`, which costs a child logger per request.
    base: { pid: process.pid, hostname: hostname(), service: 'parley' },
    genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? 'unknown',
    hooks: {
      // Nest's module and route chatter goes to debug (pretty-logs.ts NOISY_CONTEXTS).
      logMethod(this: { debug: (...a: unknown[]) => void }, args: unknown[], method: (...a: unknown[]) => void, level: number) {
        if (typeof args[0] === 'object' && args[0] !== null) args[0] = scrubSecrets(args[0]);
        const first = args[0] as { context?: unknown } | undefined;
        if (level === 30 && first && typeof first === 'object' && NOISY_CONTEXTS.has(String(first.context))) {
          this.debug(...args);
          return;
        }
        method.apply(this, args);
      },
    },
    autoLogging: { ignore: (req: IncomingMessage) => req.url === '/healthz' || req.url === '/readyz' },
    serializers: {
      req: (req: { id: string; method: string; url: string; headers: Record<string, unknown> }) => ({
        id: req.id,
        method: req.method,
        url: req.url?.split('?')[0],
        headers: redactHeaders(req.headers),
      }),
      res: (res: { statusCode: number; headers?: Record<string, unknown> }) => ({
        statusCode: res.statusCode,
        headers: redactHeaders(res.headers),
      }),
    },
  };
}
