import * as path from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from './database.config';

/**
 * The one DataSource options object, shared by the app, the test harness and the
 * migration CLI. Entities and migrations are found by file name so that compiled
 * (`dist/**.js`) and source (`src/**.ts`, under jest) trees both work.
 */
export function buildDataSourceOptions(config: DatabaseConfig, url: string, embedded = false): DataSourceOptions {
  const root = path.resolve(__dirname, '..');
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: config.migrationsRun,
    migrationsTransactionMode: 'each',
    installExtensions: false,
    entities: [path.join(root, '**', '*.entity.{ts,js}')],
    migrations: [path.join(root, 'database', 'migrations', '*.{ts,js}')],
    migrationsTableName: 'migrations',
    ssl: config.ssl ? { rejectUnauthorized: true } : false,
    // PGlite is one backend session behind pglite-socket: concurrent connections interleave their
    // extended-protocol messages ("portal does not exist"), so the embedded database gets exactly
    // one pooled connection. Transactions must use their EntityManager only (no second connection).
    extra: { max: embedded ? 1 : config.poolSize, connectionTimeoutMillis: 10_000 },
  };
}
