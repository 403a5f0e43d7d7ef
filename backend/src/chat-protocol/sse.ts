/**
 * Wire serialisation. The reference serialises with pydantic `exclude_none`, so unset fields are
 * omitted rather than sent as `null`; the hosted client and the conformance vectors rely on it.
 */

/**
 * Returns a copy of `value` in which every object key whose value is `null` or `undefined` is
 * removed, recursively. Array elements are kept (as `null`), because dropping them would shift
 * indices. Objects are rebuilt with `Object.fromEntries`, so a `__proto__` key stays a plain key.
 */
export function omitNulls<T>(value: T): T {
  // Most events carry no null at all: check without allocating, rebuild only when needed.
  return hasNullish(value) ? (strip(value) as T) : value;
}

function hasNullish(value: unknown): boolean {
  if (Array.isArray(value)) {
    for (const element of value) if (element === undefined || hasNullish(element)) return true;
    return false;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const key in value) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
      const inner = (value as Record<string, unknown>)[key];
      if (inner === null || inner === undefined || hasNullish(inner)) return true;
    }
  }
  return false;
}

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((element) => (element === undefined ? null : strip(element)));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const entries: Array<[string, unknown]> = [];
    for (const [key, inner] of Object.entries(value)) {
      if (inner === null || inner === undefined) continue;
      entries.push([key, strip(inner)]);
    }
    return Object.fromEntries(entries);
  }
  return value;
}

/** The `Content-Type` of ChatKit streams. */
export const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8';

/**
 * One SSE frame: `data: <compact JSON>\n\n`. No `event:`/`id:` lines, one JSON object per frame;
 * JSON never contains a raw newline, so a frame is never split across `data:` lines.
 */
export function encodeEvent(event: object): string {
  return `data: ${JSON.stringify(omitNulls(event))}\n\n`;
}
