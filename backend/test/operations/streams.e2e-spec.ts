import request from 'supertest';
import { HealthService } from '../../src/health/health.service';
import { chatToken, chatter, createChatApp, createWorkflow, RunnerBody } from '../chatkit/helpers';
import { startFakeOpenAI, FakeOpenAI } from '../fakes/fake-openai-server';
import type { TestApp } from '../setup/test-app';
import { isDelta, openStream, slowCreate } from './live-stream';
import { metricValue, scrape } from './metrics-text';

const MODEL: RunnerBody = { kind: 'openai', provider: 'openai', model: 'gpt-test' };

/**
 * Streams the server ends itself: a revoked workflow ends its live public streams at once
 * (cluster broadcast, delivered locally here; across processes in `npm run test:scale`), and
 * shutdown lets streams finish within the grace period, then ends the rest with a retryable
 * `error` event. Rotating a link ends nothing: streams in flight run to completion.
 */
describe('server-ended chat streams', () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(() => fake.close());
  const env = () => ({ OPENAI_API_KEY: 'sk-test-key', OPENAI_BASE_URL: fake.baseUrl, SHUTDOWN_GRACE_SECONDS: '1' });

  describe('revocation', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createChatApp({ env: env() });
    });
    afterAll(() => t.close());

    async function publish(auth: string, workflowId: string): Promise<string> {
      const res = await request(t.app.getHttpServer()).post(`/api/workflows/${workflowId}/publish`).set('Authorization', auth).send({}).expect(201);
      return res.body.publishToken as string;
    }

    it('revoking a workflow ends its live public streams within a second; canvas streams go on', async () => {
      const { owner, workflowId, token } = await chatter(t, MODEL);
      const publishToken = await publish(owner.auth, workflowId);
      const pub = await openStream(t.baseUrl, { 'x-parley-publish-token': publishToken }, slowCreate(100, 100));
      const canvas = await openStream(t.baseUrl, { authorization: `Bearer ${token}` }, slowCreate(60, 20));
      expect([pub.status, canvas.status]).toEqual([200, 200]);
      await Promise.all([pub.until(isDelta), canvas.until(isDelta)]);

      const revokedAt = Date.now();
      await request(t.app.getHttpServer()).post(`/api/workflows/${workflowId}/publish/revoke`).set('Authorization', owner.auth).send({}).expect(200);
      const endedAt = await pub.ended;
      expect(endedAt - revokedAt).toBeLessThan(1000);
      const last = pub.events[pub.events.length - 1];
      expect(last).toEqual({ type: 'error', code: 'custom', message: expect.stringContaining('turned it off'), allow_retry: false });
      // It was cut short: far fewer than the 100 words asked for.
      expect(pub.events.filter(isDelta).length).toBeLessThan(50);

      // The owner's canvas chat is not a public stream: it runs to its end.
      await canvas.ended;
      expect(canvas.events.some((e) => e.type === 'error')).toBe(false);
      expect(canvas.events.filter(isDelta)).toHaveLength(20);

      // The partial public answer was kept, as on a cancel.
      const threadId = pub.events[0].thread.id as string;
      const rows = await t.dataSource.query<{ type: string; data: string }[]>(
        `SELECT type, data::text AS data FROM chat_items WHERE thread_id = $1 ORDER BY ordinal`,
        [threadId],
      );
      expect(rows.map((r) => r.type)).toEqual(expect.arrayContaining(['user_message', 'assistant_message']));
      const answer = rows.find((r) => r.type === 'assistant_message')!;
      const streamed = pub.events.filter(isDelta).map((e) => e.update.delta as string).join('');
      expect(streamed.length).toBeGreaterThan(0);
      expect(answer.data).toContain(JSON.stringify(streamed).slice(1, -1));

      const metrics = await scrape(t.baseUrl);
      expect(metricValue(metrics, 'parley_chatkit_streams_ended_by_server_total', { reason: 'workflow_revoked' })).toBe(1);
      expect(metricValue(metrics, 'parley_chatkit_requests_total', { type: 'threads.create', auth_mode: 'publishToken', outcome: 'ended_by_server' })).toBe(1);
      expect(metricValue(metrics, 'parley_chatkit_open_streams', { auth_mode: 'publishToken' })).toBe(0);
    });

    it('a revocation ends only the revoked workflow\'s streams; a rotation ends none (in-flight streams run to completion)', async () => {
      const first = await chatter(t, MODEL);
      const other = await chatter(t, MODEL);
      const firstToken = await publish(first.owner.auth, first.workflowId);
      const otherToken = await publish(other.owner.auth, other.workflowId);
      const rotating = await openStream(t.baseUrl, { 'x-parley-publish-token': firstToken }, slowCreate(50, 40));
      const bystander = await openStream(t.baseUrl, { 'x-parley-publish-token': otherToken }, slowCreate(50, 16));
      await Promise.all([rotating.until(isDelta), bystander.until(isDelta)]);
      await request(t.app.getHttpServer()).post(`/api/workflows/${first.workflowId}/publish/rotate`).set('Authorization', first.owner.auth).send({}).expect(200);
      await request(t.app.getHttpServer()).post(`/api/workflows/${first.workflowId}/publish/revoke`).set('Authorization', first.owner.auth).send({}).expect(200);
      await Promise.all([rotating.ended, bystander.ended]);
      // The first workflow's stream survived the rotation and was then ended by the revocation…
      expect(rotating.events[rotating.events.length - 1]).toMatchObject({ type: 'error', allow_retry: false });
      // …while the other workflow's public stream ran to its end.
      expect(bystander.events.some((e) => e.type === 'error')).toBe(false);
      expect(bystander.events.filter(isDelta)).toHaveLength(16);
    });
  });

  describe('graceful shutdown', () => {
    it('lets short streams finish, ends long ones with a retryable error after the grace period, and reports draining', async () => {
      const t = await createChatApp({ env: env() });
      let closed = false;
      try {
        const owner = (await chatter(t, MODEL)).owner;
        const workflowId = await createWorkflow(t, owner, MODEL);
        const token = await chatToken(t, owner, workflowId);
        const auth = { authorization: `Bearer ${token}` };
        const short = await openStream(t.baseUrl, auth, slowCreate(50, 8));
        const long = await openStream(t.baseUrl, auth, slowCreate(200, 100));
        await Promise.all([short.until(isDelta), long.until(isDelta)]);

        const health = t.app.get(HealthService);
        const startedAt = Date.now();
        const closing = t.close().then(() => (closed = true));
        // Draining: the load balancer is told to go elsewhere while the streams finish.
        await new Promise((r) => setTimeout(r, 50));
        expect(await health.readiness()).toMatchObject({ ready: false, lifecycle: 'draining' });

        await short.ended;
        expect(short.events.some((e) => e.type === 'error')).toBe(false);
        expect(short.events.filter(isDelta)).toHaveLength(8);

        const longEnded = await long.ended;
        expect(long.events[long.events.length - 1]).toEqual({ type: 'error', code: 'custom', message: expect.any(String), allow_retry: true });
        // Not before the 1 s grace period, and promptly after it.
        expect(longEnded - startedAt).toBeGreaterThanOrEqual(900);
        expect(longEnded - startedAt).toBeLessThan(4000);
        await closing;
      } finally {
        if (!closed) await t.close().catch(() => undefined);
      }
    });
  });
});
