import { DomainError } from '../errors/domain-error';

/** What body-parser (via http-errors) attaches to the errors it raises. */
interface BodyParserError {
  type?: unknown;
  status?: unknown;
  expose?: unknown;
}

export interface BodyReadFailureOptions {
  /** The code for a body that could not be read (aborted, truncated, broken Content-Encoding). */
  unreadable: 'invalid_json' | 'invalid_request';
  /** The message of `payload_too_large`. */
  tooLarge?: string;
}

/**
 * The domain error for a failure of an Express body parser (JSON or raw), or null when `err` is
 * not one. Every body parser of the app and the exception filter's backstop map through here, so
 * a client's broken body is always a 4xx with the documented code, never a 500.
 */
export function bodyReadFailure(err: unknown, options: BodyReadFailureOptions): DomainError | null {
  if (!err || typeof err !== 'object') return null;
  const { type, status, expose } = err as BodyParserError;
  // http-errors always sets `expose`; body-parser adds `type`. HttpExceptions have neither.
  if (typeof status !== 'number' || (typeof type !== 'string' && typeof expose !== 'boolean')) return null;
  if (type === 'entity.too.large') return new DomainError('payload_too_large', options.tooLarge ?? 'The request body is too large.');
  if (type === 'entity.parse.failed') return new DomainError('invalid_json', 'The request body is not valid JSON.');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new DomainError('unsupported_media_type', 'Unsupported request body encoding.');
  }
  // Truncated or aborted bodies, broken gzip/deflate/br data: the client's fault.
  if (status >= 400 && status < 500) {
    return new DomainError(options.unreadable, 'The request body could not be read (aborted, truncated, or a broken Content-Encoding).');
  }
  return null;
}
