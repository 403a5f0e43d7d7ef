import { symbols } from 'pino';
import { requestLog } from '../common/logging/request-log';

/** What a request's log lines carry besides the request id. Ids only: never a token or a secret. */
export interface RequestLogFields {
  workflowId?: string;
  threadId?: string;
  /** The auth mode that authenticated the request (auth/principal.ts `AuthMode`). */
  authMode?: string;
  /** The principal's kind (auth/principal.ts `Principal['kind']`). */
  principalKind?: string;
}

/**
 * Adds `fields` to every later log line of the request `req`, the request-completed line included: they are bound
 * on the request's logger (pino-http's `req.log`, which also writes that line), so every holder of it — the request,
 * a `ChatContext` built from it — logs them from now on. A request pino-http never saw is left as is.
 */
export function assignLogFields(req: object | undefined, fields: RequestLogFields): void {
  const log = requestLog(req);
  if (!log) return;
  let defined: Record<string, string> | null = null;
  for (const key in fields) {
    const value = fields[key as keyof RequestLogFields];
    if (value !== undefined && value !== null) (defined ??= {})[key] = value;
  }
  if (!defined) return;
  // pino-http writes the request-completed line with `res.log`: the same logger as `req.log` unless configured
  // otherwise (quietReqLogger, customProps); bind the fields on both then.
  const responseLog = requestLog((req as { res?: object }).res);
  log.setBindings(defined);
  flattenBindings(log);
  if (responseLog && responseLog !== log) {
    responseLog.setBindings(defined);
    flattenBindings(responseLog);
  }
}

/**
 * pino keeps a logger's bindings as JSON text it built by concatenation (`chindings`): for a request's logger
 * (its `req` with headers, then these fields) a tree of small strings V8 keeps as such, ~1.5 KB for as long as the
 * request lives — an open chat stream (docs/performance.md, idle open streams). Reading a character makes V8 flatten
 * it in place into one string; the text is unchanged.
 */
function flattenBindings(logger: object): void {
  const text = (logger as Record<symbol, unknown>)[symbols.chindingsSym];
  if (typeof text === 'string') text.charCodeAt(0);
}
