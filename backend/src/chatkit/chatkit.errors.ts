import { DomainError } from '../common/errors/domain-error';
import type { ErrorCode } from '../common/errors/error-codes';
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

/** Errors any ChatKit route can answer while resolving who is calling and for which workflow. */
export const CHAT_ACCESS_ERRORS = [
  'not_found',
  'workflow_mismatch',
  'publish_token_invalid',
  'publish_token_rotated',
  'workflow_not_published',
  'origin_not_allowed',
  'login_required',
  'chat_session_revoked',
  'feature_disabled',
  'payload_too_large',
  'unsupported_media_type',
] as const satisfies readonly ErrorCode[];

/** 401: the chat token's session (`sid`) was revoked, has expired or no longer exists. */
export class ChatSessionRevokedError extends DomainError {
  constructor() {
    super('chat_session_revoked', 'This chat session was revoked or has expired; start a new one.');
  }
}
