import request from 'supertest';
import { chatkit, chatter, createChatApp, createThread } from '../chatkit/helpers';
import type { TestApp } from '../setup/test-app';
import { metricValue, parseMetrics, scrape } from './metrics-text';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const METRICS_TOKEN = 'metrics-test-token-0123456789';

describe('GET /metrics', () => {
  describe('open (no METRICS_TOKEN)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createChatApp();
    });
    afterAll(() => t.close());

    it('answers the Prometheus text format with process and HTTP metrics', async () => {
      await request(t.app.getHttpServer()).get('/healthz').expect(200);
      const res = await fetch(`${t.baseUrl}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const samples = parseMetrics(await res.text());
      expect(metricValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
      expect(metricValue(samples, 'parley_http_request_duration_seconds_count', { method: 'GET', route: '/healthz', status: '200' })).toBeGreaterThanOrEqual(1);
    });

    it('counts ChatKit requests by type, auth mode and outcome, with time to first event and runner latency', async () => {
      const before = await scrape(t.baseUrl);
      const { token } = await chatter(t);
      const { threadId } = await createThread(t.baseUrl, token, 'hello metrics');
      expect((await chatkit(t.baseUrl, token, { type: 'threads.get_by_id', params: { thread_id: threadId } })).status).toBe(200);
      expect((await chatkit(t.baseUrl, null, { type: 'threads.list', params: {} })).status).toBe(401);
      expect((await chatkit(t.baseUrl, token, '{"type": "threads.list", ')).status).toBe(400);
      expect((await chatkit(t.baseUrl, token, { type: 'threads.get_by_id', params: { thread_id: 'thr_missing' } })).status).toBe(404);

      const after = await scrape(t.baseUrl);
      const delta = (name: string, labels: Record<string, string>) => metricValue(after, name, labels) - metricValue(before, name, labels);
      expect(delta('parley_chatkit_requests_total', { type: 'threads.create', auth_mode: 'chat', outcome: 'ok' })).toBe(1);
      expect(delta('parley_chatkit_requests_total', { type: 'threads.get_by_id', auth_mode: 'chat', outcome: 'ok' })).toBe(1);
      expect(delta('parley_chatkit_requests_total', { type: 'unknown', auth_mode: 'none', outcome: 'unauthorized' })).toBe(1);
      expect(delta('parley_chatkit_requests_total', { type: 'unknown', auth_mode: 'chat', outcome: 'invalid' })).toBe(1);
      expect(delta('parley_chatkit_requests_total', { type: 'threads.get_by_id', auth_mode: 'chat', outcome: 'not_found' })).toBe(1);
      expect(delta('parley_chatkit_time_to_first_event_seconds_count', { type: 'threads.create' })).toBe(1);
      expect(delta('parley_runner_duration_seconds_count', { runner: 'echo', outcome: 'ok' })).toBe(1);
      expect(delta('parley_runner_first_event_seconds_count', { runner: 'echo' })).toBe(1);
      expect(metricValue(after, 'parley_chatkit_open_streams', { auth_mode: 'chat' })).toBe(0);
      expect(delta('parley_http_request_duration_seconds_count', { method: 'POST', route: '/api/chatkit', status: '200' })).toBe(2);
    });

    it('counts publish, rotate and revoke', async () => {
      const before = await scrape(t.baseUrl);
      const { owner, workflowId } = await chatter(t);
      const http = () => request(t.app.getHttpServer());
      await http().post(`/api/workflows/${workflowId}/publish`).set('Authorization', owner.auth).send({}).expect(201);
      await http().post(`/api/workflows/${workflowId}/publish/rotate`).set('Authorization', owner.auth).send({}).expect(200);
      await http().post(`/api/workflows/${workflowId}/publish/rotate`).set('Authorization', owner.auth).send({}).expect(200);
      await http().post(`/api/workflows/${workflowId}/publish/revoke`).set('Authorization', owner.auth).send({}).expect(200);
      // A refused transition is not counted.
      await http().post(`/api/workflows/${workflowId}/publish/revoke`).set('Authorization', owner.auth).send({}).expect(409);
      const after = await scrape(t.baseUrl);
      const delta = (action: string) => metricValue(after, 'parley_publish_events_total', { action }) - metricValue(before, 'parley_publish_events_total', { action });
      expect([delta('publish'), delta('rotate'), delta('revoke')]).toEqual([1, 2, 1]);
    });

    it('keeps label values bounded: route templates, never ids or tokens', async () => {
      const { owner, workflowId, token } = await chatter(t);
      await request(t.app.getHttpServer()).get(`/api/workflows/${workflowId}`).set('Authorization', owner.auth).expect(200);
      await request(t.app.getHttpServer()).get(`/no/such/${workflowId}`).expect(404);
      const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
      expect(text).not.toMatch(UUID);
      expect(text).not.toContain(token);
      const samples = parseMetrics(text);
      expect(metricValue(samples, 'parley_http_request_duration_seconds_count', { method: 'GET', route: '/api/workflows/:id', status: '200' })).toBeGreaterThanOrEqual(1);
      // Unknown paths fall through to the front end's catch-all route: still one template.
      expect(metricValue(samples, 'parley_http_request_duration_seconds_count', { route: '/{*path}', status: '404' })).toBeGreaterThanOrEqual(1);
      const routes = new Set(samples.filter((s) => s.name === 'parley_http_request_duration_seconds_count').map((s) => s.labels.route));
      for (const route of routes) expect(route).toMatch(/^(\/[A-Za-z0-9_.:/{}*-]*|unmatched|static)$/);
    });
  });

  describe('rate limits', () => {
    let t: TestApp;
    beforeAll(async () => {
      // A tiny per-principal limit, so a rejection can be provoked.
      t = await createChatApp({ env: { RATE_LIMIT_PER_PRINCIPAL: '5' } });
    });
    afterAll(() => t.close());

    it('counts rate-limit rejections by bucket', async () => {
      const before = await scrape(t.baseUrl);
      const { token } = await chatter(t);
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await chatkit(t.baseUrl, token, { type: 'threads.list', params: {} })).status);
      expect(statuses.filter((s) => s === 429)).toHaveLength(2);
      const after = await scrape(t.baseUrl);
      const delta = (bucket: string) => metricValue(after, 'parley_rate_limit_rejections_total', { bucket }) - metricValue(before, 'parley_rate_limit_rejections_total', { bucket });
      expect(delta('principal')).toBe(2);
      expect(delta('ip')).toBe(0);
      expect(metricValue(after, 'parley_chatkit_requests_total', { type: 'unknown', auth_mode: 'chat', outcome: 'rate_limited' })).toBeGreaterThanOrEqual(2);
    });
  });

  describe('gated by METRICS_TOKEN', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createChatApp({ env: { METRICS_TOKEN } });
    });
    afterAll(() => t.close());

    it('refuses a scrape without the token or with a wrong one', async () => {
      for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${METRICS_TOKEN}`, `Bearer ${METRICS_TOKEN}x`]) {
        const res = await fetch(`${t.baseUrl}/metrics`, { headers: authorization ? { authorization } : {} });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
        expect(((await res.json()) as { code: string }).code).toBe('unauthenticated');
      }
    });

    it('answers with the token', async () => {
      const samples = await scrape(t.baseUrl, METRICS_TOKEN);
      expect(samples.some((s) => s.name === 'parley_chatkit_requests_total' || s.name === 'parley_http_request_duration_seconds_count')).toBe(true);
    });
  });
});
