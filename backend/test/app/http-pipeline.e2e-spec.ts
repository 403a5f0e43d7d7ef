import request from 'supertest';
import { createTestApp, TestApp } from '../setup/test-app';

describe('HTTP pipeline', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { CORS_ORIGINS: 'https://app.example.com,https://other.example.com', TRUST_PROXY: '1' } });
  });
  afterAll(() => t.close());

  it('serves liveness and readiness', async () => {
    await request(t.app.getHttpServer()).get('/healthz').expect(200, { status: 'ok' });
    const ready = await request(t.app.getHttpServer()).get('/readyz').expect(200);
    expect(ready.body).toEqual({ status: 'ok', database: 'ok', migrations: 'applied', lifecycle: 'running' });
  });

  it('sets security headers', async () => {
    const res = await request(t.app.getHttpServer()).get('/healthz');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('sets the lean API header set on /api/* responses a browser does not render, the full set on pages', async () => {
    // A fetch-style API call (JSON error body here): nosniff, a deny-all CSP, CORP, HSTS, and no document-only headers.
    const api = await request(t.app.getHttpServer()).get('/api/workflows').set('Accept', 'application/json');
    expect(api.status).toBe(401);
    expect(api.body.code).toBeDefined();
    expect(api.headers['x-content-type-options']).toBe('nosniff');
    expect(api.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(api.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(api.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    for (const documentOnly of ['x-frame-options', 'x-xss-protection', 'x-dns-prefetch-control', 'origin-agent-cluster', 'cross-origin-opener-policy', 'referrer-policy']) {
      expect(api.headers[documentOnly]).toBeUndefined();
    }
    // A browser navigation under /api/ (OIDC is not configured here: the HTML error page): helmet's full document set.
    const page = await request(t.app.getHttpServer()).get('/api/auth/oidc/login').set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8');
    expect(page.status).toBeGreaterThanOrEqual(400);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    // Swagger UI is a page under /api/.
    const docs = await request(t.app.getHttpServer()).get('/api/docs/').set('Accept', 'text/html');
    expect(docs.headers['content-security-policy']).toContain("default-src 'self'");
    expect(docs.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('answers CORS with credentials for allow-listed origins only', async () => {
    const allowed = await request(t.app.getHttpServer())
      .options('/healthz')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'POST');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    const denied = await request(t.app.getHttpServer())
      .options('/healthz')
      .set('Origin', 'https://evil.example.com')
      .set('Access-Control-Request-Method', 'POST');
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('applies the configured trust proxy setting', () => {
    expect(t.app.getHttpAdapter().getInstance().get('trust proxy')).toBe(1);
  });

  it('serves Swagger UI and the OpenAPI JSON', async () => {
    const ui = await request(t.app.getHttpServer()).get('/api/docs/').expect(200);
    expect(ui.text).toContain('swagger-ui');
    const doc = await request(t.app.getHttpServer()).get('/api/docs-json').expect(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(doc.body.components.schemas.ErrorResponse).toBeDefined();
  });
});
