import { DomainError } from '../common/errors/domain-error';
import { ChatKitRequestError } from '../chat-protocol/errors';

/**
 * The protocol core's request errors as domain errors, so the one global filter renders them:
 * `invalid_request` (400, with `details.fields`), `not_found` (404, also for other principals'
 * threads), `not_supported` (400). Anything else passes through unchanged.
 */
export function toDomainError(error: unknown): unknown {
  if (error instanceof ChatKitRequestError) {
    return new DomainError(error.code, error.message, error.details ? { fields: error.details.fields } : undefined);
  }
  return error;
}
