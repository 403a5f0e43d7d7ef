import request from 'supertest';
import { createTestApp, TestApp } from '../setup/test-app';
import { createOwner, Owner } from '../factories/owners';

const ANY_ID = expect.any(String);

describe('workflows API', () => {
  let t: TestApp;
  let alice: Owner;
  let bob: Owner;
  const http = () => request(t.app.getHttpServer());
  const count = async () => Number((await t.dataSource.query(`SELECT count(*)::int AS n FROM workflows`))[0].n);

  beforeAll(async () => {
    t = await createTestApp();
    alice = await createOwner(t.app, 'alice');
    bob = await createOwner(t.app, 'bob');
  });
  afterAll(() => t.close());

  it('creates a workflow with the echo runner by default and reads it back', async () => {
    const created = await http().post('/api/workflows').set('Authorization', alice.auth).send({ name: 'Support' }).expect(201);
    expect(created.body).toEqual({
      id: ANY_ID,
      ownerId: alice.id,
      name: 'Support',
      description: '',
      runner: { kind: 'echo' },
      allowedOrigins: [],
      publishedVersion: null,
      draftDiffers: false,
      isPublic: false,
      requireLogin: false,
      publishedAt: null,
      publishedBy: null,
      publishTokenRotatedAt: null,
      transcriptRetentionDays: null,
      shareUrl: null,
      createdAt: expect.stringMatching(/Z$/),
      updatedAt: expect.stringMatching(/Z$/),
    });
    const got = await http().get(`/api/workflows/${created.body.id}`).set('Authorization', alice.auth).expect(200);
    expect(got.body).toEqual(created.body);
  });

  it('stores an openai runner and allowed origins', async () => {
    const body = {
      name: 'Model',
      description: 'Talks to a model',
      runner: { kind: 'openai', provider: 'compatible', model: 'llama', baseUrl: 'http://127.0.0.1:9999/v1', temperature: 0.2, instructions: 'Be brief.' },
      allowedOrigins: ['https://app.example.com', 'http://localhost:5173'],
    };
    const res = await http().post('/api/workflows').set('Authorization', alice.auth).send(body).expect(201);
    expect(res.body).toMatchObject(body);
  });

  it('updates fields with PATCH and keeps the rest', async () => {
    const { body: wf } = await http().post('/api/workflows').set('Authorization', alice.auth).send({ name: 'Old', description: 'keep' }).expect(201);
    const res = await http().patch(`/api/workflows/${wf.id}`).set('Authorization', alice.auth).send({ name: 'New' }).expect(200);
    expect(res.body).toMatchObject({ id: wf.id, name: 'New', description: 'keep' });
    expect(new Date(res.body.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(wf.updatedAt).getTime());
  });

  it('lists only the caller’s workflows, newest first, with cursor paging', async () => {
    const { body: first } = await http().get('/api/workflows?limit=100').set('Authorization', bob.auth).expect(200);
    expect(first).toEqual({ data: [], nextCursor: null });
    const names = ['b1', 'b2', 'b3', 'b4', 'b5'];
    for (const name of names) await http().post('/api/workflows').set('Authorization', bob.auth).send({ name }).expect(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/workflows?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await http().get(url).set('Authorization', bob.auth).expect(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((w: { name: string }) => w.name));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual([...names].reverse());
    expect(pages).toBe(3);
  });

  it('deletes a workflow and records it in the audit log', async () => {
    const { body: wf } = await http().post('/api/workflows').set('Authorization', alice.auth).send({ name: 'Doomed' }).expect(201);
    await http().delete(`/api/workflows/${wf.id}`).set('Authorization', alice.auth).expect(204);
    await http().get(`/api/workflows/${wf.id}`).set('Authorization', alice.auth).expect(404);
    const rows = await t.dataSource.query(`SELECT action, actor_id, owner_id, metadata FROM audit_events WHERE workflow_id = $1`, [wf.id]);
    expect(rows).toEqual([{ action: 'workflow.deleted', actor_id: alice.id, owner_id: alice.id, metadata: { name: 'Doomed', wasPublic: false } }]);
  });

  it('audits every change of allowed origins (added and removed), and only real changes', async () => {
    const { body: wf } = await http().post('/api/workflows').set('Authorization', alice.auth).send({ name: 'Embedded', allowedOrigins: ['https://a.example.com'] }).expect(201);
    const patch = (allowedOrigins: string[]) => http().patch(`/api/workflows/${wf.id}`).set('Authorization', alice.auth).send({ allowedOrigins }).expect(200);
    await patch(['https://a.example.com', 'https://b.example.com']);
    await patch(['https://a.example.com', 'https://b.example.com']); // no change, no event
    await http().patch(`/api/workflows/${wf.id}`).set('Authorization', alice.auth).send({ name: 'Renamed' }).expect(200);
    await patch(['https://b.example.com']);
    const { body } = await http().get(`/api/workflows/${wf.id}/audit`).set('Authorization', alice.auth).expect(200);
    expect(body.data.map((e: { action: string; metadata: unknown }) => [e.action, e.metadata])).toEqual([
      ['workflow.allowed_origins_changed', { added: [], removed: ['https://a.example.com'] }],
      ['workflow.allowed_origins_changed', { added: ['https://b.example.com'], removed: [] }],
    ]);
  });

  describe('ownership isolation: another owner’s workflow is 404, never 403', () => {
    let wfId: string;
    beforeAll(async () => {
      wfId = (await http().post('/api/workflows').set('Authorization', alice.auth).send({ name: 'Private' }).expect(201)).body.id;
    });
    // Every row has three cells: jest would pass `done` as a missing third argument.
    const routes: [string, string, object | null][] = [
      ['get', '', null],
      ['patch', '', { name: 'hijack' }],
      ['delete', '', null],
      ['post', '/publish', {}],
      ['post', '/publish/rotate', {}],
      ['post', '/publish/revoke', null],
      ['patch', '/publish', { requireLogin: true }],
      ['get', '/audit', null],
    ];
    it.each(routes)('%s /api/workflows/:id%s', async (method, suffix, body) => {
      let req = (http() as unknown as Record<string, (u: string) => request.Test>)[method](`/api/workflows/${wfId}${suffix}`).set('Authorization', bob.auth);
      if (body) req = req.send(body);
      const res = await req.expect(404);
      expect(res.body).toMatchObject({ statusCode: 404, code: 'not_found' });
    });
    it('left the workflow untouched', async () => {
      const res = await http().get(`/api/workflows/${wfId}`).set('Authorization', alice.auth).expect(200);
      expect(res.body).toMatchObject({ name: 'Private', isPublic: false });
    });
  });

  describe('authentication', () => {
    it.each([
      ['post', '/api/workflows'],
      ['get', '/api/workflows'],
      ['get', '/api/workflows/00000000-0000-4000-8000-000000000000'],
      ['patch', '/api/workflows/00000000-0000-4000-8000-000000000000'],
      ['delete', '/api/workflows/00000000-0000-4000-8000-000000000000'],
      ['post', '/api/workflows/00000000-0000-4000-8000-000000000000/publish'],
      ['post', '/api/workflows/00000000-0000-4000-8000-000000000000/publish/rotate'],
      ['post', '/api/workflows/00000000-0000-4000-8000-000000000000/publish/revoke'],
      ['patch', '/api/workflows/00000000-0000-4000-8000-000000000000/publish'],
      ['get', '/api/workflows/00000000-0000-4000-8000-000000000000/audit'],
    ])('%s %s without credentials → 401 unauthenticated', async (method, url) => {
      const res = await (http() as unknown as Record<string, (u: string) => request.Test>)[method](url).expect(401);
      expect(res.body).toEqual({ statusCode: 401, code: 'unauthenticated', message: expect.any(String), requestId: ANY_ID });
    });

    it('refuses a share-link token where an owner credential is required (wrong mode)', async () => {
      const res = await http().get('/api/workflows').set('X-Parley-Publish-Token', `pub_${'a'.repeat(43)}`).expect(401);
      expect(res.body.code).toBe('unauthenticated');
    });
  });

  describe('bad input → 400 with field details, nothing written', () => {
    const cases: [string, object, Record<string, unknown>][] = [
      ['unknown field', { name: 'x', color: 'red' }, { color: ['property color should not exist'] }],
      ['wrong type', { name: 42 }, { name: expect.arrayContaining(['name must be a string']) }],
      ['over-long name', { name: 'x'.repeat(121) }, { name: ['name must be shorter than or equal to 120 characters'] }],
      ['empty name', { name: '' }, { name: ['name must be longer than or equal to 1 characters'] }],
      ['missing name', {}, { name: expect.arrayContaining(['name should not be null or undefined']) }],
      ['unknown runner kind', { name: 'x', runner: { kind: 'magic' } }, { 'runner.kind': [expect.stringContaining('kind must be one of')] }],
      ['openai without model', { name: 'x', runner: { kind: 'openai', provider: 'openai' } }, { 'runner.model': expect.any(Array) }],
      ['echo with a model', { name: 'x', runner: { kind: 'echo', model: 'gpt' } }, { 'runner.model': expect.arrayContaining(['model applies only to openai/agent runners']) }],
      ['compatible without baseUrl', { name: 'x', runner: { kind: 'openai', provider: 'compatible', model: 'm' } }, { 'runner.baseUrl': expect.any(Array) }],
      ['temperature out of range', { name: 'x', runner: { kind: 'openai', provider: 'openai', model: 'm', temperature: 3 } }, { 'runner.temperature': ['temperature must not be greater than 2'] }],
      ['origin with a path', { name: 'x', allowedOrigins: ['https://app.example.com/page'] }, { allowedOrigins: [expect.stringContaining('exact origins')] }],
    ];
    it.each(cases)('%s', async (_label, body, fields) => {
      const before = await count();
      const res = await http().post('/api/workflows').set('Authorization', alice.auth).send(body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'validation_failed' });
      expect(res.body.details.fields).toEqual(fields);
      expect(await count()).toBe(before);
    });

    it('malformed ids → 400 validation_failed', async () => {
      const res = await http().get('/api/workflows/not-a-uuid').set('Authorization', alice.auth).expect(400);
      expect(res.body).toMatchObject({ code: 'validation_failed', details: { fields: { id: [expect.any(String)] } } });
    });

    it('a forged cursor → 400', async () => {
      const res = await http().get('/api/workflows?cursor=bm9wZQ').set('Authorization', alice.auth).expect(400);
      expect(res.body.details.fields).toEqual({ cursor: ['cursor is not a valid cursor'] });
    });

    it('PATCH validates like POST and writes nothing on failure', async () => {
      const { body: wf } = await http().post('/api/workflows').set('Authorization', alice.auth).send({ name: 'Stable' }).expect(201);
      await http().patch(`/api/workflows/${wf.id}`).set('Authorization', alice.auth).send({ name: '', extra: 1 }).expect(400);
      expect((await http().get(`/api/workflows/${wf.id}`).set('Authorization', alice.auth)).body.name).toBe('Stable');
    });
  });
});
