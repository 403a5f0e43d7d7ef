import { Logger } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';

/**
 * A request's logging (logging/request-logging.ts): what code handling the request logs goes through it, so every line
 * carries the request (`req.id`, method, url, redacted headers) and the fields assigned to it (logging/log-fields.ts);
 * the request-completed line too. There is no ambient "current request" (no AsyncLocalStorage: docs/performance.md,
 * "no-als"): code that logs while handling a request is handed this, from the request (`requestLog(req)`) or from a
 * context built from it (`ChatContext.log`).
 */
export interface RequestLog {
  /** The pino logger bound to the request and its assigned fields (made on first use: most requests log one line). */
  logger(): PinoLogger;
  /** Adds fields to every later line of the request, the request-completed line included. */
  assign(fields: Record<string, string>): void;
}

/** Where a request keeps its `RequestLog` (set by the request-logging middleware). */
export const REQUEST_LOG = Symbol('parley.requestLog');

/** The request's logging; undefined for a request the logging middleware never saw (a failure before it ran). */
export function requestLog(req: object | undefined | null): RequestLog | undefined {
  return (req as { [REQUEST_LOG]?: RequestLog } | undefined | null)?.[REQUEST_LOG] ?? undefined;
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
 * written through the request's logger when `log` is given (the line carries the request id and assigned fields,
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
    private readonly request: RequestLog,
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
    const logger = this.request.logger();
    if (typeof message === 'object' && message !== null) {
      const fields = message instanceof Error ? { context: this.context, err: message } : { context: this.context, ...message };
      logger[level](fields, ...(params as [string]));
    } else {
      logger[level]({ context: this.context }, message as string, ...(params as []));
    }
  }
}
