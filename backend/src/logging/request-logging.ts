import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger as PinoLogger, symbols } from 'pino';
import { REQUEST_LOG, RequestLog } from '../common/logging/request-log';

/** `/healthz` and `/readyz` (probes, every few seconds) write no request-completed line. */
const QUIET_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

type Request = IncomingMessage & { id?: string; originalUrl?: string; [REQUEST_LOG]?: RequestLog };

/**
 * One request's logging: its lines are written by a pino child of the root logger bound to `{ req, ...fields }`,
 * made only when a line other than the request-completed one is written (most requests write none: their completed
 * line is written by the root logger with the same fields, in the same order). What pino-http did, without the child
 * logger per request (and its bindings' JSON text, ~1 KB kept while an open stream waits: docs/performance.md,
 * "no-als") and without the `allLogs` arrays.
 */
class RequestLogging implements RequestLog {
  private child: PinoLogger | null = null;
  private fields: Record<string, string> | null = null;

  constructor(
    private readonly root: PinoLogger,
    private readonly req: Request,
    readonly start: number,
  ) {}

  logger(): PinoLogger {
    if (!this.child) {
      this.child = this.root.child(this.fields ? { req: this.req, ...this.fields } : { req: this.req });
      flattenBindings(this.child);
    }
    return this.child;
  }

  assign(fields: Record<string, string>): void {
    this.fields = this.fields ? { ...this.fields, ...fields } : fields;
    if (this.child) {
      this.child.setBindings(fields);
      flattenBindings(this.child);
    }
  }

  /** pino-http's line: `request completed`, or `request errored` (with `err`) for a failure or a 5xx status. */
  completed(res: ServerResponse, err: Error | undefined): void {
    const responseTime = Date.now() - this.start;
    const error = err ?? (res.statusCode >= 500 ? new Error(`failed with status code ${res.statusCode}`) : undefined);
    if (this.child) {
      if (error) this.child.info({ res, err: error, responseTime }, 'request errored');
      else this.child.info({ res, responseTime }, 'request completed');
    } else if (error) {
      this.root.info({ req: this.req, ...this.fields, res, err: error, responseTime }, 'request errored');
    } else {
      this.root.info({ req: this.req, ...this.fields, res, responseTime }, 'request completed');
    }
  }
}

/**
 * The request-logging middleware: gives each request its `RequestLog` (`requestLog(req)`) and writes its
 * request-completed line when the response finishes or the connection closes first.
 */
export function requestLogging(root: PinoLogger): (req: Request, res: ServerResponse, next: () => void) => void {
  return function requestLogger(req, res, next) {
    // The request id middleware (common/http/request-id.ts) ran first and set it.
    req.id ??= 'unknown';
    const logging = new RequestLogging(root, req, Date.now());
    req[REQUEST_LOG] = logging;
    const done = (err?: Error): void => {
      res.removeListener('close', done);
      res.removeListener('finish', done);
      res.removeListener('error', done);
      logging.completed(res, err);
    };
    if (!QUIET_PATHS.has(req.url ?? '')) {
      res.on('close', done);
      res.on('finish', done);
    }
    res.on('error', done);
    next();
  };
}

/** What request lines show of a request: id, method, path (no query string), headers with credentials redacted. */
export function serializeRequest(redactHeaders: (headers: Record<string, unknown>) => Record<string, unknown>) {
  return (req: Request): Record<string, unknown> => ({
    id: req.id,
    method: req.method,
    url: (req.originalUrl || req.url)?.split('?')[0],
    headers: redactHeaders(req.headers),
  });
}

/** What request lines show of a response: its status (null when no header was sent) and headers, redacted. */
export function serializeResponse(redactHeaders: (headers: Record<string, unknown>) => Record<string, unknown>) {
  return (res: ServerResponse): Record<string, unknown> => ({
    statusCode: res.headersSent ? res.statusCode : null,
    headers: redactHeaders(res.getHeaders() as Record<string, unknown>),
  });
}

/**
 * pino keeps a logger's bindings as JSON text it built by concatenation (`chindings`): for a request's logger
 * (its `req` with headers, then its fields) a tree of small strings V8 keeps as such for as long as the request lives.
 * Reading a character makes V8 flatten it in place into one string; the text is unchanged.
 */
function flattenBindings(logger: object): void {
  const text = (logger as Record<symbol, unknown>)[symbols.chindingsSym];
  if (typeof text === 'string') text.charCodeAt(0);
}
