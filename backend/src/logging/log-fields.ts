import { storage } from 'nestjs-pino/storage';
import { symbols } from 'pino';

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
 * Adds `fields` to every later log line of the current request, the request-completed line
 * included (nestjs-pino `assignResponse`). Outside a request (jobs, boot) it does nothing.
 */
export function assignLogFields(fields: RequestLogFields): void {
  const store = storage.getStore();
  if (!store) return;
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null));
  if (Object.keys(defined).length === 0) return;
  // pino-http gives the request one logger for its lines and its request-completed line: bind the
  // fields on it (no child logger per call). A separate response logger gets them too.
  if (store.responseLogger && store.responseLogger !== store.logger) {
    store.logger = store.logger.child(defined);
    store.responseLogger.setBindings(defined);
    flattenBindings(store.responseLogger);
  } else {
    store.logger.setBindings(defined);
  }
  flattenBindings(store.logger);
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
