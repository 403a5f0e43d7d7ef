import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { operationsConfig } from '../operations/operations.config';
import { MetricsController } from './metrics.controller';
import { ParleyMetrics } from './parley-metrics';

/** Prometheus metrics: one registry per app, recorded by any module, served at `GET /metrics`. */
@Global()
@Module({
  imports: [ConfigModule.forFeature(operationsConfig)],
  controllers: [MetricsController],
  providers: [ParleyMetrics],
  exports: [ParleyMetrics],
})
export class MetricsModule {}
