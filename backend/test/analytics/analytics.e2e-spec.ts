import request from 'supertest';
import { createOwner, Owner } from '../factories/owners';
import { FakeOpenAI, startFakeOpenAI } from '../fakes/fake-openai-server';
import { chatkit, chatToken, createChatApp, createThread, createWorkflow, input } from '../chatkit/helpers';
import type { TestApp } from '../setup/test-app';

const PAGE_ORIGIN = 'http://localhost:3000'; // PUBLIC_BASE_URL of the test app
const EMBED_ORIGIN = 'https://shop.example.com';

describe('GET /api/workflows/:id/analytics (e2e)', () => {
  let t: TestApp;
  let fake: FakeOpenAI;
  let owner: Owner;
  let other: Owner;
  let wf: string;
  const http = () => request(t.app.getHttpServer());
  const url = (id: string, q = '') => `/api/workflows/${id}/analytics${q}`;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await createChatApp({ env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseUrl } });
    owner = await createOwner(t.app, 'analyst');
    other = await createOwner(t.app, 'stranger');
    wf = await createWorkflow(t, owner, { kind: 'openai', provider: 'openai', model: 'gpt-test' });
  }, 60000);
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  describe('access', () => {
    it('needs a signed-in owner', async () => {
      const res = await http().get(url(wf)).expect(401);
      expect(res.body.code).toBe('unauthenticated');
    });

    it('another owner’s workflow is a 404, and so is a missing one; a bad id is a 400', async () => {
      expect((await http().get(url(wf)).set('Authorization', other.auth).expect(404)).body.code).toBe('not_found');
      expect((await http().get(url('00000000-0000-4000-8000-000000000000')).set('Authorization', owner.auth).expect(404)).body.code).toBe('not_found');
      expect((await http().get(url('nope')).set('Authorization', owner.auth).expect(400)).body.code).toBe('validation_failed');
    });

    it('a chat token of the workflow cannot read its analytics', async () => {
      const token = await chatToken(t, owner, wf);
      expect((await http().get(url(wf)).set('Authorization', `Bearer ${token}`)).status).toBeGreaterThanOrEqual(401);
    });
  });

  describe('bad ranges answer 400 with a message that says what to change', () => {
    const bad = async (q: string) => (await http().get(url(wf, q)).set('Authorization', owner.auth).expect(400)).body;

    it('from after to', async () => {
      const body = await bad('?from=2026-03-05T00:00:00Z&to=2026-03-01T00:00:00Z');
      expect(body).toMatchObject({ code: 'validation_failed', details: { fields: { from: ['from must be before to'] } } });
      expect(body.message).toContain('is not before to');
    });

    it('more than 400 buckets', async () => {
      const body = await bad('?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&granularity=hour');
      expect(body).toMatchObject({ code: 'validation_failed', details: { fields: { granularity: ['the range holds 1416 hour buckets; at most 400 are allowed'] } } });
      expect(body.message).toContain('choose a shorter range or a coarser granularity');
    });

    it('an unknown granularity, and a date that is not one', async () => {
      expect((await bad('?granularity=month')).details.fields.granularity).toEqual(['granularity must be hour, day or week (got "month")']);
      expect((await bad('?from=yesterday')).details.fields.from).toEqual(['from must be an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z']);
    });

    it('exactly 400 buckets is fine', async () => {
      await http().get(url(wf, '?from=2026-01-01T00:00:00Z&to=2026-01-17T16:00:00Z&granularity=hour')).set('Authorization', owner.auth).expect(200);
    });
  });

  describe('what real chats record', () => {
    let publishToken: string;
    beforeAll(async () => {
      publishToken = (await http().post(`/api/workflows/${wf}/publish`).set('Authorization', owner.auth).send({}).expect(201)).body.publishToken;
    });

    it('channels, people, answers with their TTFT, errors by code and feedback, counts only; none of it shows on another workflow', async () => {
      // The owner in the canvas; a slow first token.
      const token = await chatToken(t, owner, wf);
      const canvas = await createThread(t.baseUrl, token, '/slow 120 3');
      expect(canvas.events.some((e: { type: string }) => e.type === 'error')).toBe(false);
      // A visitor on the share-link page (Parley's own origin), then the same visitor from an embed.
      const pageAnswer = await chatkit(t.baseUrl, null, { type: 'threads.create', params: { input: input('hello from the page') } }, { 'x-parley-publish-token': publishToken, origin: PAGE_ORIGIN });
      expect(pageAnswer.status).toBe(200);
      const visitor = pageAnswer.headers.get('x-parley-visitor')!;
      const embedAnswer = await chatkit(t.baseUrl, null, { type: 'threads.create', params: { input: input('/status 429') } }, {
        'x-parley-publish-token': publishToken,
        'x-parley-visitor': visitor,
        origin: EMBED_ORIGIN,
      });
      expect(embedAnswer.status).toBe(200);
      expect(embedAnswer.events!.at(-2)).toMatchObject({ type: 'error' });
      // A thumbs-down on the page answer.
      const pageThread = pageAnswer.events![0].thread.id as string;
      const answerItem = pageAnswer.events!.find((e: { type: string; item?: { type: string } }) => e.type === 'thread.item.done' && e.item?.type === 'assistant_message').item.id as string;
      const rated = await chatkit(t.baseUrl, null, { type: 'items.feedback', params: { thread_id: pageThread, item_ids: [answerItem], kind: 'negative' } }, {
        'x-parley-publish-token': publishToken,
        'x-parley-visitor': visitor,
        origin: PAGE_ORIGIN,
      });
      expect(rated.status).toBe(200);

      const res = await http().get(url(wf, '?granularity=hour')).set('Authorization', owner.auth).expect(200);
      expect(res.body.buckets).toHaveLength(24);
      const totals = res.body.totals;
      expect(totals.conversations).toEqual({ total: 3, byChannel: { canvas: 1, page: 1, embed: 1, host: 0 } });
      expect(totals.userMessages).toEqual({ total: 3, byChannel: { canvas: 1, page: 1, embed: 1, host: 0 } });
      expect(totals.people).toEqual({ total: 2, byKind: { visitor: 1, oauth: 0, host: 0, user: 1 } });
      expect(totals.answers).toBe(2);
      expect(totals.errors).toEqual({ total: 1, byCode: { rate_limited: 1 } });
      expect(totals.feedback).toEqual({ positive: 0, negative: 1, ratio: 0 });
      expect(totals.ttftMs.count).toBe(2);
      // The slow answer's first token came after ≥ 120 ms; the histogram reports within 5 %.
      expect(totals.ttftMs.p95).toBeGreaterThanOrEqual(114);
      expect(res.body.recentThumbsDown).toEqual([expect.objectContaining({ threadId: pageThread, itemId: answerItem, channel: 'page', principalKind: 'visitor' })]);
      // Counts only: no message text anywhere but the thumbs-down list.
      const { recentThumbsDown: _list, ...counts } = res.body;
      expect(JSON.stringify(counts)).not.toMatch(/hello from the page|\/slow|\/status|Fake:/);
      expect(JSON.stringify(counts)).not.toContain(visitor);

      // Another workflow of the same owner, and another owner's workflow, see none of it.
      const second = await createWorkflow(t, owner);
      const empty = (await http().get(url(second, '?granularity=hour')).set('Authorization', owner.auth).expect(200)).body;
      expect([empty.totals.conversations.total, empty.totals.userMessages.total, empty.totals.people.total, empty.recentThumbsDown]).toEqual([0, 0, 0, []]);
      const strangers = await createWorkflow(t, other);
      const theirs = (await http().get(url(strangers)).set('Authorization', other.auth).expect(200)).body;
      expect([theirs.totals.conversations.total, theirs.recentThumbsDown]).toEqual([0, []]);
    });
  });
});
