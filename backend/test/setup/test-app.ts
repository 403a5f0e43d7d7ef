import { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test, TestingModuleBuilder } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/configure-app';
import { workerDatabaseUrl } from './test-database';

export interface TestAppOptions {
  /** Extra environment for this app (restored on close). */
  env?: Record<string, string | undefined>;
  /** Extra modules (e.g. a test-only controller). */
  imports?: ModuleMetadata['imports'];
  /** Provider overrides, e.g. the clock or the log destination. */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  /** Keep rows from an earlier app in this file (default: truncate). */
  keepData?: boolean;
}

export interface TestApp {
  app: INestApplication;
  dataSource: DataSource;
  /** Base URL of the listening server (for real-HTTP clients such as fetch). */
  baseUrl: string;
  close(): Promise<void>;
}

/** Sets env vars and returns a function that restores the previous values. */
export function setEnv(vars: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => setEnv(previous);
}

/** Empties every table except the migration log, so each test file starts clean. */
export async function resetDatabase(dataSource: DataSource): Promise<void> {
  const rows = await dataSource.query<{ tablename: string }[]>(
    `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'migrations'`,
  );
  if (rows.length) {
    await dataSource.query(`TRUNCATE ${rows.map((r) => `"${r.tablename}"`).join(', ')} RESTART IDENTITY CASCADE`);
  }
}

/**
 * The e2e harness: the real AppModule on this worker's database, configured by the same
 * `configureApp()` as production, listening on a loopback port.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const restoreEnv = setEnv({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: workerDatabaseUrl(),
    DATABASE_MIGRATIONS_RUN: 'true',
    // One connection on the embedded engine (see buildDataSourceOptions); a real pool on PostgreSQL.
    DATABASE_POOL_SIZE: process.env.PARLEY_TEST_DB_KIND === 'embedded' ? '1' : '4',
    PUBLIC_BASE_URL: 'http://localhost:3000',
    // Tool servers, MCP servers and model fakes run on loopback; SSRF tests turn this off.
    OUTBOUND_ALLOW_PRIVATE: 'true',
    ...options.env,
  });
  try {
    let builder = Test.createTestingModule({ imports: [AppModule, ...(options.imports ?? [])] });
    if (options.override) builder = options.override(builder);
    const moduleRef = await builder.compile();
    // Compiling connects and migrates; lifecycle hooks (which may read or seed tables, such as
    // the signing keys) run at listen. Truncate in between so they see the clean database.
    const dataSource = moduleRef.get(DataSource);
    if (!options.keepData) await resetDatabase(dataSource);
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      configureApp(app);
      await app.listen(0, '127.0.0.1');
    } catch (err) {
      // A failed boot (a test may expect one) must not leak its connection pool.
      await app.close().catch(() => undefined);
      throw err;
    }
    const address = app.getHttpServer().address() as { port: number };
    return {
      app,
      dataSource,
      baseUrl: `http://127.0.0.1:${address.port}`,
      async close() {
        try {
          await app.close();
        } finally {
          restoreEnv();
        }
      },
    };
  } catch (err) {
    restoreEnv();
    throw err;
  }
}
