import request from 'supertest';
import { createTestApp, TestApp } from '../setup/test-app';
import { createOwner, freshIp, limitHeaders } from './helpers';

/** The principal bucket on the route it exists for: `POST /api/chatkit` with canvas chat session tokens. */
describe('rate limits on POST /api/chatkit (canvas chat)', () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await createTestApp({ env: { TRUST_PROXY: '1', RATE_LIMIT_PER_PRINCIPAL: '4', RATE_LIMIT_PER_IP: '100' } });
  });
  afterAll(() => t.close());

  it("keys on the chat user: all of a user's session tokens share one budget, apart from their owner API budget", async () => {
    const owner = await createOwner(t);
    const auth = `Bearer ${owner.pat}`;
    const workflow = await http().post('/api/workflows').set('X-Forwarded-For', freshIp()).set('Authorization', auth).send({ name: 'Chat', runner: { kind: 'echo' } }).expect(201);
    const session = () =>
      http().post(`/api/workflows/${workflow.body.id}/chatkit/session`).set('X-Forwarded-For', freshIp()).set('Authorization', auth).send({}).expect(200);
    // Owner API requests so far: personal token, workflow, two sessions = the owner budget (4).
    const tokens = [(await session()).body.token as string, (await session()).body.token as string];
    expect((await http().get('/api/auth/me').set('X-Forwarded-For', freshIp()).set('Authorization', auth).expect(429)).body.details.bucket).toBe('principal');

    const chat = (token: string) =>
      http().post('/api/chatkit').set('X-Forwarded-For', freshIp()).set('Authorization', `Bearer ${token}`).send({ type: 'threads.list', params: {} });
    // The chat budget is untouched by the owner's API use, and both session tokens draw from it.
    for (let i = 0; i < 4; i++) {
      const res = await chat(tokens[i % 2]).expect(200);
      expect(limitHeaders(res)).toMatchObject({ limit: 4, remaining: 3 - i });
    }
    const limited = await chat(tokens[0]).expect(429);
    expect(limited.body).toMatchObject({ code: 'rate_limited', details: { bucket: 'principal' } });
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    // Every token of this user is refused: the bucket belongs to the user, not to a session.
    expect((await chat(tokens[1]).expect(429)).body.details.bucket).toBe('principal');
    // A revoked session answers 401 before any 429.
    const [{ sid }] = await t.dataSource.query(`SELECT id AS sid FROM chat_sessions WHERE workflow_id = $1 LIMIT 1`, [workflow.body.id]);
    await t.dataSource.query(`UPDATE chat_sessions SET revoked_at = now() WHERE id = $1`, [sid]);
    expect((await chat(tokens[0]).expect(401)).body.code).toBe('chat_session_revoked');
  });
});
