/**
 * Errors of the ChatKit protocol core. They carry a stable code and an HTTP status so the
 * HTTP layer can render Parley's error body in one place; the core itself knows no framework.
 *
 * Two families:
 * - request errors (`ChatKitRequestError` subclasses) are thrown by `ChatKitProcessor.process`
 *   before any stream exists, and become a JSON error response;
 * - stream errors (`ChatKitStreamError`, `ChatKitCustomStreamError`) are thrown by runners
 *   inside a stream, and become an in-band `error` event.
 */

/** Field path (e.g. `params.thread_id`) → messages. */
export interface InvalidRequestDetails {
  fields: Record<string, string[]>;
}

/** The codes a request error can carry. */
export type ChatKitRequestErrorCode = 'not_found' | 'invalid_request' | 'not_supported';

/** Base of every error that must be answered before a stream opens. */
export abstract class ChatKitRequestError extends Error {
  abstract readonly code: ChatKitRequestErrorCode;
  /** Suggested HTTP status for the code. */
  abstract readonly status: number;
  readonly details?: InvalidRequestDetails;

  protected constructor(message: string, details?: InvalidRequestDetails) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/**
 * A thread, item or attachment is missing or not visible to the caller. Deliberately the same
 * error for both, so existence never leaks across principals.
 */
export class ChatKitNotFoundError extends ChatKitRequestError {
  readonly code = 'not_found' as const;
  readonly status = 404;

  constructor(message = 'Not found.') {
    super(message);
  }
}

/** The body is malformed, or the request is not valid for the current thread state. */
export class ChatKitInvalidRequestError extends ChatKitRequestError {
  readonly code = 'invalid_request' as const;
  readonly status = 400;

  constructor(message: string, details?: InvalidRequestDetails) {
    super(message, details);
  }
}

/**
 * The request is well-formed but this deployment or workflow does not offer the feature (no
 * transcriber, no attachment storage). 400, as the issue specifies: the client can react by
 * hiding the feature, and a 5xx would read as an outage to monitoring and retry logic.
 */
export class ChatKitNotSupportedError extends ChatKitRequestError {
  readonly code = 'not_supported' as const;
  readonly status = 400;

  constructor(message: string) {
    super(message);
  }
}

/**
 * Thrown by a store when a list `after` cursor names nothing of the caller; the processor turns
 * it into `invalid_request` (the reference test store answers 500 here).
 */
export class ChatKitUnknownCursorError extends Error {
  constructor(readonly cursor: string) {
    super(`Unknown cursor ${cursor}.`);
    this.name = 'ChatKitUnknownCursorError';
  }
}

/**
 * Thrown by `process` for a JSON request whose client already disconnected (its `signal` aborted):
 * nobody will read the answer, so no work is done. Hosts drop it without answering.
 */
export class ChatKitCancelledError extends Error {
  constructor() {
    super('The client disconnected before the request was handled.');
    this.name = 'ChatKitCancelledError';
  }
}

/** Thrown inside a runner to end the stream with `{type:"error", code, allow_retry}`. */
export class ChatKitStreamError extends Error {
  constructor(
    readonly code: string = 'stream.error',
    readonly allowRetry: boolean = true,
  ) {
    super(`Stream error ${code}.`);
    this.name = 'ChatKitStreamError';
  }
}

/**
 * Thrown inside a runner to end the stream with a user-visible message
 * (`{type:"error", code:"custom", message, allow_retry}`), like Python's CustomStreamError.
 */
export class ChatKitCustomStreamError extends Error {
  constructor(
    message: string,
    readonly allowRetry: boolean = false,
    /** Why, as a short code for analytics (`rate_limited`, `provider_timeout`…); never sent to the client. */
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'ChatKitCustomStreamError';
  }
}
