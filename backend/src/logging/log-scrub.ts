/**
 * The secrets a log line must never carry, removed from the object of every log call (pino's
 * `logMethod` hook, logging.module.ts) before it is serialized. It replaces pino's path redaction,
 * whose wildcard paths cloned and re-walked every logged object on every line (the largest
 * allocator of a chat request in the CPU/heap profiles: docs/performance.md, ChatKit gateway).
 * Copy-on-write: an object without secrets is returned as is, so ordinary lines allocate nothing.
 */

export const CENSOR = '[redacted]';

/** Request and response headers whose values are never logged (also used by the req/res serializers). */
export const REDACTED_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-parley-publish-token',
  'x-parley-visitor',
  // Identity tokens minted for tools.
  'x-parley-identity',
]);

/** Keys whose values are secrets wherever they appear in a logged object. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['password', 'token', 'accessToken', 'refreshToken', 'publishToken']);

const MAX_DEPTH = 8;

/** A copy of `headers` with the values of REDACTED_HEADERS replaced. */
export function redactHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  if (!headers) return copy;
  for (const name in headers) copy[name] = REDACTED_HEADERS.has(name.toLowerCase()) ? CENSOR : headers[name];
  return copy;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * `value` without secrets: SECRET_KEYS censored at any depth; a `headers` object with its
 * REDACTED_HEADERS censored, or censored whole when it is a tool definition's (owner secrets:
 * `tool.headers`, `tools[i].headers`). Plain objects, arrays and errors' own properties are
 * walked; other class instances (requests, buffers) are left to their serializers.
 */
export function scrubSecrets(value: unknown): unknown {
  return scrub(value, 0, false);
}

function scrub(value: unknown, depth: number, inTool: boolean): unknown {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const next = scrub(value[i], depth + 1, inTool);
      if (next !== value[i]) (copy ??= value.slice())[i] = next;
    }
    return copy ?? value;
  }
  const error = value instanceof Error;
  if (!error && !isPlainObject(value)) return value;
  let copy: Record<string, unknown> | null = null;
  for (const key of Object.keys(value)) {
    const current = (value as Record<string, unknown>)[key];
    let next: unknown;
    if (SECRET_KEYS.has(key)) next = current === undefined || current === null ? current : CENSOR;
    else if (key === 'headers' && isPlainObject(current)) next = inTool ? CENSOR : scrubHeaders(current);
    else next = scrub(current, depth + 1, key === 'tool' || key === 'tools');
    if (next !== current) {
      // An error keeps what its serializer shows: type, message and stack, then its own properties.
      copy ??= error ? errorCopy(value) : { ...value };
      copy[key] = next;
    }
  }
  return copy ?? value;
}

function errorCopy(error: Error): Record<string, unknown> {
  const copy: Record<string, unknown> = { type: error.constructor.name, message: error.message, stack: error.stack };
  for (const key of Object.keys(error)) copy[key] = (error as unknown as Record<string, unknown>)[key];
  return copy;
}

function scrubHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  for (const name in headers) {
    if (REDACTED_HEADERS.has(name.toLowerCase())) return redactHeaders(headers);
  }
  return headers;
}
