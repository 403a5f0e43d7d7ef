import { DomainError } from '../common/errors/domain-error';

/**
 * An outbound URL the policy refuses: not http(s), a private/loopback/link-local/metadata
 * address (literally or after DNS resolution, on any redirect hop), or too many redirects.
 * The message names the host, never a path, query or header.
 */
export class OutboundUrlRefusedError extends DomainError {
  constructor(reason: string, details?: Record<string, unknown>) {
    super('outbound_url_refused', `Outbound request refused: ${reason}.`, details);
  }
}

/** A response larger than the outbound byte cap (the body stream errors with this). */
export class OutboundResponseTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`The response exceeded ${limitBytes} bytes.`);
    this.name = 'OutboundResponseTooLargeError';
  }
}
