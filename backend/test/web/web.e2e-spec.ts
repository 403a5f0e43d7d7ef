import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { loadWebConfig, webConfig } from '../../src/web/web.config';
import { createTestApp, TestApp } from '../setup/test-app';

/** Built front ends are served from this server with the right cache and CORS headers. */
describe('front-end serving and /api/config', () => {
  let t: TestApp;
  let dir: string;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-web-'));
    const host = path.join(dir, 'host');
    const widget = path.join(dir, 'widget');
    fs.mkdirSync(path.join(host, 'assets'), { recursive: true });
    fs.mkdirSync(path.join(widget, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(host, 'index.html'), '<!doctype html><title>Parley</title>');
    fs.writeFileSync(path.join(host, 'assets', 'app-abc123.js'), 'console.log(1)');
    fs.writeFileSync(path.join(widget, 'mf-manifest.json'), '{"name":"parley_widget"}');
    fs.writeFileSync(path.join(widget, 'remoteEntry.js'), 'export {}');
    fs.writeFileSync(path.join(widget, 'assets', 'chunk-def456.js'), 'export {}');
    const config = { ...loadWebConfig({ CHATKIT_DOMAIN_KEY: 'domain_pk_test', CHATKIT_SCRIPT_URL: 'https://chatkit.cdn.example/deployments/chatkit/chatkit.js' }), hostDist: host, widgetDist: widget };
    t = await createTestApp({
      env: { CHATKIT_CANVAS_ENABLED: 'false' },
      override: (b) => b.overrideProvider(webConfig.KEY).useValue(config),
    });
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers /api/config with the runtime contract', async () => {
    const res = await http().get('/api/config').expect(200);
    expect(res.body).toEqual({
      widgetManifestUrl: '/widget/mf-manifest.json',
      features: { canvasChat: false, publicChat: true },
      oidcEnabled: expect.any(Boolean),
      chatkit: { domainKey: 'domain_pk_test', scriptUrl: 'https://chatkit.cdn.example/deployments/chatkit/chatkit.js' },
    });
  });

  it('serves the remote manifest and entry no-cache, hashed chunks immutable, readable cross-origin', async () => {
    const manifest = await http().get('/widget/mf-manifest.json').expect(200);
    expect(manifest.headers['cache-control']).toBe('no-cache');
    expect(manifest.headers['access-control-allow-origin']).toBe('*');
    expect((await http().get('/widget/remoteEntry.js').expect(200)).headers['cache-control']).toBe('no-cache');
    const chunk = await http().get('/widget/assets/chunk-def456.js').expect(200);
    expect(chunk.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('serves the host and its client-side routes, but never shadows the API', async () => {
    for (const route of ['/', '/login', '/workflows/123', '/chat/00000000-0000-4000-8000-000000000000']) {
      const res = await http().get(route).expect(200);
      expect(res.text).toContain('<title>Parley</title>');
      expect(res.headers['cache-control']).toBe('no-cache');
    }
    expect((await http().get('/assets/app-abc123.js').expect(200)).headers['cache-control']).toContain('immutable');
    const api = await http().get('/api/nope').expect(404);
    expect(api.body.code).toBe('not_found');
    await http().get('/not-a-client-route').expect(404);
  });

  it('/api/config is readable from any origin, without credentials (hosts and embeds read it)', async () => {
    const res = await http().get('/api/config').set('Origin', 'https://shop.example.org').expect(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    const preflight = await http().options('/api/config').set('Origin', 'https://shop.example.org').set('Access-Control-Request-Method', 'GET');
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    // Other API routes keep the credentialed allowlist.
    const other = await http().get('/api/workflows').set('Origin', 'https://shop.example.org');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("the pages' CSP allows exactly the ChatKit script's origin (script, frame, connect) and stays strict otherwise", async () => {
    const res = await http().get('/chat/00000000-0000-4000-8000-000000000000').expect(200);
    const csp = Object.fromEntries(
      String(res.headers['content-security-policy'])
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    );
    expect(csp['script-src']).toEqual(["'self'", 'https://chatkit.cdn.example']);
    expect(csp['frame-src']).toEqual(["'self'", 'https://chatkit.cdn.example']);
    expect(csp['connect-src']).toEqual(["'self'", 'https://chatkit.cdn.example']);
    expect(csp['default-src']).toEqual(["'self'"]);
    expect(csp['object-src']).toEqual(["'none'"]);
    expect(csp['frame-ancestors']).toEqual(["'self'"]);
  });
});
