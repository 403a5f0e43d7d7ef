import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadDatabaseConfig } from './database.config';
import { buildDataSourceOptions } from './data-source-options';

/**
 * For the TypeORM CLI against an external PostgreSQL (`DATABASE_URL` required).
 * `npm run migration:*` uses `migrate.ts`, which also handles the embedded database.
 */
const config = loadDatabaseConfig();
if (!config.url) throw new Error('The TypeORM CLI needs DATABASE_URL; use `npm run migration:run` for the embedded database.');
export default new DataSource({ ...buildDataSourceOptions(config, config.url), migrationsRun: false });
