import { Writable } from 'node:stream';
import request from 'supertest';
import { LOG_DESTINATION } from '../../src/logging/log-destination';
import { chatkit, chatToken, createChatApp } from '../chatkit/helpers';
import { createOwner, Owner } from '../factories/owners';
import { FakeMcp, startFakeMcp } from '../fakes/fake-mcp-server';
import { FakeOpenAI, startFakeOpenAI } from '../fakes/fake-openai-server';
import { FakeToolServer, startFakeToolServer } from '../fakes/fake-tool-server';
import type { TestApp } from '../setup/test-app';
import { create, createAgent, doneItems, finalText, stream, TOOL_SECRET } from './helpers';

class Capture extends Writable {
  chunks: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.chunks.push(chunk.toString());
    done();
  }
}

const SECRET_PART = 'tool-secret-9c41d7e2';
const MCP_SECRET = 'mcp-secret-e81f';

/** Secrets never leave, and the outbound policy holds at run time (WORKFLOWS §2, §9). */
describe('agent runner: secrets and outbound safety', () => {
  let model: FakeOpenAI;
  let tools: FakeToolServer;
  let mcp: FakeMcp;
  let baseUrl = '';

  beforeAll(async () => {
    model = await startFakeOpenAI();
    mcp = await startFakeMcp();
    tools = await startFakeToolServer({ jwksUrl: () => `${baseUrl}/.well-known/jwks.json`, issuer: 'http://localhost:3000' });
  });
  afterAll(async () => {
    await Promise.all([model?.close(), tools?.close(), mcp?.close()]);
  });

  describe('secrets', () => {
    const capture = new Capture();
    let t: TestApp;
    let owner: Owner;
    const responses: string[] = [];

    beforeAll(async () => {
      t = await createChatApp({ env: { LOG_LEVEL: 'debug' }, override: (b) => b.overrideProvider(LOG_DESTINATION).useValue(capture) });
      baseUrl = t.baseUrl;
      owner = await createOwner(t.app, 'secret-keeper');
    });
    afterAll(() => t?.close());

    it('header values appear in no response, transcript, error body or log line', async () => {
      const http = () => request(t.app.getHttpServer());
      const secretTools = [
        { type: 'http', name: 'lookup', method: 'GET', url: `${tools.origin}/orders/{id}`, headers: { Authorization: TOOL_SECRET } },
        { type: 'http', name: 'broken', method: 'GET', url: `${tools.origin}/fail`, headers: { Authorization: TOOL_SECRET } },
        { type: 'http', name: 'echo', method: 'GET', url: `${tools.origin}/echo`, headers: { Authorization: TOOL_SECRET } },
        { type: 'mcp', name: 'tasks', url: mcp.url, headers: { 'X-Api-Key': MCP_SECRET } },
      ];
      const workflowId = await createAgent(t, owner, model.baseUrl, secretTools);
      const token = await chatToken(t, owner, workflowId);
      // A refused save that carries the secret.
      const refused = await http()
        .post('/api/workflows')
        .set('Authorization', owner.auth)
        .send({ name: 'x', runner: { kind: 'agent', provider: 'openai', model: 'm', tools: [...secretTools, { ...secretTools[0] }] } });
      expect(refused.body.code).toBe('tool_name_duplicate');
      responses.push(refused.text);
      const events = await stream(t.baseUrl, token, create(`/tools ${JSON.stringify([{ name: 'lookup', arguments: { id: 'S-1' } }, { name: 'broken', arguments: {} }, { name: 'echo', arguments: {} }, { name: 'list_tasks', arguments: {} }])}`));
      responses.push(JSON.stringify(events));
      expect(tools.requests.map((r) => r.headers.authorization)).toEqual([TOOL_SECRET, TOOL_SECRET, TOOL_SECRET]);
      // The echoing tool's answer reached the model with the secret masked.
      expect(finalText(events)).toContain('"authorization":"***"');
      expect(mcp.requests.some((r) => r.headers['x-api-key'] === MCP_SECRET)).toBe(true);
      responses.push((await chatkit(t.baseUrl, token, { type: 'threads.get_by_id', params: { thread_id: events[0].thread.id } })).text);
      responses.push((await http().get(`/api/workflows/${workflowId}`).set('Authorization', owner.auth)).text);
      responses.push((await http().get('/api/workflows').set('Authorization', owner.auth)).text);
      responses.push((await http().get(`/api/workflows/${workflowId}/transcripts`).set('Authorization', owner.auth)).text);
      responses.push((await http().post(`/api/workflows/${workflowId}/tools/test`).set('Authorization', owner.auth).send({ tool: { ...secretTools[1], headers: { Authorization: '***' } } })).text);
      const logs = capture.chunks.join('');
      expect(logs.length).toBeGreaterThan(0);
      for (const text of [...responses, logs]) {
        expect(text).not.toContain(SECRET_PART);
        expect(text).not.toContain(MCP_SECRET);
      }
    });
  });

  describe('with OUTBOUND_ALLOW_PRIVATE=false', () => {
    let t: TestApp;
    let owner: Owner;
    let workflowId: string;
    let compatibleId: string;

    beforeAll(async () => {
      // Saved while private targets were allowed (development), then served by a strict instance
      // that only allows the model and the tool server by host:port.
      t = await createChatApp();
      owner = await createOwner(t.app, 'strict');
      workflowId = await createAgent(t, owner, model.baseUrl, [
        { type: 'http', name: 'by_name', method: 'GET', url: `http://localhost:${new URL(tools.origin).port}/orders/{id}` },
        { type: 'http', name: 'metadata', method: 'GET', url: 'http://169.254.169.254/latest/meta-data/' },
        { type: 'http', name: 'bounce', method: 'GET', url: `${tools.origin}/redirect?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}` },
        { type: 'http', name: 'bounce_local', method: 'GET', url: `${tools.origin}/redirect?to=${encodeURIComponent(`http://localhost:${new URL(mcp.origin).port}/mcp`)}` },
        { type: 'mcp', name: 'tasks', url: `http://localhost:${new URL(mcp.origin).port}/mcp` },
      ]);
      const compatible = await request(t.app.getHttpServer())
        .post('/api/workflows')
        .set('Authorization', owner.auth)
        // An IPv4-mapped IPv6 literal of the fake: reachable (dual stack), but not an allowed host.
        .send({ name: 'c', runner: { kind: 'openai', provider: 'compatible', model: 'm', baseUrl: `http://[::ffff:127.0.0.1]:${new URL(model.origin).port}/v1` } })
        .expect(201);
      compatibleId = compatible.body.id;
      await t.close();
      t = await createChatApp({
        keepData: true,
        env: { OUTBOUND_ALLOW_PRIVATE: 'false', OUTBOUND_ALLOW_HOSTS: `${new URL(model.origin).host},${new URL(tools.origin).host}` },
      });
      baseUrl = t.baseUrl;
    });
    afterAll(() => t?.close());
    beforeEach(() => {
      tools.reset();
      mcp.reset();
    });

    it('refuses tool URLs that resolve or point to private addresses, and redirects into them, without sending anything', async () => {
      const token = await chatToken(t, owner, workflowId);
      const script = ['by_name', 'metadata', 'bounce', 'bounce_local'].map((name) => ({ name, arguments: name === 'by_name' ? { id: '1' } : {} }));
      const events = await stream(t.baseUrl, token, create(`/tools ${JSON.stringify(script)}`));
      const tasks = doneItems(events, 'workflow')[0].workflow.tasks;
      expect(tasks.map((task: { content?: string }) => task.content)).toEqual(Array(4).fill('Error: refused by the outbound policy'));
      const text = finalText(events);
      expect(text).toContain('by_name=Error: Outbound request refused: localhost resolves to a private, loopback or link-local address.');
      expect(text).toContain('metadata=Error: Outbound request refused: 169.254.169.254 is a private, loopback or link-local address.');
      expect(text).toContain('bounce=Error: Outbound request refused: 169.254.169.254 is a private');
      expect(text).toContain('bounce_local=Error: Outbound request refused: localhost resolves to a private');
      // Only the allowed first hops reached the tool server; nothing reached the MCP server.
      expect(tools.requests.map((r) => r.path)).toEqual(['/redirect', '/redirect']);
      expect(mcp.requests).toHaveLength(0);
      // The MCP server behind a private name was not listed either.
      const offered = (model.requests[model.requests.length - 2].body as { tools: Array<{ function: { name: string } }> }).tools.map((tool) => tool.function.name);
      expect(offered).toEqual(['by_name', 'metadata', 'bounce', 'bounce_local']);
    });

    it('a compatible model base URL is held to the policy too', async () => {
      // Reachable without the policy (proves the refusal below is the policy's):
      expect((await fetch(`http://[::ffff:127.0.0.1]:${new URL(model.origin).port}/v1/models`)).status).toBe(404);
      const before = model.requests.length;
      const answer = await chatkit(t.baseUrl, await chatToken(t, owner, compatibleId), create('hello'));
      expect(answer.events!.find((e) => e.type === 'error')).toEqual({ type: 'error', code: 'custom', message: 'The model provider could not be reached. Please try again.', allow_retry: true });
      expect(model.requests.length).toBe(before);
    });

    it('the tool connection test reports the refusal', async () => {
      const res = await request(t.app.getHttpServer())
        .post(`/api/workflows/${workflowId}/tools/test`)
        .set('Authorization', owner.auth)
        .send({ tool: { type: 'mcp', name: 'tasks', url: `http://localhost:${new URL(mcp.origin).port}/mcp` } })
        .expect(200);
      expect(res.body).toEqual({ ok: false, code: 'outbound_url_refused', message: expect.stringContaining('localhost resolves to a private') });
    });
  });

  describe('tool connection test', () => {
    let t: TestApp;
    let owner: Owner;
    let workflowId: string;
    const http = () => request(t.app.getHttpServer());

    beforeAll(async () => {
      t = await createChatApp();
      baseUrl = t.baseUrl;
      owner = await createOwner(t.app, 'tester');
      workflowId = await createAgent(t, owner, model.baseUrl, [{ type: 'mcp', name: 'tasks', url: mcp.url, headers: { 'X-Api-Key': MCP_SECRET } }]);
    });
    afterAll(() => t?.close());

    it('lists an MCP server’s tools with the stored secret filled in for "***", after allowedTools', async () => {
      mcp.reset();
      const res = await http()
        .post(`/api/workflows/${workflowId}/tools/test`)
        .set('Authorization', owner.auth)
        .send({ tool: { type: 'mcp', name: 'tasks', url: mcp.url, headers: { 'X-Api-Key': '***' }, allowedTools: ['list_tasks', 'add_task'] } })
        .expect(200);
      expect(res.body).toEqual({ ok: true, tools: [{ name: 'list_tasks', description: 'List the signed-in person’s tasks' }, { name: 'add_task', description: 'Add a task' }] });
      expect(mcp.requests.every((r) => r.headers['x-api-key'] === MCP_SECRET)).toBe(true);
    });

    it('reaches an http tool with HEAD, reports unreachable servers and invalid schemas, and is owner-only', async () => {
      const head = await http().post(`/api/workflows/${workflowId}/tools/test`).set('Authorization', owner.auth).send({ tool: { type: 'http', name: 'o', method: 'GET', url: `${tools.origin}/orders/{id}` } }).expect(200);
      // Any HTTP answer means reachable (the fake routes only GET /orders); the HEAD carried a valid identity.
      expect(head.body).toEqual({ ok: true, status: 404 });
      expect(tools.requests[tools.requests.length - 1]).toMatchObject({ method: 'HEAD', path: '/orders/test', identityError: null });
      const down = await http().post(`/api/workflows/${workflowId}/tools/test`).set('Authorization', owner.auth).send({ tool: { type: 'mcp', name: 'm', url: 'http://127.0.0.1:9/mcp' } }).expect(200);
      expect(down.body).toEqual({ ok: false, code: 'tool_unreachable', message: expect.any(String) });
      const schema = await http().post(`/api/workflows/${workflowId}/tools/test`).set('Authorization', owner.auth).send({ tool: { type: 'client', name: 'c', parameters: { type: 'array' } } }).expect(200);
      expect(schema.body).toMatchObject({ ok: false, code: 'tool_schema_invalid' });
      const stranger = await createOwner(t.app, 'stranger');
      const foreign = await http().post(`/api/workflows/${workflowId}/tools/test`).set('Authorization', stranger.auth).send({ tool: { type: 'client', name: 'c' } }).expect(404);
      expect(foreign.body.code).toBe('not_found');
      const anonymous = await http().post(`/api/workflows/${workflowId}/tools/test`).send({ tool: { type: 'client', name: 'c' } }).expect(401);
      expect(anonymous.body.code).toBe('unauthenticated');
      const invalid = await http().post(`/api/workflows/${workflowId}/tools/test`).set('Authorization', owner.auth).send({ tool: { type: 'http', name: 'bad name' } }).expect(400);
      expect(invalid.body.code).toBe('validation_failed');
    });
  });
});
