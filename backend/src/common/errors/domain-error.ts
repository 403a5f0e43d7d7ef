import { ErrorCode, statusOf } from './error-codes';

/** Details attached to an error body; must never contain secrets. */
export type ErrorDetails = Record<string, unknown>;

/**
 * Base class for every error a service throws. Carries a stable snake_case code;
 * the single global filter turns it into the HTTP error body.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetails,
    /** Extra response headers (e.g. `Retry-After`). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = new.target.name;
  }

  get status(): number {
    return statusOf(this.code);
  }
}

export class NotFoundError extends DomainError {
  constructor(message = 'Not found.', details?: ErrorDetails) {
    super('not_found', message, details);
  }
}

export class ValidationFailedError extends DomainError {
  constructor(fields: Record<string, string[]>, message = 'Validation failed.') {
    super('validation_failed', message, { fields });
  }
}
