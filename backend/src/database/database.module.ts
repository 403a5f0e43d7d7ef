import { Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { ModuleRef } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { databaseConfig, loadDatabaseConfig } from './database.config';
import { runMigrationsLocked } from './migration-lock';
import { buildDataSourceOptions } from './data-source-options';
import { ResolvedDatabase } from './resolved-database';
import { MigrationStatus } from './migration-status';
import { Transactions } from './transactions';

/** Resolves the database (external or embedded) before TypeORM connects to it. */
@Global()
@Module({
  imports: [ConfigModule.forFeature(databaseConfig)],
  providers: [
    {
      provide: ResolvedDatabase,
      inject: [databaseConfig.KEY, ModuleRef],
      useFactory: (config: ConfigType<typeof databaseConfig>, moduleRef: ModuleRef) =>
        ResolvedDatabase.resolve(config, moduleRef),
    },
  ],
  exports: [ResolvedDatabase],
})
class DatabaseLocationModule {}

/** The unit of work (`Transactions`) for every module's services, and the schema's migration status for readiness. */
@Global()
@Module({ providers: [Transactions, MigrationStatus], exports: [Transactions, MigrationStatus] })
class TransactionsModule {}

@Module({
  imports: [
    DatabaseLocationModule,
    TypeOrmModule.forRootAsync({
      imports: [ConfigModule.forFeature(databaseConfig)],
      inject: [databaseConfig.KEY, ResolvedDatabase],
      useFactory: (config: ConfigType<typeof databaseConfig>, db: ResolvedDatabase) => ({
        ...buildDataSourceOptions(config, db.url, db.embedded !== null),
        // Run below, under an advisory lock, instead of TypeORM's unlocked run at initialize().
        migrationsRun: false,
        retryAttempts: 0,
      }),
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options!).initialize();
        // The factory only receives the options: the setting is read again (same environment).
        if (loadDatabaseConfig().migrationsRun) {
          // One pooled connection (the embedded engine) cannot also hold the lock's connection.
          const single = (options as { extra?: { max?: number } }).extra?.max === 1;
          await runMigrationsLocked(dataSource, single);
        }
        return dataSource;
      },
    }),
    TransactionsModule,
  ],
  exports: [DatabaseLocationModule, TransactionsModule],
})
export class DatabaseModule {}
