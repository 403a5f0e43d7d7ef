/** Shared by the jest global setup and the per-file harness; no Nest here. */

export const WORKER_URLS_ENV = 'PARLEY_TEST_DB_URLS';

export function databaseNameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

/** The harness truncates tables: refuse anything that does not look like a test database. */
export function assertTestDatabase(url: string): void {
  const name = databaseNameOf(url);
  if (!/test/i.test(name)) {
    throw new Error(`Refusing to run tests against database "${name}": its name must contain "test".`);
  }
}

export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}

/** The database this jest worker owns (one per worker, so files in different workers never collide). */
export function workerDatabaseUrl(): string {
  const raw = process.env[WORKER_URLS_ENV];
  if (!raw) throw new Error(`${WORKER_URLS_ENV} is not set: run the tests through jest (global setup).`);
  const urls = JSON.parse(raw) as string[];
  const worker = Number(process.env.JEST_WORKER_ID ?? '1');
  const url = urls[(worker - 1) % urls.length];
  assertTestDatabase(url);
  return url;
}
