import { Controller, Get, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import type { Principal } from '../../src/auth/principal';
import { Public } from '../../src/common/http/public.decorator';
import { RateLimit, SkipRateLimit } from '../../src/ratelimit/ratelimit.decorators';
import type { TestApp } from '../setup/test-app';

export const REQUEST_ID = expect.stringMatching(/^[0-9a-f-]{36}$/);

let counter = 0;
/** A client address no other test in this process uses (198.18.0.0/15, the benchmarking range). */
export function freshIp(): string {
  const n = ++counter;
  return `198.${18 + ((n >> 16) & 1)}.${(n >> 8) & 255}.${n & 255}`;
}

export interface TestOwner {
  userId: string;
  accessToken: string;
  /** A personal access token of the same owner. */
  pat: string;
}

/** Registers and signs in an owner and creates a personal token, each call from a fresh address (setup must not use the buckets under test). */
export async function createOwner(t: TestApp, name = 'owner'): Promise<TestOwner> {
  const http = () => request(t.app.getHttpServer());
  const email = `${name}-${process.pid}-${++counter}@example.com`;
  const password = 'correct horse battery staple';
  await http().post('/api/auth/register').set('X-Forwarded-For', freshIp()).send({ email, password }).expect(201);
  const login = await http().post('/api/auth/login').set('X-Forwarded-For', freshIp()).send({ email, password }).expect(200);
  const accessToken = login.body.accessToken as string;
  const pat = await http()
    .post('/api/auth/tokens')
    .set('X-Forwarded-For', freshIp())
    .set('Authorization', `Bearer ${accessToken}`)
    .send({ name: 'rate-limit test' })
    .expect(201);
  return { userId: login.body.user.id as string, accessToken, pat: pat.body.token as string };
}

/** The `RateLimit-*` headers of a response, as numbers (undefined when absent). */
export function limitHeaders(res: { headers: Record<string, unknown> }): { limit?: number; remaining?: number; reset?: number } {
  const n = (name: string) => (res.headers[name] === undefined ? undefined : Number(res.headers[name]));
  return { limit: n('ratelimit-limit'), remaining: n('ratelimit-remaining'), reset: n('ratelimit-reset') };
}

/** Header names the test middleware reads to play the publish-token verifier. */
export const VISITOR_HEADER = 'x-test-visitor';
export const LINK_HEADER = 'x-test-link';

/**
 * Stands in for the publish-token verifier (built by the gateway, which attaches the visitor
 * principal before the rate limiter runs): sets `req.principal` to a visitor of a share link.
 */
function visitorPrincipal(req: Request, _res: Response, next: NextFunction): void {
  const visitorId = req.header(VISITOR_HEADER);
  const publishLinkId = req.header(LINK_HEADER);
  if (visitorId && publishLinkId) {
    (req as Request & { principal?: Principal }).principal = { kind: 'visitor', visitorId, workflowId: 'wf-test', publishLinkId };
  }
  next();
}

@Controller('api/test-ratelimit')
class RateLimitTestController {
  @Get('visitor')
  @Public()
  visitor(): { ok: true } {
    return { ok: true };
  }

  @Get('strict')
  @Public()
  @RateLimit({ ip: { limit: 2 } })
  strict(): { ok: true } {
    return { ok: true };
  }

  @Get('unlimited')
  @Public()
  @SkipRateLimit()
  unlimited(): { ok: true } {
    return { ok: true };
  }

  @Get('no-ip-bucket')
  @Public()
  @SkipRateLimit('ip')
  noIpBucket(): { ok: true } {
    return { ok: true };
  }
}

/** Test-only routes: a visitor route (principal from headers), a route with its own limit, opted-out routes. */
@Module({ controllers: [RateLimitTestController] })
export class RateLimitTestModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(visitorPrincipal).forRoutes(RateLimitTestController);
  }
}
