import { Logger } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';

/**
 * A request's logger: pino-http's `req.log` (logging/logging.module.ts). Its bindings carry the request (`req.id`, method,
 * url, redacted headers) and the fields assigned to it (logging/log-fields.ts), and pino-http writes the request-completed
 * line with it. There is no ambient "current request" (no AsyncLocalStorage: docs/performance.md, "no-als"): code
 * that logs while handling a request is handed this logger, from the request or from a context built from it
 * (`ChatContext.log`).
 */
export type RequestLog = PinoLogger;

/** The logger pino-http gave `req`; undefined for a request it never saw (a failure before the logging middleware). */
export function requestLog(req: object | undefined | null): RequestLog | undefined {
  return (req as { log?: RequestLog } | undefined | null)?.log ?? undefined;
}

/** What named loggers write: Nest's `LoggerService` methods (a message or an object of fields, then a message). */
export interface LogLines {
  log(message: unknown, ...optionalParams: unknown[]): void;
  warn(message: unknown, ...optionalParams: unknown[]): void;
  error(message: unknown, ...optionalParams: unknown[]): void;
  debug(message: unknown, ...optionalParams: unknown[]): void;
  verbose(message: unknown, ...optionalParams: unknown[]): void;
}

type PinoLevel = 'info' | 'warn' | 'error' | 'debug' | 'trace';

/**
 * Nest's `new Logger(context)` for code that may run during a request. `in(log)` gives the lines for one call site:
 * written through the request's own logger when `log` is given (the line carries the request id and assigned fields,
 * like every other line of that request), through the app logger otherwise (boot, timers, jobs). Either way the line
 * has the same shape: `{ context, ...fields, msg }`, as nestjs-pino's Logger writes it.
 */
export class ContextLogger extends Logger {
  constructor(private readonly name: string) {
    super(name);
  }

  in(log: RequestLog | undefined): LogLines {
    return log ? new RequestLines(log, this.name) : this;
  }
}

class RequestLines implements LogLines {
  constructor(
    private readonly logger: RequestLog,
    private readonly context: string,
  ) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  /** As nestjs-pino's Logger: an object's fields after `context`, an error as `err`, a string as the message. */
  private write(level: PinoLevel, message: unknown, params: unknown[]): void {
    const logger = this.logger;
    if (typeof message === 'object' && message !== null) {
      const fields = message instanceof Error ? { context: this.context, err: message } : { context: this.context, ...message };
      logger[level](fields, ...(params as [string]));
    } else {
      logger[level]({ context: this.context }, message as string, ...(params as []));
    }
  }
}
