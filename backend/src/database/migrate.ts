import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { loadDatabaseConfig } from './database.config';
import { buildDataSourceOptions } from './data-source-options';
import { startEmbeddedPostgres } from './embedded-postgres';
import { runMigrationsLocked } from './migration-lock';

const USAGE = 'usage: migrate run | revert | show | generate <Name>';

/** Migration CLI that works on both PostgreSQL (DATABASE_URL) and the embedded database. */
async function main(argv: string[]): Promise<number> {
  const [command, name] = argv;
  if (!['run', 'revert', 'show', 'generate'].includes(command ?? '') || (command === 'generate' && !name)) {
    console.error(USAGE);
    return 2;
  }
  const config = loadDatabaseConfig();
  const embedded = config.url ? null : await startEmbeddedPostgres({ dataDir: config.dataDir, maxConnections: 2 });
  const dataSource = new DataSource({
    ...buildDataSourceOptions(config, config.url ?? embedded!.url, embedded !== null),
    migrationsRun: false,
    logging: ['error', 'schema', 'migration'],
  });
  try {
    await dataSource.initialize();
    switch (command) {
      case 'run': {
        const done = await runMigrationsLocked(dataSource, embedded !== null);
        console.log(done.length ? `Applied ${done.map((m) => m.name).join(', ')}` : 'No pending migrations.');
        break;
      }
      case 'revert':
        await dataSource.undoLastMigration({ transaction: 'each' });
        console.log('Reverted the last migration.');
        break;
      case 'show': {
        const pending = await dataSource.showMigrations();
        console.log(pending ? 'There are pending migrations.' : 'All migrations are applied.');
        return pending ? 1 : 0;
      }
      case 'generate': {
        const sql = await dataSource.driver.createSchemaBuilder().log();
        if (!sql.upQueries.length) {
          console.log('The entities match the schema: nothing to generate.');
          return 0;
        }
        const ts = Date.now();
        const className = `${name![0].toUpperCase()}${name!.slice(1)}${ts}`;
        const q = (s: string) => '`' + s.replace(/`/g, '\\`') + '`';
        const up = sql.upQueries.map((x) => `    await queryRunner.query(${q(x.query)});`).join('\n');
        const down = sql.downQueries
          .reverse()
          .map((x) => `    await queryRunner.query(${q(x.query)});`)
          .join('\n');
        const file = path.resolve(__dirname, '..', '..', 'src', 'database', 'migrations', `${ts}-${name}.ts`);
        fs.writeFileSync(
          file,
          `import { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class ${className} implements MigrationInterface {\n  name = '${className}';\n\n  async up(queryRunner: QueryRunner): Promise<void> {\n${up}\n  }\n\n  async down(queryRunner: QueryRunner): Promise<void> {\n${down}\n  }\n}\n`,
        );
        console.log(`Wrote ${path.relative(process.cwd(), file)}`);
        break;
      }
    }
    return 0;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
