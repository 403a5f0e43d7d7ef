import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { HealthService } from './health.service';
import { Public } from '../common/http/public.decorator';
import { SkipRateLimit } from '../ratelimit/ratelimit.decorators';

class LivenessDto {
  @ApiProperty({ example: 'ok' })
  status: 'ok';
}

class ReadinessDto {
  @ApiProperty({ enum: ['ok', 'unavailable'] })
  status: 'ok' | 'unavailable';

  @ApiProperty({ enum: ['ok', 'unreachable'] })
  database: 'ok' | 'unreachable';

  @ApiProperty({ enum: ['applied', 'pending', 'unknown'] })
  migrations: 'applied' | 'pending' | 'unknown';

  @ApiProperty({ enum: ['running', 'draining'], description: '`draining` after SIGTERM: stop routing new requests here.' })
  lifecycle: 'running' | 'draining';
}

@ApiTags('operations')
// Probes come from the orchestrator, often through one address: never rate limited.
@SkipRateLimit()
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('healthz')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process is running' })
  @ApiOkResponse({ type: LivenessDto })
  liveness(): LivenessDto {
    return { status: 'ok' };
  }

  @Get('readyz')
  @Public()
  @ApiOperation({ summary: 'Readiness: not shutting down, the database is reachable and migrations are applied' })
  @ApiOkResponse({ type: ReadinessDto })
  @ApiServiceUnavailableResponse({ type: ReadinessDto })
  async readiness(@Res({ passthrough: true }) res: Response): Promise<ReadinessDto> {
    const r = await this.health.readiness();
    res.status(r.ready ? 200 : 503).setHeader('Cache-Control', 'no-store');
    return { status: r.ready ? 'ok' : 'unavailable', database: r.database, migrations: r.migrations, lifecycle: r.lifecycle };
  }
}
