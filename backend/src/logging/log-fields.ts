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
 * Adds `fields` to every later log line of the request `req`, the request-completed line included (request-logging.ts),
 * whoever holds its `RequestLog` — the request, a `ChatContext` built from it. A request the logging middleware never
 * saw is left as is.
 */
export function assignLogFields(req: object | undefined, fields: RequestLogFields): void {
  const log = requestLog(req);
  if (!log) return;
  let defined: Record<string, string> | null = null;
  for (const key in fields) {
    const value = fields[key as keyof RequestLogFields];
    if (value !== undefined && value !== null) (defined ??= {})[key] = value;
  }
  if (defined) log.assign(defined);
}
