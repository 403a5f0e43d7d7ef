import { Module } from '@nestjs/common';
import { WorkflowsModule } from '../workflows/workflows.module';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsService } from './analytics.service';

/** Owner analytics of a workflow (issue 19): `GET /api/workflows/:id/analytics`, read from the hourly rollup. */
@Module({
  imports: [WorkflowsModule],
  controllers: [AnalyticsController],
  providers: [AnalyticsService],
})
export class AnalyticsModule {}
