import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadAppConfig } from '../../config/app.config';
import { buildDataSourceOptions } from '../../database/data-source-options';
import { loadDatabaseConfig } from '../../database/database.config';
import { startEmbeddedPostgres } from '../../database/embedded-postgres';
import { loadAuthConfig } from '../auth.config';
import { deriveKeyEncryptionKey } from './key-encryption';
import { SigningKeysRepository } from './signing-keys.repository';

/**
 * `npm run keys:rotate`: adds a new ES256 key and makes it active. The previous key keeps
 * verifying (and stays in the JWKS) until JWT_MAX_TTL after now; keys past that are deleted.
 * Running instances pick the new key up within a minute (or at once on an unknown kid).
 * With the embedded database, stop Parley first (the data directory is locked while it runs).
 */
async function main(): Promise<number> {
  const app = loadAppConfig();
  const auth = loadAuthConfig();
  if (auth.envKey) {
    console.error('Signing keys come from JWT_PRIVATE_KEY: rotate by setting a new key and moving the old public key to JWT_PREVIOUS_PUBLIC_KEYS.');
    return 2;
  }
  const database = loadDatabaseConfig();
  const embedded = database.url ? null : await startEmbeddedPostgres({ dataDir: database.dataDir, maxConnections: 2 });
  const dataSource = new DataSource({ ...buildDataSourceOptions(database, database.url ?? embedded!.url), migrationsRun: false });
  try {
    await dataSource.initialize();
    const result = await new SigningKeysRepository(dataSource, deriveKeyEncryptionKey(app.secretKey)).rotate(auth.maxTokenTtlSeconds);
    console.log(`Active signing key: ${result.kid}`);
    if (result.retired) console.log(`Retired ${result.retired.kid}; still accepted until ${result.retired.retireAfter.toISOString()}`);
    if (result.pruned.length) console.log(`Deleted expired keys: ${result.pruned.join(', ')}`);
    return 0;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`Key rotation failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
