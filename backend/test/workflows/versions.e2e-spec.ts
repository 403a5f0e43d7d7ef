import request from 'supertest';
import { chatkit, ChatKitAnswer, chatToken, createChatApp, createWorkflow, input, WireJson } from '../chatkit/helpers';
import { startFakeOpenAI, FakeOpenAI } from '../fakes/fake-openai-server';
import { createOwner, Owner } from '../factories/owners';
import type { TestApp } from '../setup/test-app';

const ANY_ID = expect.any(String);
const NO_WF = '00000000-0000-4000-8000-000000000000';

/** The text of the last assistant message a stream finished. */
function answerOf(answer: ChatKitAnswer): string {
  const done = (answer.events ?? []).filter((e: WireJson) => e.type === 'thread.item.done' && e.item.type === 'assistant_message');
  if (!done.length) throw new Error(`no assistant message in ${answer.status} ${answer.text}`);
  return done[done.length - 1].item.content[0].text as string;
}

/**
 * Published versions (WORKFLOWS §8): the public runs the pinned snapshot, the owner's canvas chat
 * runs the draft, publishing the draft and rolling back change what the public runs at once, and
 * each item records the version that produced it.
 */
describe('workflow versions', () => {
  let t: TestApp;
  let fake: FakeOpenAI;
  let owner: Owner;
  let stranger: Owner;
  const http = () => request(t.app.getHttpServer());
  const modelRunner = () => ({ kind: 'openai' as const, provider: 'compatible' as const, model: 'fake-model', baseUrl: fake.baseUrl });

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    t = await createChatApp();
    owner = await createOwner(t.app, 'versions');
    stranger = await createOwner(t.app, 'stranger');
  }, 60000);
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const visitorSays = (publishToken: string, visitor: string | null, body: unknown) =>
    chatkit(t.baseUrl, null, body, { 'x-parley-publish-token': publishToken, ...(visitor ? { 'x-parley-visitor': visitor } : {}) });
  const auditActions = async (workflowId: string) =>
    (await t.dataSource.query<{ action: string; metadata: Record<string, unknown> }[]>(
      `SELECT action, metadata FROM audit_events WHERE workflow_id = $1 ORDER BY occurred_at, id`,
      [workflowId],
    )).map((r) => [r.action, r.metadata.version]);

  it('the public runs the pinned version, the owner the draft; publish the draft, roll back; items record versions', async () => {
    const workflowId = await createWorkflow(t, owner);
    const fresh = await http().get(`/api/workflows/${workflowId}`).set('Authorization', owner.auth).expect(200);
    expect(fresh.body).toMatchObject({ publishedVersion: null, draftDiffers: false });
    expect((await http().get(`/api/workflows/${workflowId}/versions`).set('Authorization', owner.auth).expect(200)).body).toEqual({ data: [], nextCursor: null });

    // Publishing snapshots the draft (echo) as version 1.
    const pub = await http().post(`/api/workflows/${workflowId}/publish`).set('Authorization', owner.auth).send({}).expect(201);
    const token = pub.body.publishToken as string;
    expect(pub.body.workflow).toMatchObject({ publishedVersion: 1, draftDiffers: false });

    // Editing the draft changes what the owner chats with, not what the public chats with.
    const edited = await http().patch(`/api/workflows/${workflowId}`).set('Authorization', owner.auth).send({ runner: modelRunner() }).expect(200);
    expect(edited.body).toMatchObject({ publishedVersion: 1, draftDiffers: true, runner: modelRunner() });
    const first = await visitorSays(token, null, { type: 'threads.create', params: { input: input('hi') } });
    expect(answerOf(first)).toBe('Echo: hi');
    const visitor = first.headers.get('x-parley-visitor')!;
    const threadId = first.events![0].thread.id as string;
    const ownerToken = await chatToken(t, owner, workflowId);
    const ownerChat = await chatkit(t.baseUrl, ownerToken, { type: 'threads.create', params: { input: input('hi') } });
    expect(answerOf(ownerChat)).toBe('Fake: hi');
    const ownerThreadId = ownerChat.events![0].thread.id as string;

    // Publish the draft: version 2, and the public's next turn runs it.
    const v2 = await http().post(`/api/workflows/${workflowId}/versions`).set('Authorization', owner.auth).expect(201);
    expect(v2.body.workflow).toMatchObject({ publishedVersion: 2, draftDiffers: false });
    expect(v2.body.version).toEqual({ version: 2, runner: modelRunner(), published: true, createdAt: expect.any(String), createdBy: owner.id });
    const second = await visitorSays(token, visitor, { type: 'threads.add_user_message', params: { thread_id: threadId, input: input('again') } });
    expect(answerOf(second)).toBe('Fake: again');

    // Publishing an unchanged draft is refused.
    const same = await http().post(`/api/workflows/${workflowId}/versions`).set('Authorization', owner.auth).expect(409);
    expect(same.body).toEqual({ statusCode: 409, code: 'publish_invalid_state', message: 'The draft is already published as version 2.', requestId: ANY_ID });

    // Roll back to version 1: the public runs echo again; the draft stays the model.
    const back = await http().post(`/api/workflows/${workflowId}/versions/1/rollback`).set('Authorization', owner.auth).expect(200);
    expect(back.body.workflow).toMatchObject({ publishedVersion: 1, draftDiffers: true, runner: modelRunner() });
    expect(back.body.version).toMatchObject({ version: 1, runner: { kind: 'echo' }, published: true });
    const third = await visitorSays(token, visitor, { type: 'threads.add_user_message', params: { thread_id: threadId, input: input('third') } });
    expect(answerOf(third)).toBe('Echo: third');

    const list = await http().get(`/api/workflows/${workflowId}/versions`).set('Authorization', owner.auth).expect(200);
    expect(list.body.data.map((v: WireJson) => [v.version, v.published, v.runner.kind])).toEqual([
      [2, false, 'openai'],
      [1, true, 'echo'],
    ]);
    const paged = await http().get(`/api/workflows/${workflowId}/versions?limit=1`).set('Authorization', owner.auth).expect(200);
    expect(paged.body.data.map((v: WireJson) => v.version)).toEqual([2]);
    const rest = await http().get(`/api/workflows/${workflowId}/versions?limit=1&cursor=${paged.body.nextCursor}`).set('Authorization', owner.auth).expect(200);
    expect(rest.body).toMatchObject({ data: [{ version: 1 }], nextCursor: null });

    // Every item records the version that produced it; the owner's draft chat records none.
    const transcript = await http().get(`/api/workflows/${workflowId}/transcripts/${threadId}`).set('Authorization', owner.auth).expect(200);
    expect(transcript.body.items.map((item: WireJson) => [item.type, transcript.body.itemVersions[item.id]])).toEqual([
      ['user_message', 1],
      ['assistant_message', 1],
      ['user_message', 2],
      ['assistant_message', 2],
      ['user_message', 1],
      ['assistant_message', 1],
    ]);
    const ownerTranscript = await http().get(`/api/workflows/${workflowId}/transcripts/${ownerThreadId}`).set('Authorization', owner.auth).expect(200);
    expect(Object.values(ownerTranscript.body.itemVersions)).toEqual([null, null]);

    // Rolling back to the published version or to one that does not exist is refused.
    const again = await http().post(`/api/workflows/${workflowId}/versions/1/rollback`).set('Authorization', owner.auth).expect(409);
    expect(again.body).toEqual({ statusCode: 409, code: 'publish_invalid_state', message: 'Version 1 is already the published version.', requestId: ANY_ID });
    const missing = await http().post(`/api/workflows/${workflowId}/versions/9/rollback`).set('Authorization', owner.auth).expect(404);
    expect(missing.body).toEqual({ statusCode: 404, code: 'not_found', message: 'Version 9 not found.', requestId: ANY_ID });
    const bad = await http().post(`/api/workflows/${workflowId}/versions/0/rollback`).set('Authorization', owner.auth).expect(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', details: { fields: { version: ['version must be a positive integer'] } } });

    // Revoke unpins; publishing again reuses the newest version when it equals the draft.
    const revoked = await http().post(`/api/workflows/${workflowId}/publish/revoke`).set('Authorization', owner.auth).expect(200);
    expect(revoked.body).toMatchObject({ publishedVersion: null, draftDiffers: false });
    const notPublic = await http().post(`/api/workflows/${workflowId}/versions`).set('Authorization', owner.auth).expect(409);
    expect(notPublic.body).toEqual({ statusCode: 409, code: 'publish_invalid_state', message: 'The workflow is not public; publish it first.', requestId: ANY_ID });
    const republished = await http().post(`/api/workflows/${workflowId}/publish`).set('Authorization', owner.auth).send({}).expect(201);
    expect(republished.body.workflow).toMatchObject({ publishedVersion: 2, draftDiffers: false });

    expect(await auditActions(workflowId)).toEqual([
      ['workflow.published', 1],
      ['workflow.version_published', 2],
      ['workflow.version_rolled_back', 1],
      ['workflow.publish_revoked', undefined],
      ['workflow.published', 2],
    ]);
  });

  it('a version snapshots an agent runner with its sealed header values; responses mask them and "***" keeps them', async () => {
    const agent = {
      kind: 'agent' as const,
      provider: 'compatible' as const,
      model: 'fake-model',
      baseUrl: fake.baseUrl,
      tools: [{ type: 'http', name: 'lookup', method: 'GET', url: 'http://127.0.0.1:9/orders/{id}', headers: { Authorization: 'Bearer tool-secret-4711' } }],
    };
    const created = await http().post('/api/workflows').set('Authorization', owner.auth).send({ name: 'Agent', runner: agent }).expect(201);
    const workflowId = created.body.id as string;
    await http().post(`/api/workflows/${workflowId}/publish`).set('Authorization', owner.auth).send({}).expect(201);
    const versions = await http().get(`/api/workflows/${workflowId}/versions`).set('Authorization', owner.auth).expect(200);
    expect(versions.body.data[0].runner.tools[0].headers).toEqual({ Authorization: '***' });
    expect(versions.text).not.toContain('tool-secret-4711');
    const [row] = await t.dataSource.query<{ runner: WireJson }[]>(`SELECT runner FROM workflow_versions WHERE workflow_id = $1`, [workflowId]);
    const [draft] = await t.dataSource.query<{ runner: WireJson }[]>(`SELECT runner FROM workflows WHERE id = $1`, [workflowId]);
    expect(row.runner).toEqual(draft.runner);
    expect(JSON.stringify(row.runner)).not.toContain('tool-secret-4711');

    // Sending the masked runner back keeps the secret, so the draft still equals the published version.
    const resent = await http().patch(`/api/workflows/${workflowId}`).set('Authorization', owner.auth).send({ runner: created.body.runner }).expect(200);
    expect(resent.body).toMatchObject({ publishedVersion: 1, draftDiffers: false });
    const changed = await http()
      .patch(`/api/workflows/${workflowId}`)
      .set('Authorization', owner.auth)
      .send({ runner: { ...created.body.runner, tools: [{ ...created.body.runner.tools[0], approval: 'always' }] } })
      .expect(200);
    expect(changed.body).toMatchObject({ publishedVersion: 1, draftDiffers: true });
  });

  it('versions are the owner’s only: another owner sees 404 and changes nothing', async () => {
    const workflowId = await createWorkflow(t, owner);
    await http().post(`/api/workflows/${workflowId}/publish`).set('Authorization', owner.auth).send({}).expect(201);
    for (const [method, url] of [
      ['get', `/api/workflows/${workflowId}/versions`],
      ['post', `/api/workflows/${workflowId}/versions`],
      ['post', `/api/workflows/${workflowId}/versions/1/rollback`],
    ] as const) {
      const res = await http()[method](url).set('Authorization', stranger.auth).expect(404);
      expect(res.body).toEqual({ statusCode: 404, code: 'not_found', message: 'Workflow not found.', requestId: ANY_ID });
    }
    const wf = await http().get(`/api/workflows/${workflowId}`).set('Authorization', owner.auth).expect(200);
    expect(wf.body.publishedVersion).toBe(1);
  });

  it.each([
    ['get', `/api/workflows/${NO_WF}/versions`],
    ['post', `/api/workflows/${NO_WF}/versions`],
    ['post', `/api/workflows/${NO_WF}/versions/1/rollback`],
  ] as const)('%s %s without credentials → 401 unauthenticated; a share-link token is the wrong mode', async (method, url) => {
    const res = await http()[method](url).expect(401);
    expect(res.body).toEqual({ statusCode: 401, code: 'unauthenticated', message: expect.any(String), requestId: ANY_ID });
    const wrong = await http()[method](url).set('X-Parley-Publish-Token', `pub_${'a'.repeat(43)}`).expect(401);
    expect(wrong.body).toEqual({ statusCode: 401, code: 'unauthenticated', message: expect.any(String), requestId: ANY_ID });
  });
});
