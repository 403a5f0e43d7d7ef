import OpenAI from 'openai';
import { AgentRunner } from '../../src/agents/agent-runner';
import { AgentRuntime } from '../../src/agents/agent-runtime';
import type { ThreadMetadata, ThreadStreamEvent, UserMessageItem } from '../../src/chat-protocol/types';
import type { ChatContext } from '../../src/runners/chat-context';
import type { AgentRunnerDefinition } from '../../src/workflows/runner-definition';
import type { WorkflowSnapshot } from '../../src/workflows/workflows.service';
import { chatToken, createChatApp } from '../chatkit/helpers';
import { createOwner, Owner } from '../factories/owners';
import { FakeOpenAI, startFakeOpenAI } from '../fakes/fake-openai-server';
import { FakeToolServer, startFakeToolServer } from '../fakes/fake-tool-server';
import { MemoryChatStore } from '../fakes/memory-store';
import type { TestApp } from '../setup/test-app';
import { create, createAgent, stream, toolCalls } from './helpers';

/**
 * The agent loop opens the next model request while the processor stores the step's `workflow`
 * item (docs/performance.md, Agent tool calls). Driven here as the processor drives it — the
 * runner's event iterator, pulled one event at a time — against the real fake model, a real tool
 * server, the app's real AgentRuntime (tool calls, identity tokens, the `agent_tool_calls` table):
 * the request goes out before the item is consumed, is used (not repeated) when the loop goes on,
 * and is ended when the consumer stops at the item.
 */
describe('agent runner: the next model request starts while the workflow item is stored', () => {
  let t: TestApp;
  let model: FakeOpenAI;
  let tools: FakeToolServer;
  let owner: Owner;
  let workflowId: string;
  let baseUrl = '';
  let definition: AgentRunnerDefinition;

  beforeAll(async () => {
    model = await startFakeOpenAI();
    tools = await startFakeToolServer({ jwksUrl: () => `${baseUrl}/.well-known/jwks.json`, issuer: 'http://localhost:3000' });
    t = await createChatApp({ env: { OPENAI_BASE_URL: model.baseUrl, OPENAI_API_KEY: 'sk-agent-test' } });
    baseUrl = t.baseUrl;
    owner = await createOwner(t.app, 'agent-early');
    definition = {
      kind: 'agent',
      provider: 'compatible',
      model: 'fake-model',
      baseUrl: model.baseUrl,
      instructions: 'Use tools.',
      tools: [
        { type: 'http', name: 'lookup_order', method: 'GET', url: `${tools.origin}/orders/{orderId}`, parameters: { type: 'object', properties: { orderId: { type: 'string' } }, required: ['orderId'] } },
        { type: 'http', name: 'hang_tool', method: 'GET', url: `${tools.origin}/hang`, parameters: { type: 'object', properties: {} } },
      ],
    } as AgentRunnerDefinition;
    workflowId = await createAgent(t, owner, model.baseUrl, definition.tools);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([model?.close(), tools?.close()]);
  });
  beforeEach(() => {
    model.reset();
    tools.reset();
  });

  /** A thread that exists in the database (the calls table references it), and a runner over an in-memory item store. */
  async function setup(text: string, timeoutMs = 10_000) {
    const events = await stream(t.baseUrl, await chatToken(t, owner, workflowId), create('hello'));
    const threadId = events.find((e) => e.type === 'thread.created')!.thread.id as string;
    model.reset();
    const ctx = {
      workflow: { id: workflowId } as WorkflowSnapshot,
      workflowVersion: null,
      scope: { workflowId } as ChatContext['scope'],
      principal: { kind: 'user', userId: owner.id, email: owner.email, credential: 'access_token' },
      requestId: 'req-early',
      channel: 'canvas',
    } as ChatContext;
    const store = new MemoryChatStore<ChatContext>({ scopeOf: () => 'scope' });
    const thread: ThreadMetadata = { id: threadId, created_at: new Date().toISOString(), status: { type: 'active' }, metadata: {} } as ThreadMetadata;
    await store.saveThread(thread, ctx);
    const user: UserMessageItem = {
      id: 'msg_user',
      thread_id: threadId,
      created_at: new Date().toISOString(),
      type: 'user_message',
      content: [{ type: 'input_text', text }],
      attachments: [],
      inference_options: {},
    } as UserMessageItem;
    await store.addThreadItem(threadId, user, ctx);
    const runner = new AgentRunner({ definition, client: new OpenAI({ baseURL: model.baseUrl, apiKey: 'sk-agent-test' }), timeoutMs, store, runtime: t.app.get(AgentRuntime) });
    const controller = new AbortController();
    const events$ = runner.respond(thread, user, ctx, controller.signal)[Symbol.asyncIterator]();
    /** Pulls events until `stop` matches one; returns it (never consumes past it). */
    const until = async (stop: (e: ThreadStreamEvent) => boolean): Promise<ThreadStreamEvent> => {
      for (;;) {
        const step = await events$.next();
        if (step.done) throw new Error('the runner finished before the expected event');
        if (stop(step.value)) return step.value;
      }
    };
    return { threadId, events$, until, controller };
  }

  const workflowDone = (e: ThreadStreamEvent) => e.type === 'thread.item.done' && e.item.type === 'workflow';
  const completions = () => model.requests.filter((r) => r.path.endsWith('/chat/completions'));

  it('sends the second model request before the workflow item is consumed, and uses it (no second copy)', async () => {
    const { events$, until, threadId } = await setup('/tool lookup_order {"orderId":"A-1"}');
    await until(workflowDone);
    // The runner is suspended at the item: nothing pulls it. The next request is already on its way.
    await tools.waitFor(() => completions().length === 2);
    const second = completions()[1].body as { messages: Array<{ role: string; content: unknown }> };
    expect(second.messages.at(-1)).toMatchObject({ role: 'tool' });
    expect(String(second.messages.at(-1)!.content)).toContain('A-1');
    const rest: ThreadStreamEvent[] = [];
    for (let step = await events$.next(); !step.done; step = await events$.next()) rest.push(step.value);
    const answer = rest.filter((e) => e.type === 'thread.item.done' && e.item.type === 'assistant_message').map((e) => (e as { item: { content: Array<{ text: string }> } }).item.content[0].text);
    expect(answer).toEqual([expect.stringMatching(/^Tool results: lookup_order=.*A-1/)]);
    expect(completions()).toHaveLength(2);
    expect(model.aborts).toEqual([]);
    expect((await toolCalls(t, threadId)).map((r) => [r.tool_name, r.status])).toEqual([['lookup_order', 'completed']]);
  });

  it('ends the early request when the consumer stops at the workflow item (return(), as on a disconnect)', async () => {
    const { events$, until, threadId } = await setup('/tool-stall lookup_order {"orderId":"B-2"}');
    await until(workflowDone);
    await tools.waitFor(() => completions().length === 2);
    await events$.return?.(undefined);
    await model.waitForAborts(1);
    expect(model.aborts).toEqual(['/v1/chat/completions']);
    expect(completions()).toHaveLength(2);
    // The settled call is stored all the same.
    expect((await toolCalls(t, threadId)).map((r) => [r.tool_name, r.status])).toEqual([['lookup_order', 'completed']]);
  });

  it('ends the early request when the client cancels while the item is being stored', async () => {
    const { until, controller } = await setup('/tool-stall lookup_order {"orderId":"C-3"}');
    await until(workflowDone);
    await tools.waitFor(() => completions().length === 2);
    controller.abort();
    await model.waitForAborts(1);
    expect(model.aborts).toEqual(['/v1/chat/completions']);
  });

  it('a consumer that abandons the iterator without return() cannot hold the early request open past the idle timeout', async () => {
    const { until } = await setup('/tool-stall lookup_order {"orderId":"D-4"}', 1000);
    await until(workflowDone);
    await tools.waitFor(() => completions().length === 2);
    // Never resumed, never returned (the processor's own store failure does this): the idle timer ends it.
    await model.waitForAborts(1, 10_000);
    expect(model.aborts).toEqual(['/v1/chat/completions']);
  });

  const workflowAdded = (e: ThreadStreamEvent) => e.type === 'thread.item.added' && e.item.type === 'workflow';

  it('starts the tool call before the workflow item\'s `added` event is consumed', async () => {
    const { events$, until } = await setup('/tool lookup_order {"orderId":"F-6"}');
    const added = await until(workflowAdded);
    expect((added as { item: { workflow: { tasks: Array<{ status_indicator: string }> } } }).item.workflow.tasks[0].status_indicator).toBe('loading');
    // Suspended at `added`: the tool request is already on its way.
    await tools.waitFor(() => tools.requests.some((r) => r.path === '/orders/F-6'));
    const rest: ThreadStreamEvent[] = [];
    for (let step = await events$.next(); !step.done; step = await events$.next()) rest.push(step.value);
    expect(rest.filter((e) => e.type === 'thread.item.updated' && e.update.type === 'workflow.task.updated')).toHaveLength(1);
    expect(tools.requests.filter((r) => r.path === '/orders/F-6')).toHaveLength(1);
  });

  it('ends a started tool call when the consumer stops at the `added` event (return(), as on a disconnect)', async () => {
    const { events$, until, threadId } = await setup('/tool hang_tool {}');
    await until(workflowAdded);
    await tools.waitFor(() => tools.requests.some((r) => r.path === '/hang'));
    await events$.return?.(undefined);
    await tools.waitFor(() => tools.aborted.includes('/hang'));
    // Nothing of the step was stored: the item never reached `done`.
    expect(await toolCalls(t, threadId)).toEqual([]);
  });

  it('opens no early request when the next step would pass maxSteps', async () => {
    const limited = { ...definition, maxSteps: 1 };
    const original = definition;
    definition = limited;
    try {
      const { events$ } = await setup('/loop lookup_order {"orderId":"E-5"}');
      const all: ThreadStreamEvent[] = [];
      for (let step = await events$.next(); !step.done; step = await events$.next()) all.push(step.value);
      expect(completions()).toHaveLength(1);
      const last = all.at(-1) as { item: { content: Array<{ text: string }> } };
      expect(last.item.content[0].text).toContain('I stopped after 1 tool steps');
    } finally {
      definition = original;
    }
  });
});
