import { Controller, ExecutionContext, Get, INestApplication, Injectable, Module, Post, Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { Request } from 'express';
import request from 'supertest';
import { Auth, CurrentPrincipal } from '../../src/auth/auth.decorators';
import { ExpiredTokenError, InvalidTokenError } from '../../src/auth/auth.errors';
import { GlobalAuthGuard } from '../../src/auth/guards/auth.guard';
import { RouteAuthInspector } from '../../src/auth/guards/route-auth.inspector';
import { VerifierRegistry } from '../../src/auth/guards/verifier.registry';
import { AuthVerifier, PrincipalVerifier } from '../../src/auth/auth.verifiers';
import { Principal, UserPrincipal, VisitorPrincipal } from '../../src/auth/principal';
import { AllExceptionsFilter } from '../../src/common/errors/all-exceptions.filter';
import { Public } from '../../src/common/http/public.decorator';
import { requestIdMiddleware } from '../../src/common/http/request-id';
import { buildOpenApiDocument } from '../../src/openapi/openapi';
import { createTestApp, TestApp } from '../setup/test-app';
import { errorBody, REQUEST_ID } from './helpers';

describe('the global guard in the application', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('every route declares @Public() or @Auth()', () => {
    const routes = t.app.get(RouteAuthInspector).routes();
    expect(routes.filter((r) => !r.public && !r.modes).map((r) => r.route)).toEqual([]);
    // Spot-check the inspector itself, so an empty walk cannot pass.
    expect(routes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ route: 'GET /api/auth/me', public: false, modes: ['jwt'] }),
        expect.objectContaining({ route: 'DELETE /api/auth/tokens/:id', public: false, modes: ['jwt'] }),
        expect.objectContaining({ route: 'POST /api/auth/login', public: true, modes: null }),
        expect.objectContaining({ route: 'GET /.well-known/jwks.json', public: true }),
        expect.objectContaining({ route: 'GET /healthz', public: true }),
      ]),
    );
  });

  it("writes @Auth's security requirement and 401/403 responses into the OpenAPI document", () => {
    const doc = buildOpenApiDocument(t.app);
    const schemes = doc.components!.securitySchemes!;
    expect(Object.keys(schemes).sort()).toEqual(['bearer', 'oauthSession', 'publishToken', 'serverKey', 'visitorToken']);
    expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.serverKey).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'wsk_…' });
    expect(schemes.oauthSession).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'parley_oauth' });
    expect(schemes.publishToken).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Parley-Publish-Token' });
    expect(schemes.visitorToken).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Parley-Visitor' });

    const me = doc.paths['/api/auth/me'].get!;
    expect(me.security).toEqual([{ bearer: [] }]);
    expect(me.summary).toBe('The signed-in owner');
    expect(Object.keys(me.responses).sort()).toEqual(['200', '401', '403', '429', '500', '503']);
    expect((me.responses['401'] as { description: string }).description).toBe('`unauthenticated`, `token_expired`, `token_invalid`');
    expect((me.responses['403'] as { description: string }).description).toBe('`forbidden`, `csrf_failed`');

    // Class-level @Auth plus route-level @ApiErrors accumulate.
    const revoke = doc.paths['/api/auth/tokens/{id}'].delete!;
    expect(revoke.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(revoke.responses).sort()).toEqual(['204', '400', '401', '403', '404', '429', '500', '503']);

    const login = doc.paths['/api/auth/login'].post!;
    expect(login.security).toBeUndefined();
    expect((login.responses['401'] as { description: string }).description).toBe('`invalid_credentials`');
    expect((login.responses['429'] as { description: string }).description).toBe('`rate_limited`');
    expect(doc.paths['/.well-known/jwks.json'].get!.security).toBeUndefined();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const op of Object.values(item as Record<string, { summary?: string }>)) expect({ path, summary: op.summary }).toEqual({ path, summary: expect.any(String) });
    }
  });
});

/*
 * The guard alone, with stand-in verifiers: its rules are tested independently of the real
 * verifiers (which other modules add over time) and without a database.
 */

const header = (req: Request, name: string) => req.headers[name] as string | undefined;

/** `X-Test-Owner: ok | expired | bad` stands in for the owner JWT. */
@AuthVerifier('jwt')
@Injectable()
class FakeOwnerVerifier implements PrincipalVerifier {
  hasCredential(req: Request): boolean {
    return header(req, 'x-test-owner') !== undefined;
  }

  async verify(context: ExecutionContext): Promise<UserPrincipal | null> {
    const value = header(context.switchToHttp().getRequest<Request>(), 'x-test-owner');
    if (value === 'expired') throw new ExpiredTokenError();
    if (value !== 'ok') throw new InvalidTokenError();
    return { kind: 'user', userId: 'u1', email: 'u1@example.com', credential: 'access_token' };
  }
}

/** `X-Test-Publish: ok | bad` stands in for the share-link verifier a later issue adds. */
@AuthVerifier('publishToken')
@Injectable()
class FakePublishVerifier implements PrincipalVerifier {
  hasCredential(req: Request): boolean {
    return header(req, 'x-test-publish') !== undefined;
  }

  async verify(context: ExecutionContext): Promise<VisitorPrincipal | null> {
    if (header(context.switchToHttp().getRequest<Request>(), 'x-test-publish') !== 'ok') throw new InvalidTokenError();
    return { kind: 'visitor', visitorId: 'v1', workflowId: 'w1', publishLinkId: 'l1' };
  }
}

@Controller('probe')
class ProbeController {
  @Get('undeclared')
  undeclared(): string {
    return 'should never be served';
  }

  @Get('public')
  @Public()
  open(): { ok: true } {
    return { ok: true };
  }

  @Get('owner')
  @Auth('jwt')
  owner(@CurrentPrincipal('user') principal: UserPrincipal): Principal {
    return principal;
  }

  @Get('publish')
  @Auth('publishToken')
  publish(@CurrentPrincipal() principal: Principal): Principal {
    return principal;
  }

  @Post('either')
  @Auth('jwt', 'publishToken')
  either(@CurrentPrincipal() principal: Principal): { kind: string } {
    return { kind: principal.kind };
  }

  @Get('users-only-handler')
  @Auth('publishToken')
  usersOnly(@CurrentPrincipal('user') principal: Principal): Principal {
    return principal;
  }
}

@Auth('jwt')
@Controller('probe-class')
class ClassLevelController {
  @Get()
  get(@CurrentPrincipal() principal: Principal): { kind: string } {
    return { kind: principal.kind };
  }

  @Get('open')
  @Public()
  open(): { ok: true } {
    return { ok: true };
  }
}

@Controller('probe-oauth')
class OAuthWithoutVerifierController {
  @Get()
  @Auth('oauthSession')
  get(): string {
    return 'x';
  }
}

async function guardApp(controllers: Type[], verifiers: Type[]): Promise<INestApplication> {
  @Module({
    imports: [DiscoveryModule],
    controllers,
    providers: [
      { provide: APP_GUARD, useClass: GlobalAuthGuard },
      { provide: APP_FILTER, useClass: AllExceptionsFilter },
      VerifierRegistry,
      RouteAuthInspector,
      ...verifiers,
    ],
  })
  class GuardTestModule {}
  const moduleRef = await Test.createTestingModule({ imports: [GuardTestModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.use(requestIdMiddleware);
  try {
    await app.init();
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  return app;
}

describe('the global guard on its own', () => {
  let app: INestApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await guardApp([ProbeController, ClassLevelController], [FakeOwnerVerifier, FakePublishVerifier]);
  });
  afterAll(() => app.close());

  it('denies a route that declares neither (deny by default), even with a valid credential', async () => {
    const anonymous = await http().get('/probe/undeclared').expect(403);
    expect(anonymous.body).toEqual({ statusCode: 403, code: 'forbidden', message: 'This route is not available.', requestId: REQUEST_ID });
    await http().get('/probe/undeclared').set('X-Test-Owner', 'ok').expect(403);
    await http().get('/probe/public').expect(200, { ok: true });
  });

  it('hands the verifier’s principal to the handler', async () => {
    const res = await http().get('/probe/owner').set('X-Test-Owner', 'ok').expect(200);
    expect(res.body).toEqual({ kind: 'user', userId: 'u1', email: 'u1@example.com', credential: 'access_token' });
    expect((await http().get('/probe/publish').set('X-Test-Publish', 'ok').expect(200)).body.kind).toBe('visitor');
  });

  it('answers 401 unauthenticated without a credential, and the verifier’s error for a bad one', async () => {
    expect((await http().get('/probe/owner').expect(401)).body).toEqual({
      statusCode: 401,
      code: 'unauthenticated',
      message: 'Authentication is required.',
      requestId: REQUEST_ID,
    });
    expect((await http().get('/probe/owner').set('X-Test-Owner', 'bad').expect(401)).body).toEqual(errorBody(401, 'token_invalid'));
    expect((await http().get('/probe/owner').set('X-Test-Owner', 'expired').expect(401)).body).toEqual(errorBody(401, 'token_expired'));
  });

  it('answers 403 forbidden when only a credential of a mode the route does not accept is present (wrong mode)', async () => {
    const res = await http().get('/probe/publish').set('X-Test-Owner', 'ok').expect(403);
    expect(res.body).toEqual({ statusCode: 403, code: 'forbidden', message: 'This route does not accept this kind of credential.', requestId: REQUEST_ID });
    expect((await http().get('/probe/owner').set('X-Test-Publish', 'ok').expect(403)).body).toEqual(errorBody(403, 'forbidden'));
  });

  it('accepts any of several declared modes; a bad credential of one does not hide a good one of another', async () => {
    expect((await http().post('/probe/either').set('X-Test-Owner', 'ok').expect(201)).body).toEqual({ kind: 'user' });
    expect((await http().post('/probe/either').set('X-Test-Publish', 'ok').expect(201)).body).toEqual({ kind: 'visitor' });
    expect((await http().post('/probe/either').set('X-Test-Owner', 'bad').set('X-Test-Publish', 'ok').expect(201)).body).toEqual({ kind: 'visitor' });
    expect((await http().post('/probe/either').expect(401)).body).toEqual(errorBody(401, 'unauthenticated'));
  });

  it('reports the most specific failure when every accepted mode fails', async () => {
    const res = await http().post('/probe/either').set('X-Test-Owner', 'expired').set('X-Test-Publish', 'bad').expect(401);
    expect(res.body).toEqual(errorBody(401, 'token_expired'));
  });

  it('applies a class-level @Auth, and a method-level @Public() overrides it', async () => {
    await http().get('/probe-class').expect(401);
    expect((await http().get('/probe-class').set('X-Test-Owner', 'ok').expect(200)).body).toEqual({ kind: 'user' });
    await http().get('/probe-class/open').expect(200, { ok: true });
  });

  it('@CurrentPrincipal(kind) refuses a principal of another kind', async () => {
    expect((await http().get('/probe/users-only-handler').set('X-Test-Publish', 'ok').expect(403)).body).toEqual(errorBody(403, 'forbidden'));
  });

  it('writes one OpenAPI security alternative per accepted mode', () => {
    const doc = buildOpenApiDocument(app);
    expect(doc.paths['/probe/either'].post!.security).toEqual([{ bearer: [] }, { publishToken: [] }]);
    expect(doc.paths['/probe-class'].get!.security).toEqual([{ bearer: [] }]);
  });

  it('refuses to start when a route accepts a mode that no verifier proves', async () => {
    await expect(guardApp([OAuthWithoutVerifierController], [FakeOwnerVerifier])).rejects.toThrow(
      /GET \/probe-oauth accepts @Auth\('oauthSession'\) but no provider is marked @AuthVerifier\('oauthSession'\)/,
    );
  });

  it('refuses two verifiers for one mode', async () => {
    @AuthVerifier('jwt')
    @Injectable()
    class SecondOwnerVerifier extends FakeOwnerVerifier {}
    await expect(guardApp([ProbeController], [FakeOwnerVerifier, SecondOwnerVerifier, FakePublishVerifier])).rejects.toThrow(
      /Two providers are marked @AuthVerifier\('jwt'\)/,
    );
  });
});
