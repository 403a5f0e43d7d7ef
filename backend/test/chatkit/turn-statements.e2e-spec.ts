import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { chatkit, chatToken, createChatApp, createWorkflow, input, RunnerBody } from './helpers';
import { createOwner, Owner } from '../factories/owners';
import { EngineProcess, startEngine } from '../hosts/helpers';
import type { TestApp } from '../setup/test-app';
import { statementsDuring } from '../setup/statements';

/** A short, stable name for each statement of a turn. */
function nameOf(sql: string): string {
  if (/FROM chat_sessions|chat_sessions/.test(sql)) return 'chat session check';
  if (/^WITH t AS \( INSERT INTO chat_threads/.test(sql)) return 'thread + items';
  if (/^WITH t AS \( SELECT id FROM chat_threads .*INSERT INTO chat_items.*UPDATE chat_threads/.test(sql)) return 'items + thread';
  if (/^WITH t AS \( SELECT id FROM chat_threads .*INSERT INTO chat_items/.test(sql)) return 'items';
  if (/FROM webhook_secrets/.test(sql)) return 'webhook secret';
  if (/^SELECT id, title, status, allowed_image_domains, metadata, created_at FROM chat_threads WHERE id = \$1/.test(sql)) return 'thread (scope check)';
  return sql.slice(0, 80);
}

describe('statements per chat turn (PostgreSQL round trips; docs/performance.md, Webhook turn)', () => {
  let t: TestApp;
  let owner: Owner;
  let engine: EngineProcess;
  const http = () => request(t.app.getHttpServer());
  const create = (token: string, text: string) => chatkit(t.baseUrl, token, { type: 'threads.create', params: { input: input(text) } });

  beforeAll(async () => {
    t = await createChatApp();
    owner = await createOwner(t.app, 'statements-owner');
  });
  afterAll(async () => {
    await engine?.close();
    await t?.close();
  });

  it('threads.create on the echo runner: the session check, then the whole turn (thread, message, answer, title) in one statement', async () => {
    const workflowId = await createWorkflow(t, owner);
    const token = await chatToken(t, owner, workflowId);
    expect((await create(token, 'warm up')).status).toBe(200);
    let answer: Awaited<ReturnType<typeof create>> | undefined;
    const statements = await statementsDuring(async () => (answer = await create(token, 'hello')));
    expect(answer!.status).toBe(200);
    expect(answer!.events!.map((e) => e.type)).toEqual(['thread.created', 'thread.item.done', 'stream_options', 'thread.item.added', 'thread.item.updated', 'thread.item.updated', 'thread.item.done', 'thread.updated']);
    expect(statements.map(nameOf)).toEqual(['chat session check', 'thread + items']);
    // The next message: the thread's scope check, then the message and the answer in one statement.
    const threadId = answer!.events![0].thread.id as string;
    const next = await statementsDuring(async () => (answer = await chatkit(t.baseUrl, token, { type: 'threads.add_user_message', params: { thread_id: threadId, input: input('again') } })));
    expect(answer!.events!.map((e) => e.type)).toEqual(['thread.item.done', 'stream_options', 'thread.item.added', 'thread.item.updated', 'thread.item.updated', 'thread.item.done']);
    expect(next.map(nameOf)).toEqual(['chat session check', 'thread (scope check)', 'items']);
  });

  /** A webhook workflow answered by the example engine, and a chat token for it. */
  async function webhookChat(): Promise<string> {
    if (!engine) {
      webhookWorkflow = await createWorkflow(t, owner, { kind: 'webhook', url: 'http://127.0.0.1:9/parley' } as unknown as RunnerBody);
      const made = await http().post(`/api/workflows/${webhookWorkflow}/webhook-secret`).set('Authorization', owner.auth).expect(201);
      engine = await startEngine(made.body.secret as string);
      await http().patch(`/api/workflows/${webhookWorkflow}`).set('Authorization', owner.auth).send({ runner: { kind: 'webhook', url: engine.url, timeoutMs: 1000 } }).expect(200);
    }
    return chatToken(t, owner, webhookWorkflow);
  }
  let webhookWorkflow: string;

  /** The visible items of a thread as `type:text` (assistant text, user text). */
  async function storedItems(token: string, threadId: string): Promise<string[]> {
    const got = await chatkit(t.baseUrl, token, { type: 'threads.get_by_id', params: { thread_id: threadId } });
    expect(got.status).toBe(200);
    return (got.body.items.data as { type: string; content?: { text: string }[] }[]).map((item) => `${item.type}:${item.content?.map((part) => part.text).join('') ?? ''}`);
  }

  it('threads.create on the webhook runner: no history read, the workflow item, the answer and the title in one statement', async () => {
    const token = await webhookChat();
    expect((await create(token, 'warm up')).status).toBe(200);
    let answer: Awaited<ReturnType<typeof create>> | undefined;
    const statements = await statementsDuring(async () => (answer = await create(token, 'hello engine')));
    expect(answer!.status).toBe(200);
    const done = answer!.events!.filter((e) => e.type === 'thread.item.done').map((e) => e.item.type);
    expect(done).toEqual(['user_message', 'workflow', 'assistant_message']);
    expect(answer!.events!.at(-1)).toMatchObject({ type: 'thread.updated', thread: { title: 'hello engine' } });
    // The signing secret is cached for a second; a turn that finds it expired reads it once more.
    expect(statements.map(nameOf).filter((name) => name !== 'webhook secret')).toEqual(['chat session check', 'thread + items', 'items + thread']);
    expect((await engine.log()).at(-1)).toMatchObject({ verdict: 'ok', historyLength: 0 });

    // Stored as sent: the thread's items and its title.
    const threadId = answer!.events![0].thread.id as string;
    const got = await chatkit(t.baseUrl, token, { type: 'threads.get_by_id', params: { thread_id: threadId } });
    expect(got.body.title).toBe('hello engine');
    expect((got.body.items.data as { type: string }[]).map((item) => item.type)).toEqual(['user_message', 'workflow', 'assistant_message']);
  });

  it('an engine going silent after some text (timeout): the partial answer sent as done is stored before the error event', async () => {
    const token = await webhookChat();
    const answer = await create(token, '/stall');
    expect(answer.status).toBe(200);
    const tail = answer.events!.slice(-3).map((e) => (e.type === 'thread.item.done' ? `done:${e.item.type}` : e.type));
    expect(tail).toEqual(['done:assistant_message', 'error', 'thread.updated']);
    const threadId = answer.events![0].thread.id as string;
    expect(await storedItems(token, threadId)).toEqual(['user_message:/stall', 'assistant_message:thinking…']);
  });

  it('an engine that keeps its answer open after `done`: the turn ends at `done` and the engine sees its request closed', async () => {
    let closed!: () => void;
    const engineClosed = new Promise<void>((resolve) => (closed = resolve));
    const lingering = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify({ type: 'text', delta: 'short answer' })}\n\n`);
        res.write(`data: ${JSON.stringify({ type: 'done' })}\n\n`);
        // Never ends on its own: keeps sending comments until Parley closes the request.
        const tick = setInterval(() => res.write(': still here\n\n'), 20);
        res.on('close', () => {
          clearInterval(tick);
          closed();
        });
      });
    });
    await new Promise<void>((resolve) => lingering.listen(0, '127.0.0.1', resolve));
    try {
      const workflowId = await createWorkflow(t, owner, { kind: 'webhook', url: 'http://127.0.0.1:9/parley' } as unknown as RunnerBody);
      await http().post(`/api/workflows/${workflowId}/webhook-secret`).set('Authorization', owner.auth).expect(201);
      const url = `http://127.0.0.1:${(lingering.address() as AddressInfo).port}/parley`;
      await http().patch(`/api/workflows/${workflowId}`).set('Authorization', owner.auth).send({ runner: { kind: 'webhook', url, timeoutMs: 60_000 } }).expect(200);
      const token = await chatToken(t, owner, workflowId);
      const answer = await create(token, 'hi');
      expect(answer.events!.filter((e) => e.type === 'thread.item.done').map((e) => e.item.type)).toEqual(['user_message', 'assistant_message']);
      await engineClosed;
    } finally {
      lingering.closeAllConnections();
      await new Promise((resolve) => lingering.close(resolve));
    }
  });

  it('a client leaving mid-answer: the partial text is kept and the next turn continues the thread', async () => {
    const token = await webhookChat();
    const controller = new AbortController();
    const res = await fetch(`${t.baseUrl}/api/chatkit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'threads.create', params: { input: input('/slow 30 100') } }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let seen = '';
    while (!seen.includes('text_delta')) seen += new TextDecoder().decode((await reader.read()).value);
    const threadId = /"thread":\{"id":"([^"]+)"/.exec(seen)![1];
    controller.abort();
    // The cancellation cleanup runs on the server after the disconnect: wait until it stored the partial answer.
    let items: string[] = [];
    for (let i = 0; i < 200 && !items.some((item) => item.startsWith('assistant_message:')); i += 1) {
      items = await storedItems(token, threadId);
      if (!items.some((item) => item.startsWith('assistant_message:'))) await new Promise((r) => setTimeout(r, 25));
    }
    expect(items[0]).toBe('user_message:/slow 30 100');
    expect(items[1]).toMatch(/^assistant_message:word1( word\d+)*$/);
    const next = await chatkit(t.baseUrl, token, { type: 'threads.add_user_message', params: { thread_id: threadId, input: input('/json') } });
    expect(next.events!.filter((e) => e.type === 'thread.item.done').map((e) => e.item.type)).toEqual(['user_message', 'assistant_message']);
    expect((await engine.log()).at(-1)).toMatchObject({ verdict: 'ok', text: '/json', historyLength: 2 });
  });
});
