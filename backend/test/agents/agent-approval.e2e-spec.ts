import request from 'supertest';
import { chatkit, chatToken, createChatApp, WireJson } from '../chatkit/helpers';
import { createOwner, Owner } from '../factories/owners';
import { FakeMcp, startFakeMcp } from '../fakes/fake-mcp-server';
import { FakeOpenAI, startFakeOpenAI } from '../fakes/fake-openai-server';
import { FakeToolServer, startFakeToolServer } from '../fakes/fake-tool-server';
import type { TestApp } from '../setup/test-app';
import { create, createAgent, decide, doneItems, finalText, message, stream, TOOL_SECRET, toolCalls } from './helpers';

/** Human approval (WORKFLOWS §4): cards, decisions, audit, staleness, other principals, restarts. */
describe('agent runner: human approval', () => {
  let t: TestApp;
  let model: FakeOpenAI;
  let tools: FakeToolServer;
  let mcp: FakeMcp;
  let owner: Owner;
  let workflowId: string;
  let token: string;
  let baseUrl = '';

  const startApp = async (keepData = false): Promise<void> => {
    t = await createChatApp({ keepData });
    baseUrl = t.baseUrl;
  };

  beforeAll(async () => {
    model = await startFakeOpenAI();
    mcp = await startFakeMcp();
    tools = await startFakeToolServer({ jwksUrl: () => `${baseUrl}/.well-known/jwks.json`, issuer: 'http://localhost:3000' });
    await startApp();
    owner = await createOwner(t.app, 'approver');
    workflowId = await createAgent(t, owner, model.baseUrl, [
      {
        type: 'http',
        name: 'refund',
        description: 'Refund an order',
        approval: 'always',
        method: 'GET',
        url: `${tools.origin}/orders/{orderId}`,
        parameters: { type: 'object', properties: { orderId: { type: 'string' } }, required: ['orderId'] },
        headers: { Authorization: TOOL_SECRET },
      },
      { type: 'http', name: 'lookup', method: 'GET', url: `${tools.origin}/orders/{orderId}` },
      { type: 'mcp', name: 'tasks', url: mcp.url, approvalOverrides: { add_task: 'always' } },
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

  /** Starts a thread whose model asks for `refund`; returns the card and the call id. */
  async function pendingRefund(orderId = 'R-1'): Promise<{ threadId: string; card: WireJson; callId: string; events: WireJson[] }> {
    const events = await stream(t.baseUrl, token, create(`/tool refund {"orderId":"${orderId}"}`));
    const [card] = doneItems(events, 'widget');
    const buttons = card.widget.children[3].children;
    return { threadId: events[0].thread.id, card, callId: buttons[0].onClickAction.payload.callId, events };
  }

  it('stops before the call with an Approve / Deny card; approving runs the tool and continues', async () => {
    const { threadId, card, callId, events } = await pendingRefund();
    expect(tools.requests).toHaveLength(0);
    expect(events[events.length - 1].type).toBe('thread.updated');
    expect(card.widget).toMatchObject({
      type: 'Card',
      children: [
        { type: 'Title', value: 'Approve refund?' },
        { type: 'Text' },
        { type: 'Markdown', value: '```json\n{\n  "orderId": "R-1"\n}\n```' },
        {
          type: 'Row',
          children: [
            { type: 'Button', label: 'Approve', onClickAction: { type: 'parley.approval', payload: { callId, decision: 'approve' } } },
            { type: 'Button', label: 'Deny', onClickAction: { type: 'parley.approval', payload: { callId, decision: 'deny' } } },
          ],
        },
      ],
    });
    expect(await toolCalls(t, threadId)).toEqual([expect.objectContaining({ call_id: callId, approval: 'pending', status: 'pending', item_id: card.id, decided_by: null })]);

    const approved = await stream(t.baseUrl, token, decide(threadId, card.id, callId, 'approve'));
    expect(approved.map((e) => e.type).slice(0, 3)).toEqual(['stream_options', 'thread.item.replaced', 'thread.item.added']);
    const replaced = approved[1].item;
    expect(replaced.id).toBe(card.id);
    expect(replaced.widget.children[2].value).toMatch(/^Approved by the owner at \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    expect(JSON.stringify(replaced.widget)).not.toContain('Button');
    expect(doneItems(approved, 'workflow')[0].workflow.tasks).toEqual([{ type: 'custom', title: 'refund', status_indicator: 'complete' }]);
    expect(finalText(approved)).toBe(`Tool results: refund={"id":"R-1","status":"shipped","owner":"${owner.id}","kind":"chat"}`);
    expect(tools.requests).toHaveLength(1);
    expect(tools.requests[0].claims).toMatchObject({ thr: threadId, sub: owner.id });

    const [row] = await toolCalls(t, threadId);
    expect(row).toMatchObject({ approval: 'approved', status: 'completed', decided_by: `chat:${owner.id}` });
    expect(row.decided_at).toBeInstanceOf(Date);
    const audit = await t.dataSource.query(`SELECT action, actor_kind, actor_id, metadata FROM audit_events WHERE workflow_id = $1 AND action LIKE 'agent.%'`, [workflowId]);
    expect(audit).toEqual([{ action: 'agent.tool_call.approved', actor_kind: 'chat', actor_id: owner.id, metadata: { threadId, callId, tool: 'refund', toolType: 'http' } }]);

    // The transcript keeps the decided card.
    const thread = await chatkit(t.baseUrl, token, { type: 'threads.get_by_id', params: { thread_id: threadId } });
    expect(thread.body.items.data.find((i: WireJson) => i.id === card.id).widget.children[2].value).toMatch(/^Approved by/);

    // A repeated decision is idempotent: the card is restated, nothing runs again.
    const again = await stream(t.baseUrl, token, decide(threadId, card.id, callId, 'approve'));
    expect(again.map((e) => e.type)).toEqual(['stream_options', 'thread.item.replaced']);
    expect(tools.requests).toHaveLength(1);
    expect(model.requests).toHaveLength(2);

    // The contrary decision now is stale: 409 before any stream.
    const late = await chatkit(t.baseUrl, token, decide(threadId, card.id, callId, 'deny'));
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'approval_not_pending', details: { approval: 'approved' } });
  });

  it('denying tells the model and never calls the tool', async () => {
    const { threadId, card, callId } = await pendingRefund('R-2');
    const denied = await stream(t.baseUrl, token, decide(threadId, card.id, callId, 'deny'));
    expect(denied[1].item.widget.children[2].value).toMatch(/^Denied by the owner at /);
    expect(finalText(denied)).toBe('Tool results: refund=The user denied this tool call; it was not executed.');
    expect(tools.requests).toHaveLength(0);
    expect((await toolCalls(t, threadId))[0]).toMatchObject({ approval: 'denied', status: 'denied' });
    const audit = await t.dataSource.query(`SELECT action FROM audit_events WHERE workflow_id = $1 AND metadata->>'callId' = $2 AND metadata->>'threadId' = $3`, [workflowId, callId, threadId]);
    expect(audit).toEqual([{ action: 'agent.tool_call.denied' }]);
  });

  it('unknown calls, foreign cards and malformed payloads are refused before the stream', async () => {
    const { threadId, card, callId } = await pendingRefund('R-3');
    const unknown = await chatkit(t.baseUrl, token, decide(threadId, card.id, 'call_nope', 'approve'));
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('approval_call_unknown');
    const other = await pendingRefund('R-4');
    const crossed = await chatkit(t.baseUrl, token, decide(threadId, card.id, other.callId, 'approve'));
    expect(crossed.status).toBe(404);
    expect(crossed.body.code).toBe('approval_call_unknown');
    const malformed = await chatkit(t.baseUrl, token, { type: 'threads.custom_action', params: { thread_id: threadId, item_id: card.id, action: { type: 'parley.approval', payload: { callId, decision: 'maybe' } } } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('invalid_request');
    expect(tools.requests).toHaveLength(0);
  });

  it('a new message expires the pending approval (its card says so); deciding later is stale', async () => {
    const { threadId, card, callId } = await pendingRefund('R-5');
    const next = await stream(t.baseUrl, token, message(threadId, 'never mind'));
    const replaced = next.find((e) => e.type === 'thread.item.replaced');
    expect(replaced.item.id).toBe(card.id);
    expect(replaced.item.widget.children[2].value).toBe('Expired: a new message was sent before a decision.');
    expect(finalText(next)).toBe('Fake: never mind');
    // The model saw the call settled, then the new message.
    const roles = (model.requests[model.requests.length - 1].body as { messages: Array<{ role: string; content: string }> }).messages;
    expect(roles.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'user']);
    expect(roles[3].content).toBe('Not executed: the user sent a new message instead of deciding.');
    const late = await chatkit(t.baseUrl, token, decide(threadId, card.id, callId, 'approve'));
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('approval_not_pending');
    expect(tools.requests).toHaveLength(0);
  });

  it('MCP approval overrides hold a listed tool for a person', async () => {
    const events = await stream(t.baseUrl, token, create('/tool add_task {"title":"deploy"}'));
    const [card] = doneItems(events, 'widget');
    expect(card.widget.children[0].value).toBe('Approve add_task?');
    expect(mcp.calls).not.toContain('tools/call:add_task');
    const callId = card.widget.children[3].children[0].onClickAction.payload.callId;
    const approved = await stream(t.baseUrl, token, decide(events[0].thread.id, card.id, callId, 'approve'));
    expect(mcp.calls).toContain('tools/call:add_task');
    expect(finalText(approved)).toContain('"title":"deploy"');
  });

  it('auto calls run at once while an approval in the same step waits', async () => {
    const script = [
      { name: 'lookup', arguments: { orderId: 'L-1' } },
      { name: 'refund', arguments: { orderId: 'L-1' } },
    ];
    const events = await stream(t.baseUrl, token, create(`/tools ${JSON.stringify(script)}`));
    expect(tools.requests.map((r) => r.path)).toEqual(['/orders/L-1']);
    const [card] = doneItems(events, 'widget');
    const callId = card.widget.children[3].children[0].onClickAction.payload.callId;
    const approved = await stream(t.baseUrl, token, decide(events[0].thread.id, card.id, callId, 'approve'));
    expect(tools.requests).toHaveLength(2);
    expect(finalText(approved)).toMatch(/^Tool results: lookup=.*; refund=/);
  });

  it('two cards of one step: the answer continues once, after the last decision, even when both land at once', async () => {
    const script = [
      { name: 'refund', arguments: { orderId: 'D-1' } },
      { name: 'refund', arguments: { orderId: 'D-2' } },
    ];
    for (const concurrent of [false, true]) {
      model.reset();
      const events = await stream(t.baseUrl, token, create(`/tools ${JSON.stringify(script)}`));
      const threadId = events[0].thread.id as string;
      const cards = doneItems(events, 'widget');
      expect(cards).toHaveLength(2);
      const decisions = cards.map((card: WireJson) => decide(threadId, card.id, card.widget.children[3].children[0].onClickAction.payload.callId, 'approve'));
      const answers = concurrent
        ? await Promise.all(decisions.map((body: unknown) => stream(t.baseUrl, token, body)))
        : [await stream(t.baseUrl, token, decisions[0]), await stream(t.baseUrl, token, decisions[1])];
      if (!concurrent) expect(finalText(answers[0])).toBe('');
      const finals = answers.map(finalText).filter(Boolean);
      expect({ concurrent, finals: finals.length }).toEqual({ concurrent, finals: 1 });
      expect(finals[0]).toMatch(/^Tool results: refund=.*"D-1".*; refund=.*"D-2"/);
      expect(model.requests).toHaveLength(2);
    }
  });

  it('only the thread’s principal can decide: a visitor of the published chat cannot see the owner’s thread', async () => {
    const { threadId, card, callId } = await pendingRefund('R-6');
    const published = await request(t.app.getHttpServer()).post(`/api/workflows/${workflowId}/publish`).set('Authorization', owner.auth).send({}).expect(201);
    const publishToken = published.body.publishToken as string;
    const visitor = await chatkit(t.baseUrl, null, decide(threadId, card.id, callId, 'approve'), { 'x-parley-publish-token': publishToken });
    expect(visitor.status).toBe(404);
    expect(visitor.body.code).toBe('not_found');
    expect((await toolCalls(t, threadId))[0]).toMatchObject({ approval: 'pending', status: 'pending' });

    // The visitor's own approval works, and is recorded as theirs.
    const own = await chatkit(t.baseUrl, null, create('/tool refund {"orderId":"V-1"}'), { 'x-parley-publish-token': publishToken });
    const visitorToken = own.headers.get('x-parley-visitor')!;
    const [visitorCard] = doneItems(own.events!, 'widget');
    const visitorCall = visitorCard.widget.children[3].children[0].onClickAction.payload.callId;
    const decided = await chatkit(t.baseUrl, null, decide(own.events![0].thread.id, visitorCard.id, visitorCall, 'approve'), {
      'x-parley-publish-token': publishToken,
      'x-parley-visitor': visitorToken,
    });
    expect(decided.status).toBe(200);
    expect(decided.events![1].item.widget.children[2].value).toMatch(/^Approved by visitor at /);
    expect(tools.requests[0].claims).toMatchObject({ kind: 'visitor' });
    await request(t.app.getHttpServer()).post(`/api/workflows/${workflowId}/publish/revoke`).set('Authorization', owner.auth).send({});
  });

  it('a decision arriving after a restart, on a new app instance, continues the turn', async () => {
    const { threadId, card, callId } = await pendingRefund('R-7');
    await t.close();
    await startApp(true);
    const approved = await stream(t.baseUrl, token, decide(threadId, card.id, callId, 'approve'));
    expect(finalText(approved)).toBe(`Tool results: refund={"id":"R-7","status":"shipped","owner":"${owner.id}","kind":"chat"}`);
    expect(tools.requests).toHaveLength(1);
  });
});
