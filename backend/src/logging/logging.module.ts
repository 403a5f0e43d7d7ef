import { Inject, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { Logger, Params, PARAMS_PROVIDER_TOKEN, PinoLogger as NestPinoLogger } from 'nestjs-pino';
import { hostname } from 'node:os';
import pino, { Logger as PinoLogger, LoggerOptions } from 'pino';
import { appConfig } from '../config/app.config';
import { LOG_DESTINATION, LogDestinationModule } from './log-destination';
import { redactHeaders, scrubSecrets } from './log-scrub';
import { NOISY_CONTEXTS, prettyLogStream } from './pretty-logs';
import { requestLogging, serializeRequest, serializeResponse } from './request-logging';

/** The app's root pino logger. */
const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * Logs as JSON lines through pino (pretty in development: pretty-logs.ts), with secrets removed (log-scrub.ts).
 *
 * - Requests: the request-logging middleware (request-logging.ts) gives each request its `RequestLog` and writes its
 *   request-completed line. Code that logs while handling a request is handed it explicitly
 *   (common/logging/request-log.ts `ContextLogger.in(log)`, `ChatContext.log`); fields assigned to a request
 *   (log-fields.ts) reach all its later lines. No AsyncLocalStorage: nestjs-pino's LoggerModule ran every request in
 *   `AsyncLocalStorage.run`, which on Node 20 turns V8's promise hooks on for every promise of the process
 *   (docs/performance.md, "no-als").
 * - Everything else (boot, Nest's own lines, timers, jobs): nestjs-pino's `Logger`, the app logger
 *   (`app.useLogger`, configure-app.ts), writing through the same root logger.
 */
@Module({
  imports: [ConfigModule.forFeature(appConfig), LogDestinationModule],
  providers: [
    {
      provide: ROOT_LOGGER,
      inject: [appConfig.KEY, LOG_DESTINATION],
      useFactory: (app: ConfigType<typeof appConfig>, destination: NodeJS.WritableStream | null): PinoLogger =>
        pino(rootLoggerOptions(app), app.logFormat === 'pretty' ? prettyLogStream(destination ?? process.stdout) : (destination ?? process.stdout)),
    },
    // nestjs-pino's Logger and PinoLogger write through the root logger (a "passed logger"); with no request store
    // to find (nothing calls its storage), that is every line they write.
    { provide: PARAMS_PROVIDER_TOKEN, inject: [ROOT_LOGGER], useFactory: (logger: PinoLogger): Params => ({ pinoHttp: { logger } }) },
    NestPinoLogger,
    Logger,
  ],
  exports: [Logger, NestPinoLogger],
})
export class LoggingModule implements NestModule {
  constructor(@Inject(ROOT_LOGGER) private readonly root: PinoLogger) {}

  configure(consumer: MiddlewareConsumer): void {
    // Where nestjs-pino's LoggerModule mounted pino-http: every route, after the app-level middleware (configure-app.ts).
    consumer.apply(requestLogging(this.root)).forRoutes({ path: '*', method: RequestMethod.ALL });
  }
}

function rootLoggerOptions(app: ConfigType<typeof appConfig>): LoggerOptions {
  return {
    level: app.logLevel,
    // Secrets are removed from every log call's object by the logMethod hook (log-scrub.ts) and
    // from headers by the req/res serializers: no pino `redact` paths (see log-scrub.ts).
    base: { pid: process.pid, hostname: hostname(), service: 'parley' },
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
    serializers: { req: serializeRequest(redactHeaders), res: serializeResponse(redactHeaders) },
  };
}
