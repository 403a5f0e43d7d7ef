import { Module } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import { appConfig } from '../config/app.config';
import { LOG_DESTINATION, LogDestinationModule } from './log-destination';
import { redactHeaders, scrubSecrets } from './log-scrub';
import { NOISY_CONTEXTS, prettyLogStream } from './pretty-logs';

@Module({
  imports: [
    LoggerModule.forRootAsync({
      imports: [ConfigModule.forFeature(appConfig), LogDestinationModule],
      inject: [appConfig.KEY, LOG_DESTINATION],
      useFactory: (app: ConfigType<typeof appConfig>, destination: NodeJS.WritableStream | null) => ({
        // Fields assigned during a request (workflowId, threadId, authMode, principalKind: log-fields.ts)
        // also reach its request-completed line.
        assignResponse: true,
        pinoHttp: [
          {
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
          },
          app.logFormat === 'pretty' ? prettyLogStream(destination ?? process.stdout) : (destination ?? process.stdout),
        ],
      }),
    }),
  ],
})
export class LoggingModule {}
