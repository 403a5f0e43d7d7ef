/**
 * Every error code the API can answer with, its HTTP status and its meaning.
 * `docs/errors.md` is checked against this table by a unit test, and the OpenAPI
 * document lists the codes in the shared error schema.
 */
export const ERROR_CATALOG = {
  invalid_json: { status: 400, meaning: 'The request body is not valid JSON.' },
  validation_failed: { status: 400, meaning: 'The request body, query or path failed validation; `details.fields` lists each field.' },
  not_found: { status: 404, meaning: 'The route or resource does not exist, or is not visible to the caller.' },
  method_not_allowed: { status: 405, meaning: 'The route exists but not for this HTTP method.' },
  payload_too_large: { status: 413, meaning: 'The request body exceeds the configured limit.' },
  unsupported_media_type: { status: 415, meaning: 'The request body has a content type this route does not accept.' },
  rate_limited: { status: 429, meaning: 'Too many requests; retry after `Retry-After` seconds (`details.retryAfterSeconds`).' },
  internal_error: { status: 500, meaning: 'An unexpected server error; the request id identifies it in the logs.' },
  service_unavailable: { status: 503, meaning: 'A dependency (such as the database) is unavailable; retry later.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export const ERROR_CODES = Object.keys(ERROR_CATALOG) as ErrorCode[];

export function statusOf(code: ErrorCode): number {
  return ERROR_CATALOG[code].status;
}
