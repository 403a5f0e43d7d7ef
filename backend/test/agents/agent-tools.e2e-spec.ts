import { chatkit } from '../chatkit/helpers';
import { chatToken, createChatApp } from '../chatkit/helpers';
import { createOwner, Owner } from '../factories/owners';
import { FakeMcp, startFakeMcp } from '../fakes/fake-mcp-server';
import { FakeOpenAI, startFakeOpenAI } from '../fakes/fake-openai-server';
import { FakeToolServer, startFakeToolServer } from '../fakes/fake-tool-server';
import type { TestApp } from '../setup/test-app';
import { create, createAgent, doneItems, finalText, message, stream, TOOL_SECRET, toolCalls } from './helpers';

/**
 * The agent runner end to end: the real app, the real OpenAI SDK against the scripted fake model,
 * an HTTP tool server that verifies X-Parley-Identity against the app's JWKS, and an MCP server
 * built with the SDK. Nothing is mocked.
 */
describe('agent runner: http, mcp and client tools', () => {
  let t: TestApp;
  let model: FakeOpenAI;
  let tools: FakeToolServer;
  let mcp: FakeMcp;
  let owner: Owner;
  let workflowId: string;
  let token: string;
  let baseUrl = '';

  beforeAll(async () => {
    model = await startFakeOpenAI();
    mcp = await startFakeMcp();
    tools = await startFakeToolServer({ jwksUrl: () => `${baseUrl}/.well-known/jwks.json`, issuer: 'http://localhost:3000' });
    t = await createChatApp({ env: { OPENAI_BASE_URL: model.baseUrl, OPENAI_API_KEY: 'sk-agent-test' } });
    baseUrl = t.baseUrl;
    owner = await createOwner(t.app, 'agent-owner');
    workflowId = await createAgent(t, owner, model.baseUrl, [
      {
        type: 'http',
        name: 'lookup_order',
        description: 'Find an order',
        method: 'GET',
        url: `${tools.origin}/orders/{orderId}`,
        parameters: { type: 'object', properties: { orderId: { type: 'string' }, verbose: { type: 'boolean' } }, required: ['orderId'], additionalProperties: false },
        headers: { Authorization: TOOL_SECRET },
      },
      { type: 'http', name: 'add_todo', method: 'POST', url: `${tools.origin}/todos`, parameters: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] } },
      { type: 'http', name: 'barrier', method: 'GET', url: `${tools.origin}/barrier/2`, timeoutMs: 5000 },
      { type: 'http', name: 'hang', method: 'GET', url: `${tools.origin}/hang`, timeoutMs: 300 },
      { type: 'http', name: 'big', method: 'GET', url: `${tools.origin}/big` },
      { type: 'http', name: 'http_fail', method: 'GET', url: `${tools.origin}/fail` },
      { type: 'mcp', name: 'tasks', url: mcp.url, headers: { 'X-Api-Key': 'mcp-key-31337' }, allowedTools: ['list_tasks', 'add_task', 'fail'] },
      { type: 'client', name: 'get_location', description: 'The browser’s city', parameters: { type: 'object', properties: { precise: { type: 'boolean' } } } },
    ]);
    token = await chatToken(t, owner, workflowId);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([model?.close(), tools?.close(), mcp?.close()]);
  });
  beforeEach(() => {
    model.reset();
    tools.reset();
    mcp.reset();
  });

  it('runs an http tool as a workflow item (loading → complete), with the identity and the secret header, then streams the answer', async () => {
    const events = await stream(t.baseUrl, token, create('/tool lookup_order {"orderId":"A-17","verbose":true}'));
    const threadId = events[0].thread.id as string;
    const workflowAdded = events.find((e) => e.type === 'thread.item.added' && e.item.type === 'workflow');
    expect(workflowAdded.item.workflow).toEqual({ type: 'custom', tasks: [{ type: 'custom', title: 'lookup_order', status_indicator: 'loading' }], expanded: false });
    const update = events.find((e) => e.type === 'thread.item.updated' && e.item_id === workflowAdded.item.id);
    expect(update.update).toEqual({ type: 'workflow.task.updated', task_index: 0, task: { type: 'custom', title: 'lookup_order', status_indicator: 'complete' } });
    expect(doneItems(events, 'workflow')[0].workflow.tasks[0].status_indicator).toBe('complete');
    expect(finalText(events)).toBe(`Tool results: lookup_order={"id":"A-17","status":"shipped","owner":"${owner.id}","kind":"chat","verbose":"true"}`);

    // The tool server verified X-Parley-Identity against the JWKS; the owner's secret header arrived.
    expect(tools.requests).toHaveLength(1);
    const [call] = tools.requests;
    expect(call).toMatchObject({ method: 'GET', path: '/orders/A-17', query: { verbose: 'true' }, identityError: null });
    expect(call.claims).toMatchObject({ iss: 'http://localhost:3000', aud: tools.origin, wf: workflowId, thr: threadId, sub: owner.id, kind: 'chat' });
    expect(call.claims!.exp! - call.claims!.iat!).toBeLessThanOrEqual(60);
    expect(call.headers.authorization).toBe(TOOL_SECRET);

    // The model got the tool definitions and, in the second step, the tool result.
    const first = model.requests[0].body as { tools: Array<{ function: { name: string } }> };
    expect(first.tools.map((tool) => tool.function.name)).toEqual(['lookup_order', 'add_todo', 'barrier', 'hang', 'big', 'http_fail', 'list_tasks', 'add_task', 'fail', 'get_location']);
    const second = model.requests[1].body as { messages: Array<{ role: string; tool_call_id?: string }> };
    expect(second.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);

    const rows = await toolCalls(t, threadId);
    expect(rows).toEqual([
      expect.objectContaining({ workflow_id: workflowId, tool_name: 'lookup_order', tool_type: 'http', approval: 'none', status: 'completed', arguments: { orderId: 'A-17', verbose: true } }),
    ]);
    expect(rows[0].completed_at).toBeInstanceOf(Date);
  });

  it('posts JSON bodies for POST tools', async () => {
    const events = await stream(t.baseUrl, token, create('/tool add_todo {"title":"buy milk"}'));
    expect(tools.requests[0]).toMatchObject({ method: 'POST', path: '/todos', body: { title: 'buy milk' } });
    expect(tools.requests[0].headers['content-type']).toBe('application/json');
    expect(finalText(events)).toContain('"created":{"title":"buy milk"}');
  });

  it('runs parallel calls concurrently, and never executes calls with bad arguments (the model is told why)', async () => {
    const script = [
      { name: 'barrier', arguments: {} },
      { name: 'barrier', arguments: {} },
      { name: 'lookup_order', arguments: '{"orderId": ' },
      { name: 'lookup_order', arguments: { order: 'A-1' } },
      { name: 'no_such_tool', arguments: {} },
    ];
    const events = await stream(t.baseUrl, token, create(`/tools ${JSON.stringify(script)}`));
    // The barrier answers only when both calls are in flight at once.
    expect(tools.requests.map((r) => r.path)).toEqual(['/barrier/2', '/barrier/2']);
    const tasks = doneItems(events, 'workflow')[0].workflow.tasks;
    expect(tasks.map((task: { status_indicator: string }) => task.status_indicator)).toEqual(['complete', 'complete', 'none', 'none', 'none']);
    expect(tasks[2].content).toBe('Error: invalid call, not executed');
    const text = finalText(events);
    expect(text).toContain('lookup_order=Error: invalid call, not executed: the arguments are not valid JSON');
    expect(text).toContain("must have required property 'orderId'");
    expect(text).toContain('no_such_tool=Error: invalid call, not executed: there is no tool named "no_such_tool"');
    const rows = await toolCalls(t, events[0].thread.id);
    expect(rows.map((r) => r.status)).toEqual(['completed', 'completed', 'failed', 'failed', 'failed']);
    expect(rows[2].arguments).toBe('{"orderId": ');
  });

  it('reports timeouts, HTTP errors and oversized outputs to the model; the turn goes on', async () => {
    const script = [
      { name: 'hang', arguments: {} },
      { name: 'http_fail', arguments: {} },
      { name: 'big', arguments: {} },
    ];
    const events = await stream(t.baseUrl, token, create(`/tools ${JSON.stringify(script)}`));
    const tasks = doneItems(events, 'workflow')[0].workflow.tasks;
    expect(tasks.map((task: { content?: string }) => task.content ?? 'ok')).toEqual(['Error: timed out', 'Error: HTTP 500', 'ok']);
    const toolMessages = (model.requests[1].body as { messages: Array<{ role: string; content: string }> }).messages.filter((m) => m.role === 'tool');
    expect(toolMessages[0].content).toBe('Error: the tool did not answer within 300 ms');
    expect(toolMessages[1].content).toBe('Error: HTTP 500: {"error":"database on fire"}');
    expect(Buffer.byteLength(toolMessages[2].content)).toBeLessThanOrEqual(64 * 1024);
    expect(toolMessages[2].content.endsWith('[… output truncated by Parley: it exceeded 64 KB]')).toBe(true);
    expect(finalText(events)).toMatch(/^Tool results: hang=Error/);
  });

  it('caps the tool output of one answer (256 KB): the call past the budget is withheld from the model', async () => {
    const events = await stream(t.baseUrl, token, create(`/tools ${JSON.stringify(Array.from({ length: 5 }, () => ({ name: 'big', arguments: {} })))}`));
    const tasks = doneItems(events, 'workflow')[0].workflow.tasks as Array<{ content?: string }>;
    expect(tasks.filter((task) => task.content === 'Error: output budget used up')).toHaveLength(1);
    expect(tools.requests).toHaveLength(5);
  });

  it('calls MCP tools listed by the server (allowedTools filter), with the identity and headers on every request', async () => {
    const events = await stream(t.baseUrl, token, create('/tool add_task {"title":"write docs"}'));
    const threadId = events[0].thread.id as string;
    expect(finalText(events)).toMatch(/^Tool results: add_task=\{"added":\{"id":\d+,"title":"write docs"\}\}$/);
    const offered = (model.requests[0].body as { tools: Array<{ function: { name: string; parameters: unknown } }> }).tools;
    expect(offered.map((tool) => tool.function.name)).not.toContain('delete_task');
    expect(offered.find((tool) => tool.function.name === 'add_task')!.function.parameters).toMatchObject({ type: 'object', properties: { title: { type: 'string' } } });
    expect(mcp.calls).toContain('tools/call:add_task');
    for (const req of mcp.requests.filter((r) => r.method === 'POST')) {
      expect(req.headers['x-api-key']).toBe('mcp-key-31337');
      expect(typeof req.headers['x-parley-identity']).toBe('string');
    }
    expect(mcp.tasks.get(owner.id)).toEqual([expect.objectContaining({ title: 'write docs' })]);
    const rows = await toolCalls(t, threadId);
    expect(rows[0]).toMatchObject({ tool_type: 'mcp', tool_name: 'add_task', tool_source: 'tasks', status: 'completed' });

    // A second turn reuses the cached listing: no tools/list.
    mcp.reset();
    const again = await stream(t.baseUrl, token, message(threadId, '/tool list_tasks {}'));
    expect(mcp.calls.filter((c) => c === 'tools/list')).toEqual([]);
    expect(finalText(again)).toContain('"title":"write docs"');
  });

  it('an MCP isError result and bad arguments are errors for the model', async () => {
    const events = await stream(t.baseUrl, token, create(`/tools ${JSON.stringify([{ name: 'fail', arguments: {} }, { name: 'add_task', arguments: { title: 5 } }])}`));
    const text = finalText(events);
    expect(text).toContain('fail=Error: the fake refused');
    expect(text).toContain('add_task=Error: invalid call, not executed: /title must be string');
    expect(mcp.calls).not.toContain('tools/call:add_task');
  });

  it('a client tool ends the turn with a client_tool_call; the output continues it', async () => {
    const events = await stream(t.baseUrl, token, create('/tool get_location {"precise":true}'));
    const threadId = events[0].thread.id as string;
    const [call] = doneItems(events, 'client_tool_call');
    expect(call).toMatchObject({ status: 'pending', name: 'get_location', arguments: { precise: true } });
    expect(events[events.length - 1].type).toBe('thread.updated');
    const resumed = await stream(t.baseUrl, token, { type: 'threads.add_client_tool_output', params: { thread_id: threadId, result: { city: 'Paris' } } });
    expect(finalText(resumed)).toBe('Tool results: get_location={"city":"Paris"}');
    const rows = await toolCalls(t, threadId);
    expect(rows[0]).toMatchObject({ tool_type: 'client', status: 'completed', output: '{"city":"Paris"}', item_id: call.id });
    // Rows go with their thread.
    expect((await chatkit(t.baseUrl, token, { type: 'threads.delete', params: { thread_id: threadId } })).status).toBe(200);
    expect(await toolCalls(t, threadId)).toEqual([]);
  });

  it('cancelling the stream aborts the in-flight tool call', async () => {
    const controller = new AbortController();
    const res = await fetch(`${t.baseUrl}/api/chatkit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(create('/tool hang {}')),
      signal: controller.signal,
    });
    // Wait until the tool server holds the request, then hang up.
    await tools.waitFor(() => tools.requests.some((r) => r.path === '/hang'));
    controller.abort();
    await res.body?.cancel().catch(() => undefined);
    await tools.waitFor(() => tools.aborted.includes('/hang'));
    expect(tools.aborted).toEqual(['/hang']);
  });

  it('stops after maxSteps with a notice', async () => {
    const limited = await createAgent(t, owner, model.baseUrl, [{ type: 'http', name: 'add_todo', method: 'POST', url: `${tools.origin}/todos` }], { maxSteps: 2 });
    const limitedToken = await chatToken(t, owner, limited);
    const events = await stream(t.baseUrl, limitedToken, create('/loop add_todo {"title":"again"}'));
    expect(tools.requests).toHaveLength(2);
    expect(finalText(events)).toBe("I stopped after 2 tool steps without a final answer (the workflow's limit). Ask me to continue, or narrow the request.");
  });

  it('dictation works as for an openai runner of the same provider', async () => {
    const audio = { type: 'input.transcribe', params: { audio_base64: Buffer.from('fake-opus-audio').toString('base64'), mime_type: 'audio/webm;codecs=opus' } };
    const withOpenAI = await createAgent(t, owner, model.baseUrl, [], { provider: 'openai', baseUrl: undefined });
    const heard = await chatkit(t.baseUrl, await chatToken(t, owner, withOpenAI), audio);
    expect([heard.status, heard.body]).toEqual([200, { text: 'Heard 15 bytes of audio/webm in dictation.webm with gpt-4o-mini-transcribe' }]);
    const refused = await chatkit(t.baseUrl, token, audio);
    expect([refused.status, refused.body.code]).toEqual([400, 'not_supported']);
  });

  it('never shows a header secret in any response or transcript', async () => {
    const events = await stream(t.baseUrl, token, create('/tool lookup_order {"orderId":"S"}'));
    const threadId = events[0].thread.id as string;
    const thread = await chatkit(t.baseUrl, token, { type: 'threads.get_by_id', params: { thread_id: threadId } });
    const wf = await fetch(`${t.baseUrl}/api/workflows/${workflowId}`, { headers: { authorization: owner.auth } });
    for (const text of [JSON.stringify(events), thread.text, await wf.text()]) {
      expect(text).not.toContain('tool-secret');
      expect(text).not.toContain('mcp-key-31337');
    }
  });
});
