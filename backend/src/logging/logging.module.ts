import { Module } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import { appConfig } from '../config/app.config';
import { LOG_DESTINATION, LogDestinationModule } from './log-destination';
import { NOISY_CONTEXTS, prettyLogStream } from './pretty-logs';

/**
 * Request and response headers whose values never reach a log line. The `req`/`res` serializers
 * below replace them as they copy the headers (cheaper than a redaction path per header, which
 * pino re-evaluates on every line): every log line with a `req` or `res` is covered.
 */
export const REDACTED_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-parley-publish-token',
  'x-parley-visitor',
  // Identity tokens minted for tools.
  'x-parley-identity',
]);

const CENSOR = '[redacted]';

/** Paths pino redacts on every log line: secrets inside logged objects (the headers are done above). */
export const REDACTED_PATHS = [
  '*.password',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.publishToken',
  // Identity tokens minted for tools, and owner secrets of tool definitions (write-only values).
  '*.headers["x-parley-identity"]',
  '*.headers["X-Parley-Identity"]',
  'runner.tools[*].headers',
  '*.runner.tools[*].headers',
  'tools[*].headers',
  '*.tools[*].headers',
  'tool.headers',
  '*.tool.headers',
];

/** A copy of `headers` with the values of REDACTED_HEADERS replaced. */
export function redactHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  if (!headers) return copy;
  for (const name in headers) copy[name] = REDACTED_HEADERS.has(name.toLowerCase()) ? CENSOR : headers[name];
  return copy;
}

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
            redact: { paths: REDACTED_PATHS, censor: CENSOR },
            // On the root logger rather than pino-http's `customProps`, which costs a child logger per request.
            base: { pid: process.pid, hostname: hostname(), service: 'parley' },
            genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? 'unknown',
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
