import type { DataSource, Migration } from 'typeorm';

/** The advisory lock every Parley process takes around migrations (an arbitrary, fixed 64-bit key). */
export const MIGRATION_LOCK_KEY = '7306480117283594241';

/**
 * Applies pending migrations while holding a PostgreSQL advisory lock, so instances starting
 * together (two replicas, a rolling deploy, a migration job racing a replica) migrate one after
 * the other: the second waits, then finds nothing pending. The lock lives on a connection of its
 * own and ends with it, even if this process dies.
 *
 * `singleConnection`: a pool of one (the embedded PGlite engine: one process, nobody to race)
 * cannot hold the lock's connection and run the migrations too, so it runs them unlocked.
 */
export async function runMigrationsLocked(dataSource: DataSource, singleConnection: boolean): Promise<Migration[]> {
  if (singleConnection) return dataSource.runMigrations({ transaction: 'each' });
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    return await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}
