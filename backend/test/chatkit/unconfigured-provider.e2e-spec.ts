import request from 'supertest';
import { createOwner } from '../factories/owners';
import type { TestApp } from '../setup/test-app';
import { chatkit, chatToken, createChatApp, createWorkflow } from './helpers';

const create = (text: string) => ({ type: 'threads.create', params: { input: { content: [{ type: 'input_text', text }] } } });

/**
 * A model workflow on a server without the provider's API key: the owner is told which server variable is missing,
 * a public visitor only that the chat is not available right now (no configuration details).
 */
describe('a model workflow whose provider has no API key on the server', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createChatApp({ env: { OPENAI_API_KEY: '', GEMINI_API_KEY: '' } });
  });
  afterAll(() => t.close());

  it('tells the owner (canvas chat) which environment variable to set', async () => {
    const owner = await createOwner(t.app, 'keyless');
    const workflowId = await createWorkflow(t, owner, { kind: 'openai', provider: 'openai', model: 'gpt-4o-mini' });
    const answer = await chatkit(t.baseUrl, await chatToken(t, owner, workflowId), create('hello'));
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('OPENAI_API_KEY');
  });

  it('shows public visitors a neutral "not available right now", never configuration details', async () => {
    const owner = await createOwner(t.app, 'keyless-public');
    const workflowId = await createWorkflow(t, owner, { kind: 'openai', provider: 'gemini', model: 'gemini-2.0-flash' });
    const published = await request(t.app.getHttpServer()).post(`/api/workflows/${workflowId}/publish`).set('Authorization', owner.auth).send({ requireLogin: false }).expect(201);
    const answer = await chatkit(t.baseUrl, null, create('hello'), { 'x-parley-publish-token': published.body.publishToken as string });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('not available right now');
    expect(answer.text).not.toMatch(/API_KEY|API key|configured/i);
  });

  it('says the same for an agent runner: the variable to the owner, nothing to visitors', async () => {
    const owner = await createOwner(t.app, 'keyless-agent');
    const res = await request(t.app.getHttpServer())
      .post('/api/workflows')
      .set('Authorization', owner.auth)
      .send({ name: 'Agent', runner: { kind: 'agent', provider: 'openai', model: 'gpt-4o-mini', tools: [] } })
      .expect(201);
    const workflowId = res.body.id as string;
    expect((await chatkit(t.baseUrl, await chatToken(t, owner, workflowId), create('hello'))).text).toContain('OPENAI_API_KEY');
    const published = await request(t.app.getHttpServer()).post(`/api/workflows/${workflowId}/publish`).set('Authorization', owner.auth).send({ requireLogin: false }).expect(201);
    const visitor = await chatkit(t.baseUrl, null, create('hello'), { 'x-parley-publish-token': published.body.publishToken as string });
    expect(visitor.text).toContain('not available right now');
    expect(visitor.text).not.toMatch(/API_KEY|API key|configured/i);
  });
});
