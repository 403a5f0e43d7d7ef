import { Client } from 'pg';
import { startEmbeddedPostgres, EmbeddedPostgres } from '../../src/database/embedded-postgres';
import { assertTestDatabase, databaseNameOf, withDatabaseName, WORKER_URLS_ENV } from './test-database';

declare global {
  var __PARLEY_EMBEDDED__: EmbeddedPostgres[] | undefined;
}

/**
 * One database per jest worker. With TEST_DATABASE_URL (CI: PostgreSQL 15) the workers get
 * fresh `<name>_w<N>` databases on that server; otherwise each worker gets its own in-memory
 * PGlite, started here because PGlite cannot start inside jest's module sandbox.
 */
export default async function globalSetup(globalConfig: { maxWorkers: number }): Promise<void> {
  const workers = Math.max(1, globalConfig.maxWorkers || 1);
  const external = process.env.TEST_DATABASE_URL;
  const urls: string[] = [];
  if (external) {
    assertTestDatabase(external);
    const admin = new Client({ connectionString: external });
    await admin.connect();
    try {
      for (let i = 1; i <= workers; i++) {
        const name = `${databaseNameOf(external)}_w${i}`;
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await admin.query(`CREATE DATABASE "${name}"`);
        urls.push(withDatabaseName(external, name));
      }
    } finally {
      await admin.end();
    }
  } else {
    const servers = await Promise.all(
      Array.from({ length: workers }, (_, i) =>
        startEmbeddedPostgres({ dataDir: null, maxConnections: 10, databaseName: `parley_test_w${i + 1}` }),
      ),
    );
    globalThis.__PARLEY_EMBEDDED__ = servers;
    urls.push(...servers.map((s) => s.url));
  }
  process.env[WORKER_URLS_ENV] = JSON.stringify(urls);
  process.env.PARLEY_TEST_DB_KIND = external ? 'postgres' : 'embedded';
}
