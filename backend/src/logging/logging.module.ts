import { Module } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { appConfig } from '../config/app.config';
import { LOG_DESTINATION, LogDestinationModule } from './log-destination';
import { NOISY_CONTEXTS, prettyLogStream } from './pretty-logs';

/**
 * Header and cookie values that must never reach a log line. pino's redaction runs on the
 * serialized request/response, so every log (request logs and error logs alike) is covered.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-parley-publish-token"]',
  'req.headers["x-parley-visitor"]',
  'res.headers["set-cookie"]',
  'res.headers["x-parley-visitor"]',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.publishToken',
  // Identity tokens minted for tools, and owner secrets of tool definitions (write-only values).
  'req.headers["x-parley-identity"]',
  '*.headers["x-parley-identity"]',
  '*.headers["X-Parley-Identity"]',
  'runner.tools[*].headers',
  '*.runner.tools[*].headers',
  'tools[*].headers',
  '*.tools[*].headers',
  'tool.headers',
  '*.tool.headers',
];

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
            redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
            genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? 'unknown',
            customProps: () => ({ service: 'parley' }),
            hooks: {
              // Nest's module and route chatter goes to debug (pretty-logs.ts NOISY_CONTEXTS).
              logMethod(this: { debug: (...a: unknown[]) => void }, args: unknown[], method: (...a: unknown[]) => void, level: number) {
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
                headers: req.headers,
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
