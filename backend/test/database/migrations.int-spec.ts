import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { loadDatabaseConfig } from '../../src/database/database.config';
import { MigrationStatus } from '../../src/database/migration-status';
import type { GracefulShutdown } from '../../src/operations/graceful-shutdown';
import { HealthService } from '../../src/health/health.service';
import { workerDatabaseUrl } from '../setup/test-database';

/** Every migration goes up, down and up again on the real engine; readiness follows. */
describe('migrations', () => {
  let ds: DataSource;
  beforeAll(async () => {
    ds = new DataSource({ ...buildDataSourceOptions(loadDatabaseConfig({}), workerDatabaseUrl()), migrationsRun: false });
    await ds.initialize();
    await ds.runMigrations();
  });
  afterAll(async () => {
    await ds.runMigrations();
    await ds.destroy();
  });

  const tables = async () =>
    (
      await ds.query<{ tablename: string }[]>(
        `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'migrations' ORDER BY 1`,
      )
    ).map((r) => r.tablename);

  it('reverts every migration down to an empty schema and re-applies them', async () => {
    const before = await tables();
    expect(before).toContain('audit_events');
    for (let i = 0; i < ds.migrations.length; i++) await ds.undoLastMigration();
    expect(await tables()).toEqual([]);
    await ds.runMigrations();
    expect(await tables()).toEqual(before);
  });

  it('reports not ready while a migration is pending', async () => {
    const lifecycle = { draining: false } as GracefulShutdown;
    const health = new HealthService(new MigrationStatus(ds), lifecycle);
    expect(await health.readiness()).toEqual({ ready: true, database: 'ok', migrations: 'applied', lifecycle: 'running' });
    await ds.undoLastMigration();
    expect(await health.readiness()).toEqual({ ready: false, database: 'ok', migrations: 'pending', lifecycle: 'running' });
    await ds.runMigrations();
    expect((await health.readiness()).ready).toBe(true);
  });

  it('keeps audit_events append-only', async () => {
    await ds.query(`INSERT INTO audit_events (actor_kind, action) VALUES ('system', 'test.event')`);
    await expect(ds.query(`UPDATE audit_events SET action = 'changed'`)).rejects.toThrow(/append-only/);
    await ds.query(`TRUNCATE audit_events`);
  });
});
