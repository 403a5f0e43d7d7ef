import request from 'supertest';
import { createOwner, Owner } from '../factories/owners';
import { createTestApp, TestApp } from '../setup/test-app';

const SECRET = 'Bearer sk-tool-secret-5f1e2d';

const httpTool = (overrides: Record<string, unknown> = {}) => ({
  type: 'http',
  name: 'lookup_order',
  description: 'Find an order by id',
  method: 'GET',
  url: 'http://127.0.0.1:9/orders/{orderId}',
  parameters: { type: 'object', properties: { orderId: { type: 'string' } }, required: ['orderId'] },
  headers: { Authorization: SECRET },
  ...overrides,
});

const agent = (tools: unknown[], extra: Record<string, unknown> = {}) => ({ kind: 'agent', provider: 'compatible', model: 'm', baseUrl: 'http://127.0.0.1:9/v1', tools, ...extra });

describe('agent runner definitions (REST)', () => {
  let t: TestApp;
  let alice: Owner;
  const http = () => request(t.app.getHttpServer());
  const stored = async (id: string) => (await t.dataSource.query(`SELECT runner::text AS r FROM workflows WHERE id = $1`, [id]))[0].r as string;

  beforeAll(async () => {
    t = await createTestApp();
    alice = await createOwner(t.app, 'alice');
  });
  afterAll(() => t.close());

  it('stores http, mcp and client tools; header values are masked in responses and sealed at rest', async () => {
    const runner = agent(
      [
        httpTool({ approval: 'always', timeoutMs: 2000 }),
        { type: 'mcp', name: 'tasks', url: 'http://127.0.0.1:9/mcp', headers: { 'X-Api-Key': 'mcp-secret-77' }, allowedTools: ['list_tasks'], approvalOverrides: { delete_task: 'always' } },
        { type: 'client', name: 'get_location', parameters: { type: 'object', properties: {} } },
      ],
      { maxSteps: 4, instructions: 'Help.' },
    );
    const res = await http().post('/api/workflows').set('Authorization', alice.auth).send({ name: 'Agent', runner }).expect(201);
    expect(res.body.runner).toEqual({
      ...runner,
      tools: [
        { ...(runner.tools[0] as object), headers: { Authorization: '***' } },
        { ...(runner.tools[1] as object), headers: { 'X-Api-Key': '***' } },
        runner.tools[2],
      ],
    });
    const raw = await stored(res.body.id);
    expect(raw).not.toContain('sk-tool-secret');
    expect(raw).not.toContain('mcp-secret-77');
    expect(raw).toMatch(/"Authorization": "v1\./);
    const got = await http().get(`/api/workflows/${res.body.id}`).set('Authorization', alice.auth).expect(200);
    expect(JSON.stringify(got.body)).not.toContain('sk-tool-secret');
    const list = await http().get('/api/workflows').set('Authorization', alice.auth).expect(200);
    expect(JSON.stringify(list.body)).not.toContain('v1.');
  });

  it('PATCH with "***" keeps the stored value; a new value replaces it; "***" without a stored value is refused', async () => {
    const { body: wf } = await http().post('/api/workflows').set('Authorization', alice.auth).send({ name: 'Keep', runner: agent([httpTool()]) }).expect(201);
    const before = await stored(wf.id);
    const sealed = /"Authorization": "(v1\.[^"]+)"/.exec(before)![1];
    await http().patch(`/api/workflows/${wf.id}`).set('Authorization', alice.auth).send({ runner: agent([httpTool({ description: 'changed', headers: { Authorization: '***' } })]) }).expect(200);
    expect(await stored(wf.id)).toContain(sealed);
    await http().patch(`/api/workflows/${wf.id}`).set('Authorization', alice.auth).send({ runner: agent([httpTool({ headers: { Authorization: 'Bearer new' } })]) }).expect(200);
    expect(await stored(wf.id)).not.toContain(sealed);
    const refused = await http()
      .patch(`/api/workflows/${wf.id}`)
      .set('Authorization', alice.auth)
      .send({ runner: agent([httpTool({ headers: { Authorization: '***', 'X-Other': '***' } })]) })
      .expect(400);
    expect(refused.body).toMatchObject({ code: 'validation_failed', details: { fields: { 'runner.tools.0.headers.X-Other': [expect.stringContaining('has none for this header')] } } });
    const created = await http().post('/api/workflows').set('Authorization', alice.auth).send({ name: 'x', runner: agent([httpTool({ headers: { Authorization: '***' } })]) }).expect(400);
    expect(created.body.code).toBe('validation_failed');
  });

  describe('bad tool definitions → clear 4xx', () => {
    const cases: Array<[string, unknown[], number, string, Record<string, unknown>]> = [
      ['duplicate names', [httpTool(), { type: 'client', name: 'lookup_order' }], 400, 'tool_name_duplicate', { 'runner.tools.1.name': expect.any(Array) }],
      ['parameters not an object schema', [httpTool({ parameters: { type: 'string' } })], 400, 'tool_schema_invalid', { 'runner.tools.0.parameters': [expect.stringContaining('"type": "object"')] }],
      ['parameters that do not compile', [httpTool({ parameters: { type: 'object', properties: { a: { type: 'nonsense' } } } })], 400, 'tool_schema_invalid', { 'runner.tools.0.parameters': [expect.stringContaining('not a valid JSON Schema')] }],
      ['bad tool name', [httpTool({ name: 'has space' })], 400, 'validation_failed', { 'runner.tools.0.name': expect.any(Array) }],
      ['placeholder in the host', [httpTool({ url: 'http://{host}.example.com/x' })], 400, 'validation_failed', { 'runner.tools.0.url': expect.any(Array) }],
      ['placeholder in the query', [httpTool({ url: 'http://api.example.com/x?id={id}' })], 400, 'validation_failed', { 'runner.tools.0.url': expect.any(Array) }],
      ['non-http url', [httpTool({ url: 'file:///etc/passwd' })], 400, 'validation_failed', { 'runner.tools.0.url': expect.any(Array) }],
      ['reserved header', [httpTool({ headers: { 'X-Parley-Identity': 'forged' } })], 400, 'validation_failed', { 'runner.tools.0.headers': expect.any(Array) }],
      ['http field on a client tool', [{ type: 'client', name: 'c', method: 'GET' }], 400, 'validation_failed', { 'runner.tools.0.method': ['method applies only to http tools'] }],
      ['http tool without method', [httpTool({ method: undefined })], 400, 'validation_failed', { 'runner.tools.0.method': expect.any(Array) }],
      ['timeout out of range', [httpTool({ timeoutMs: 50 })], 400, 'validation_failed', { 'runner.tools.0.timeoutMs': expect.any(Array) }],
      ['too many tools', Array.from({ length: 33 }, (_, i) => ({ type: 'client', name: `t${i}` })), 400, 'validation_failed', { 'runner.tools': expect.any(Array) }],
    ];
    it.each(cases)('%s', async (_label, tools, status, code, fields) => {
      const res = await http().post('/api/workflows').set('Authorization', alice.auth).send({ name: 'x', runner: agent(tools) }).expect(status);
      expect(res.body).toMatchObject({ code });
      expect(res.body.details.fields).toEqual(fields);
      expect(JSON.stringify(res.body)).not.toContain('sk-tool-secret');
    });

    it('maxSteps above 25 and tools on an openai runner', async () => {
      const a = await http().post('/api/workflows').set('Authorization', alice.auth).send({ name: 'x', runner: agent([], { maxSteps: 26 }) }).expect(400);
      expect(a.body.details.fields).toEqual({ 'runner.maxSteps': ['maxSteps must not be greater than 25'] });
      const b = await http().post('/api/workflows').set('Authorization', alice.auth).send({ name: 'x', runner: { kind: 'openai', provider: 'openai', model: 'm', tools: [] } }).expect(400);
      expect(b.body.details.fields).toEqual({ 'runner.tools': ['tools applies only to agent runners'] });
    });
  });
});

describe('agent runner definitions with OUTBOUND_ALLOW_PRIVATE=false', () => {
  let t: TestApp;
  let alice: Owner;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await createTestApp({ env: { OUTBOUND_ALLOW_PRIVATE: 'false' } });
    alice = await createOwner(t.app, 'alice');
  });
  afterAll(() => t.close());

  it.each([
    ['a loopback literal tool URL', agent([httpTool({ url: 'http://127.0.0.1:8080/orders/{orderId}' })], { baseUrl: undefined, provider: 'openai' }), 'runner.tools.0.url'],
    ['a name resolving to loopback (MCP)', agent([{ type: 'mcp', name: 'm', url: 'http://localhost:8080/mcp' }], { baseUrl: undefined, provider: 'openai' }), 'runner.tools.0.url'],
    ['the metadata address', agent([httpTool({ url: 'http://169.254.169.254/latest/meta-data' })], { baseUrl: undefined, provider: 'openai' }), 'runner.tools.0.url'],
    ['a private compatible baseUrl (agent)', agent([], { baseUrl: 'http://10.0.0.8/v1' }), 'runner.baseUrl'],
    ['a private compatible baseUrl (openai)', { kind: 'openai', provider: 'compatible', model: 'm', baseUrl: 'http://[::1]:8000/v1' }, 'runner.baseUrl'],
  ])('refuses %s with 400 outbound_url_refused', async (_label, runner, field) => {
    const res = await http().post('/api/workflows').set('Authorization', alice.auth).send({ name: 'x', runner }).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, code: 'outbound_url_refused', details: { fields: { [field]: [expect.any(String)] } } });
  });
});
