import { Controller, Get, Header, Inject, Req, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiErrors } from '../common/errors/api-errors.decorator';
import { DomainError } from '../common/errors/domain-error';
import { Public } from '../common/http/public.decorator';
import { operationsConfig } from '../operations/operations.config';
import { ParleyMetrics } from './parley-metrics';

/** SHA-256 first, so the comparison is constant-time whatever the lengths. */
function sameSecret(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

@ApiTags('operations')
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: ParleyMetrics,
    @Inject(operationsConfig.KEY) private readonly config: ConfigType<typeof operationsConfig>,
  ) {}

  @Get('metrics')
  // Not a user credential: when METRICS_TOKEN is set, this route checks it itself.
  @Public()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics (text exposition format)',
    description:
      'Send `Authorization: Bearer <METRICS_TOKEN>`. Production refuses to start without `METRICS_TOKEN`; outside production ' +
      'an unset token leaves the route open. Keep it off the public proxy either way. Labels never carry ids or tokens. ' +
      'Metric names and suggested alerts: docs/operations.md.',
  })
  @ApiSecurity('bearer')
  @ApiOkResponse({ description: 'Prometheus text format 0.0.4.', content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiErrors('unauthenticated')
  async scrape(@Req() req: Request, @Res() res: Response): Promise<void> {
    const token = this.config.metricsToken;
    if (token) {
      const header = req.header('authorization') ?? '';
      const presented = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? '';
      if (!presented || !sameSecret(presented, token)) {
        throw new DomainError('unauthenticated', 'GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`.', undefined, {
          'WWW-Authenticate': 'Bearer realm="metrics"',
        });
      }
    }
    const { contentType, body } = await this.metrics.exposition();
    res.status(200).setHeader('Content-Type', contentType);
    res.end(body);
  }
}
