import OpenAI from 'openai';
import { ChatKitNotSupportedError } from '../../src/chat-protocol/errors';
import { MemoryChatStore } from '../fakes/memory-store';
import { ChatKitProcessor } from '../../src/chat-protocol/processor';
import type { ThreadStreamEvent } from '../../src/chat-protocol/types';
import { OpenAIRunner, OpenAIRunnerOptions } from '../../src/runners/openai-runner';
import { FAKE_UPSTREAM_SECRET, FakeOpenAI, startFakeOpenAI } from '../fakes/fake-openai-server';
import { OutboundPolicy } from '../../src/outbound/outbound-policy';
import { nodeHttpFetch } from '../../src/runners/node-http-fetch';

interface Ctx {
  user: string;
}

const alice: Ctx = { user: 'alice' };

/**
 * The `openai` runner through the real SDK against a real OpenAI-compatible server on loopback,
 * driven by the protocol processor exactly as the gateway drives it.
 */
describe('OpenAIRunner against a local OpenAI-compatible server', () => {
  let fake: FakeOpenAI;
  const policy = new OutboundPolicy({ allowPrivate: true });

  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await policy.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  function harness(overrides: Partial<OpenAIRunnerOptions<Ctx>> = {}) {
    const store = new MemoryChatStore<Ctx>({ scopeOf: (ctx) => ctx.user });
    const client = new OpenAI({ apiKey: 'sk-test-key', baseURL: fake.baseUrl, maxRetries: 0, organization: null, project: null });
    const runner = new OpenAIRunner<Ctx>({
      provider: 'openai',
      model: 'fake-model',
      instructions: 'Be brief.',
      temperature: 0.2,
      client,
      timeoutMs: 2000,
      transcribeModel: 'fake-transcribe',
      store,
      ...overrides,
    });
    const processor = new ChatKitProcessor<Ctx>({ store, runners: () => runner });
    return { store, runner, processor };
  }

  async function stream(processor: ChatKitProcessor<Ctx>, body: unknown, signal?: AbortSignal): Promise<ThreadStreamEvent[]> {
    const result = await processor.process(body, alice, { signal });
    if (result.kind !== 'stream') throw new Error('expected a stream');
    const events: ThreadStreamEvent[] = [];
    for await (const event of result.events) events.push(event);
    return events;
  }

  const create = (text: string) => ({ type: 'threads.create', params: { input: { content: [{ type: 'input_text', text }] } } });

  it('streams the same event shapes as the echo runner and titles the thread', async () => {
    const { processor, store } = harness();
    const events = await stream(processor, create('Hello there model'));
    expect(events.map((e) => e.type)).toEqual([
      'thread.created',
      'thread.item.done',
      'stream_options',
      'thread.item.added',
      ...Array(4).fill('thread.item.updated'),
      'thread.item.done',
      'thread.updated',
    ]);
    const added = events[3] as Extract<ThreadStreamEvent, { type: 'thread.item.added' }>;
    expect(added.item).toMatchObject({ type: 'assistant_message', content: [{ type: 'output_text', text: '', annotations: [] }] });
    const deltas = events.filter((e) => e.type === 'thread.item.updated').map((e) => (e as { update: { delta: string } }).update.delta);
    expect(deltas.join('')).toBe('Fake: Hello there model');
    expect(events[8]).toMatchObject({ type: 'thread.item.done', item: { id: added.item.id, content: [{ type: 'output_text', text: 'Fake: Hello there model', annotations: [] }] } });
    expect(events[9]).toMatchObject({ type: 'thread.updated', thread: { title: 'Hello there model' } });
    const threadId = (events[0] as { thread: { id: string } }).thread.id;
    expect((await store.loadThreadItems(threadId, undefined, 20, 'asc', alice)).data.map((i) => i.type)).toEqual(['user_message', 'assistant_message']);

    const [request] = fake.requests;
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.headers.authorization).toBe('Bearer sk-test-key');
    expect(request.body).toMatchObject({
      model: 'fake-model',
      stream: true,
      temperature: 0.2,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello there model' },
      ],
    });
  });

  it('sends the thread history (user and assistant text, hidden notes as system) in order', async () => {
    const { processor } = harness({ instructions: undefined, temperature: undefined });
    const first = await stream(processor, create('first question'));
    const threadId = (first[0] as { thread: { id: string } }).thread.id;
    fake.reset();
    await stream(processor, { type: 'threads.add_user_message', params: { thread_id: threadId, input: { content: [{ type: 'input_text', text: 'second' }], quoted_text: 'quoted' } } });
    expect((fake.requests[0].body as { messages: unknown }).messages).toEqual([
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'Fake: first question' },
      { role: 'user', content: '> quoted\n\nsecond' },
    ]);
    expect(fake.requests[0].body).not.toHaveProperty('temperature');
  });

  it.each([
    ['429', 'The model provider is busy right now (rate limited). Please try again shortly.'],
    ['500', 'The model provider returned an error (HTTP 500). Please try again.'],
    ['401', 'The model provider refused the server’s credentials.'],
  ])('turns HTTP %s into a custom error event with a safe message and allow_retry', async (status, message) => {
    const { processor } = harness();
    const events = await stream(processor, create(`/status ${status}`));
    expect(events.map((e) => e.type)).toEqual(['thread.created', 'thread.item.done', 'stream_options', 'error', 'thread.updated']);
    expect(events[3]).toEqual({ type: 'error', code: 'custom', message, allow_retry: true });
    expect(JSON.stringify(events)).not.toContain(FAKE_UPSTREAM_SECRET);
    expect(fake.requests).toHaveLength(1); // no hidden retries
  });

  it('keeps the partial answer when the provider fails mid-stream, then reports the error', async () => {
    const { processor, store } = harness();
    const events = await stream(processor, create('/mid-error'));
    expect(events.map((e) => e.type).slice(3)).toEqual(['thread.item.added', 'thread.item.updated', 'thread.item.updated', 'thread.item.done', 'error', 'thread.updated']);
    expect(events[6]).toMatchObject({ item: { content: [{ text: 'Partial answer' }] } });
    expect(JSON.stringify(events)).not.toContain(FAKE_UPSTREAM_SECRET);
    const threadId = (events[0] as { thread: { id: string } }).thread.id;
    expect((await store.loadThreadItems(threadId, undefined, 20, 'asc', alice)).data.map((i) => i.type)).toEqual(['user_message', 'assistant_message']);
  });

  it('gives up on a provider that goes silent (RUNNER_TIMEOUT_MS) and closes the upstream request', async () => {
    const { processor } = harness({ timeoutMs: 300 });
    const started = Date.now();
    const events = await stream(processor, create('/stall'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(events.find((e) => e.type === 'error')).toEqual({
      type: 'error',
      code: 'custom',
      message: 'The model provider did not respond in time. Please try again.',
      allow_retry: true,
    });
    // What was streamed before the silence is kept.
    expect(events.find((e) => e.type === 'thread.item.done' && e.item.type === 'assistant_message')).toMatchObject({ item: { content: [{ text: 'Thinking' }] } });
    await fake.waitForAborts(1);
  });

  it('gives up on a provider that never answers, not even a status line, and closes the upstream request', async () => {
    const { processor } = harness({ timeoutMs: 300 });
    const events = await stream(processor, create('/silent'));
    expect(events.find((e) => e.type === 'error')).toEqual({
      type: 'error',
      code: 'custom',
      message: 'The model provider did not respond in time. Please try again.',
      allow_retry: true,
    });
    await fake.waitForAborts(1);
  });

  it.each([
    [429, 'The model provider is busy right now (rate limited). Please try again shortly.'],
    [401, 'The model provider refused the server’s credentials.'],
    [500, 'The model provider returned an error (HTTP 500). Please try again.'],
  ])('maps HTTP %i from the provider to a safe message', async (status, message) => {
    const { processor } = harness();
    const events = await stream(processor, create(`/status ${status}`));
    expect(events.find((e) => e.type === 'error')).toEqual({ type: 'error', code: 'custom', message, allow_retry: true });
    expect(JSON.stringify(events)).not.toContain(FAKE_UPSTREAM_SECRET);
  });

  it('sends the request the SDK sends: URL, bearer key, JSON body with stream and temperature, its User-Agent', async () => {
    const { processor } = harness();
    await stream(processor, create('Hello'));
    const sent = fake.requests.find((r) => r.path.endsWith('/chat/completions'))!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers).toMatchObject({ authorization: 'Bearer sk-test-key', 'content-type': 'application/json' });
    expect(sent.headers['user-agent']).toMatch(/^OpenAI\/JS \d+\.\d+\.\d+/);
    expect(sent.body).toMatchObject({ model: 'fake-model', stream: true, temperature: 0.2 });
  });

  it.each([
    ['node:http (openai, gemini)', () => nodeHttpFetch()],
    ['the outbound policy (compatible endpoints)', () => policy.fetcher({ timeoutMs: 60_000 })],
  ])('streams over the transport the factory gives it: %s', async (_name, transport) => {
    const base = transport();
    const urls: string[] = [];
    const counted: typeof fetch = (input, init) => {
      urls.push(String(input));
      return base(input, init);
    };
    const { processor } = harness({ fetch: counted });
    const events = await stream(processor, create('Hello over the transport'));
    expect(urls).toEqual([`${fake.baseUrl}/chat/completions`]);
    const done = events.find((e) => e.type === 'thread.item.done' && e.item.type === 'assistant_message');
    expect(done).toMatchObject({ item: { content: [{ text: 'Fake: Hello over the transport' }] } });
  });

  it('reports an unreachable provider safely', async () => {
    const client = new OpenAI({ apiKey: 'k', baseURL: 'http://127.0.0.1:1/v1', maxRetries: 0 });
    const { processor } = harness({ client });
    const events = await stream(processor, create('hi'));
    expect(events.find((e) => e.type === 'error')).toEqual({ type: 'error', code: 'custom', message: 'The model provider could not be reached. Please try again.', allow_retry: true });
  });

  it('answers with a non-retryable error when the provider is not configured', async () => {
    const { processor } = harness({ client: null, unavailableReason: 'This assistant is not available: no key.' });
    const events = await stream(processor, create('hi'));
    expect(events.find((e) => e.type === 'error')).toEqual({ type: 'error', code: 'custom', message: 'This assistant is not available: no key.', allow_retry: false });
  });

  it('aborts the upstream request when the client cancels, keeping the partial text and the hidden note', async () => {
    const { processor, store } = harness();
    const cancel = new AbortController();
    const result = await processor.process(create('/slow 50 100'), alice, { signal: cancel.signal });
    if (result.kind !== 'stream') throw new Error('expected a stream');
    const seen: ThreadStreamEvent[] = [];
    for await (const event of result.events) {
      seen.push(event);
      if (seen.filter((e) => e.type === 'thread.item.updated').length === 3) cancel.abort();
    }
    await fake.waitForAborts(1);
    const threadId = (seen[0] as { thread: { id: string } }).thread.id;
    const items = (await store.loadThreadItems(threadId, undefined, 20, 'asc', alice)).data;
    expect(items.map((i) => i.type)).toEqual(['user_message', 'assistant_message', 'sdk_hidden_context']);
    expect(items[1]).toMatchObject({ content: [{ text: 'w1 w2 w3' }] });
  });

  describe('transcription', () => {
    it('transcribes through /audio/transcriptions for the openai provider', async () => {
      const { processor } = harness();
      const result = await processor.process({ type: 'input.transcribe', params: { audio_base64: Buffer.from('RIFFfakeaudio').toString('base64'), mime_type: 'audio/webm;codecs=opus' } }, alice);
      expect(result).toEqual({ kind: 'json', body: { text: 'Heard 13 bytes of audio/webm in dictation.webm with fake-transcribe' } });
      expect(fake.requests[0]).toMatchObject({ path: '/v1/audio/transcriptions', headers: { authorization: 'Bearer sk-test-key' } });
    });

    it.each(['gemini', 'compatible'] as const)('is not supported for the %s provider, with a clear message', async (provider) => {
      const { processor } = harness({ provider });
      const attempt = processor.process({ type: 'input.transcribe', params: { audio_base64: 'AAAA', mime_type: 'audio/ogg' } }, alice);
      await expect(attempt).rejects.toBeInstanceOf(ChatKitNotSupportedError);
      await expect(attempt).rejects.toThrow(`its model provider (${provider}) does not offer transcription`);
      expect(fake.requests).toHaveLength(0);
    });
  });
});
