import { Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { ModuleRef } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { databaseConfig } from './database.config';
import { buildDataSourceOptions } from './data-source-options';
import { ResolvedDatabase } from './resolved-database';

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

@Module({
  imports: [
    DatabaseLocationModule,
    TypeOrmModule.forRootAsync({
      imports: [ConfigModule.forFeature(databaseConfig)],
      inject: [databaseConfig.KEY, ResolvedDatabase],
      useFactory: (config: ConfigType<typeof databaseConfig>, db: ResolvedDatabase) => ({
        ...buildDataSourceOptions(config, db.url, db.embedded !== null),
        retryAttempts: 0,
      }),
    }),
  ],
  exports: [DatabaseLocationModule],
})
export class DatabaseModule {}
