import { usageError } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks an id argument before any request, so a typo is a usage error (exit 2), not an API round trip. */
export function parseId(raw: string, what: string, listCommand: string): string {
  if (!UUID.test(raw)) throw usageError(`"${raw}" is not a valid ${what} id.`, `ids look like 6f1c1d3e-2b6a-4f0e-9f55-0b8f0e2f6c1a; run \`${listCommand}\``);
  return raw.toLowerCase();
}
