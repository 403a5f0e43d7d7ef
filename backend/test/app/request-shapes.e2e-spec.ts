import { IncomingMessage, type Server, ServerResponse } from 'node:http';
import request from 'supertest';
import { createTestApp, TestApp } from '../setup/test-app';

/**
 * Requests and responses are built with Express's prototypes from the start (common/http/shared-request-shapes.ts),
 * so Express's per-request `setPrototypeOf` changes nothing and they share hidden classes (docs/performance.md,
 * "lean-pipe"); and the app behaves the same: cookies parsed, Express's request and response methods there.
 */
describe('request and response shapes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('creates requests and responses with the Express prototypes before Express sees them', async () => {
    const express = t.app.getHttpAdapter().getInstance() as { request: object; response: object };
    const server = t.app.getHttpServer() as Server;
    const seen: Array<{ req: object | null; res: object | null }> = [];
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      expect(req).toBeInstanceOf(IncomingMessage);
      expect(res).toBeInstanceOf(ServerResponse);
      seen.push({ req: Object.getPrototypeOf(req), res: Object.getPrototypeOf(res) });
    };
    // Listeners run in order: Express's handler was registered first, so prepend ours to see the objects untouched.
    server.prependListener('request', onRequest);
    try {
      await request(server).get('/healthz').expect(200, { status: 'ok' });
    } finally {
      server.off('request', onRequest);
    }
    expect(seen).toHaveLength(1);
    expect(seen[0].req).toBe(express.request);
    expect(seen[0].res).toBe(express.response);
  });

  it('keeps Express working: cookies parsed where sent, none where not, JSON error bodies', async () => {
    const none = await request(t.app.getHttpServer()).get('/api/auth/me').expect(401);
    expect(none.body.code).toBe('unauthenticated');
    expect(none.headers['x-request-id']).toBeDefined();
    const express = t.app.getHttpAdapter().getInstance() as { request: { cookies?: unknown } };
    // The shared empty cookie object is the prototype's; a cookie request gets its own.
    expect(express.request.cookies).toEqual({});
    expect(Object.isFrozen(express.request.cookies)).toBe(true);
  });
});
