/**
 * Every error code the API can answer with, its HTTP status and its meaning.
 * `docs/errors.md` is checked against this table by a unit test, and the OpenAPI
 * document lists the codes in the shared error schema.
 */
export const ERROR_CATALOG = {
  invalid_json: { status: 400, meaning: 'The request body is not valid JSON.' },
  validation_failed: { status: 400, meaning: 'The request body, query or path failed validation; `details.fields` lists each field.' },
  invalid_request: { status: 400, meaning: 'A ChatKit request is malformed or not valid for the thread state; `details.fields` lists problems.' },
  invalid_return_to: { status: 400, meaning: 'OIDC sign-in: `returnTo` is not a path on this site or a URL on an allow-listed origin (open redirects are refused).' },
  oidc_state_mismatch: { status: 400, meaning: 'OIDC callback: no sign-in is in progress in this browser, it expired, or `state` does not match it; start again.' },
  host_user_invalid: { status: 400, meaning: 'End-user session: `user` is missing, or its `id`, `email` or `name` is not acceptable; `details.fields` says which.' },
  outbound_url_refused: { status: 400, meaning: 'A URL (tool, MCP server, webhook, `compatible` model endpoint) points at a loopback, private, link-local or metadata address, or is not http(s), and OUTBOUND_ALLOW_PRIVATE is off.' },
  tool_schema_invalid: { status: 400, meaning: 'A tool\'s `parameters` is not a JSON Schema of type `object` that Parley can compile; `details.fields` names the tool.' },
  tool_name_duplicate: { status: 400, meaning: 'Two tools of the workflow (or of one MCP server\'s `allowedTools`) have the same name.' },
  not_supported: { status: 400, meaning: 'The request is valid but this workflow does not offer the feature (e.g. dictation).' },
  unauthenticated: { status: 401, meaning: 'The route needs credentials and the request carries none it accepts.' },
  invalid_credentials: { status: 401, meaning: 'The email or password is wrong (the same answer for an unknown email).' },
  token_expired: { status: 401, meaning: 'The access token, refresh token or personal access token has expired.' },
  token_invalid: { status: 401, meaning: 'The token is malformed, forged, revoked, reused or not meant for this API.' },
  oidc_login_failed: { status: 401, meaning: 'OIDC callback: the identity provider refused the sign-in, or its answer failed verification (code already used, nonce, issuer).' },
  publish_token_invalid: { status: 401, meaning: 'The share-link token is unknown or malformed.' },
  publish_token_rotated: { status: 401, meaning: 'The share link was replaced by a newer one; ask the owner for the new link.' },
  login_required: { status: 401, meaning: 'The workflow requires sign-in (`requireLogin`) and the request has no valid OAuth session; `details.loginUrl` starts the sign-in.' },
  chat_session_revoked: { status: 401, meaning: 'The chat session behind this chat token was revoked or has expired; ask for a new session.' },
  server_key_invalid: { status: 401, meaning: 'The workflow server key `wsk_…` is unknown or malformed.' },
  server_key_revoked: { status: 401, meaning: 'The workflow server key was revoked by the workflow\'s owner; create a new one.' },
  forbidden: { status: 403, meaning: 'The credential is valid but not accepted by this route.' },
  csrf_failed: { status: 403, meaning: 'A cookie-authenticated unsafe request came from an origin that is not allowed.' },
  feature_disabled: { status: 403, meaning: 'The feature is switched off on this server (`CHATKIT_PUBLISH_ENABLED`, `CHATKIT_CANVAS_ENABLED`, OIDC without `OIDC_ISSUER`).' },
  oidc_email_unverified: { status: 403, meaning: 'OIDC owner sign-in: the identity provider did not assert a verified email, so no account is linked or created.' },
  workflow_not_published: { status: 403, meaning: 'The workflow behind this share link is not public (revoked or unpublished).' },
  origin_not_allowed: { status: 403, meaning: 'The workflow restricts its public chat to `allowedOrigins` and the request\'s `Origin` is not one of them (or is missing).' },
  server_key_from_browser: { status: 403, meaning: 'A server key was sent by a browser (the request carries an `Origin` header or cookies); server keys belong on servers.' },
  workflow_mismatch: { status: 403, meaning: 'The credential is bound to another workflow than the one named by the request.' },
  not_found: { status: 404, meaning: 'The route or resource does not exist, or is not visible to the caller.' },
  method_not_allowed: { status: 405, meaning: 'The route exists but not for this HTTP method.' },
  approval_call_unknown: { status: 404, meaning: 'A `parley.approval` action names a tool call that does not exist in this thread, or the item it came from is not its approval card.' },
  approval_not_pending: { status: 409, meaning: 'A `parley.approval` decision on a tool call that was already decided the other way, or that expired because the conversation moved on.' },
  email_taken: { status: 409, meaning: 'An account with this email already exists.' },
  oidc_account_unverified: { status: 409, meaning: 'OIDC owner sign-in: the verified email belongs to a password account whose email was never verified; nothing is linked until its holder signs in with the password and connects SSO.' },
  attachment_immutable: { status: 409, meaning: 'The attachment was already uploaded, or is already part of a message; uploads are write-once.' },
  publish_invalid_state: { status: 409, meaning: 'The publish transition is not valid in the current state (already public, or not public).' },
  payload_too_large: { status: 413, meaning: 'The request body exceeds the configured limit.' },
  unsupported_media_type: { status: 415, meaning: 'The request body has a content type this route does not accept.' },
  rate_limited: { status: 429, meaning: 'Too many requests; retry after `Retry-After` seconds (`details.retryAfterSeconds`, `details.bucket`).' },
  attachment_quota_exceeded: { status: 429, meaning: 'Too many attachments not yet sent in a message, for this principal or this workflow; send or delete some, or wait for them to expire (`details.scope`, `details.limit`).' },
  internal_error: { status: 500, meaning: 'An unexpected server error; the request id identifies it in the logs.' },
  service_unavailable: { status: 503, meaning: 'A dependency (such as the database) is unavailable; retry later.' },
  rate_limit_unavailable: { status: 503, meaning: 'The shared rate-limit store (Redis) is unreachable and this traffic is refused until it returns; retry after `Retry-After` seconds.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export const ERROR_CODES = Object.keys(ERROR_CATALOG) as ErrorCode[];

export function statusOf(code: ErrorCode): number {
  return ERROR_CATALOG[code].status;
}
