import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { databaseConfig } from '../database/database.config';
import { ClusterEvents } from './cluster-events';
import { GracefulShutdown } from './graceful-shutdown';
import { operationsConfig } from './operations.config';

/** Process-level concerns every module may use: the cluster broadcast and graceful shutdown. */
@Global()
@Module({
  imports: [ConfigModule.forFeature(operationsConfig), ConfigModule.forFeature(databaseConfig)],
  providers: [ClusterEvents, GracefulShutdown],
  exports: [ClusterEvents, GracefulShutdown],
})
export class OperationsModule {}
