import type { ChatStore } from '../chat-protocol/store';
import type { ThreadMetadata, UserMessageItem } from '../chat-protocol/types';
import { coalesce, parseEngineEvent, WebhookRunner } from './webhook-runner';

describe('webhook answer lines', () => {
  it('parses text, task and done lines; task status defaults to loading', () => {
    expect(parseEngineEvent({ type: 'text', delta: 'Hi' })).toEqual({ type: 'text', delta: 'Hi' });
    expect(parseEngineEvent({ type: 'task', title: 'Look up' })).toEqual({ type: 'task', title: 'Look up', status: 'loading' });
    expect(parseEngineEvent({ type: 'task', title: 'Look up', status: 'complete' })).toEqual({ type: 'task', title: 'Look up', status: 'complete' });
    expect(parseEngineEvent({ type: 'done' })).toEqual({ type: 'done' });
  });

  it('refuses anything else as a malformed answer', () => {
    for (const bad of [null, 'text', [], { type: 'text' }, { type: 'text', delta: 7 }, { type: 'task', title: 'x', status: 'running' }, { type: 'task' }, { type: 'shell', cmd: 'rm' }]) {
      expect(() => parseEngineEvent(bad)).toThrow();
    }
  });

  it('merges consecutive text deltas of one read and keeps every other line in order', () => {
    expect(
      coalesce([
        { type: 'task', title: 'a', status: 'loading' },
        { type: 'text', delta: 'Hel' },
        { type: 'text', delta: 'lo' },
        { type: 'task', title: 'a', status: 'complete' },
        { type: 'text', delta: '!' },
        { type: 'done' },
      ]),
    ).toEqual([
      { type: 'task', title: 'a', status: 'loading' },
      { type: 'text', delta: 'Hello' },
      { type: 'task', title: 'a', status: 'complete' },
      { type: 'text', delta: '!' },
      { type: 'done' },
    ]);
    expect(coalesce([])).toEqual([]);
  });
});

describe('webhook runner: before the request', () => {
  const thread = { id: 'thr_1', created_at: '2026-12-06T00:00:00.000Z', status: { type: 'active' }, metadata: {} } as ThreadMetadata;
  const user = { id: 'msg_1', thread_id: 'thr_1', created_at: '2026-12-06T00:00:00.000Z', type: 'user_message', content: [{ type: 'input_text', text: 'hi' }], attachments: [], inference_options: {} } as UserMessageItem;

  function runnerWith(secret: () => Promise<string | null>) {
    const started: string[] = [];
    const fetched: string[] = [];
    const runner = new WebhookRunner<object>({
      url: 'https://engine.example.com/parley',
      headers: {},
      timeoutMs: 5000,
      secret: () => {
        started.push('secret');
        return secret();
      },
      identity: async () => {
        started.push('identity');
        return 'identity-token';
      },
      fetch: async (url) => {
        fetched.push(url);
        throw new Error('not reached');
      },
      who: () => ({ workflowId: 'wf_1', principal: { kind: 'chat', userId: 'u1', workflowId: 'wf_1', sessionId: 's1', tokenId: 'j1' } }),
      store: {
        loadThreadItems: async () => {
          started.push('history');
          return { data: [user], has_more: false };
        },
      } as unknown as ChatStore<object>,
    });
    return { runner, started, fetched };
  }

  it('starts the history read and the identity token together with the secret lookup, not after it', async () => {
    let release!: (value: string | null) => void;
    const { runner, started, fetched } = runnerWith(() => new Promise((resolve) => (release = resolve)));
    const events = runner.respond(thread, user, {}, new AbortController().signal)[Symbol.asyncIterator]();
    const first = events.next();
    await new Promise((resolve) => setImmediate(resolve));
    // The secret has not answered yet: the other two are already under way.
    expect([...started].sort()).toEqual(['history', 'identity', 'secret']);
    release(null);
    await expect(first).rejects.toThrow('not set up yet');
    expect(fetched).toEqual([]);
  });
});
