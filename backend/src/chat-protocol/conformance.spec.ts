import { join } from 'node:path';
import { replayVectors } from '../../test/chat-protocol/conformance/replayer';
import { ChatKitHttpHost, startChatKitHttpHost } from '../../test/chat-protocol/conformance/node-http-host';
import { EchoRunner } from './echo-runner';
import { MemoryChatStore } from '../../test/fakes/memory-store';
import { ChatKitProcessor } from './processor';

interface Principal {
  id: string;
}

const VECTORS_DIR = join(__dirname, '../../test/chat-protocol/conformance/chatkit');

/**
 * The README's execution model: every vector, in file-name order, over real HTTP, against one
 * live server and one principal, nothing cleaned up — and a second run on the same server must
 * pass too.
 */
describe('ChatKit conformance vectors over HTTP (processor + memory store + echo runner)', () => {
  let host: ChatKitHttpHost<Principal>;

  beforeAll(async () => {
    host = await startChatKitHttpHost<Principal>({
      contextOf: (req) => ({ id: String(req.headers['x-principal'] ?? 'anonymous') }),
      createProcessor: (origin) => {
        const store = new MemoryChatStore<Principal>({ scopeOf: (ctx) => ctx.id });
        const runner = new EchoRunner<Principal>({ store });
        return new ChatKitProcessor<Principal>({
          store,
          runners: () => runner,
          attachments: { uploadUrl: (id) => `${origin}/api/chatkit/uploads/${id}` },
        });
      },
    });
  });

  afterAll(() => host.close());

  async function replayAll(): Promise<{ failed: number; passed: number; total: number; output: string }> {
    const lines: string[] = [];
    const report = await replayVectors({
      baseUrl: host.origin,
      path: '/api/chatkit',
      headers: { 'x-principal': 'conformance-user' },
      vectorsDir: VECTORS_DIR,
      log: (line) => lines.push(line),
    });
    return { failed: report.failed, passed: report.passed, total: report.results.length, output: lines.join('\n') };
  }

  it('passes every vector', async () => {
    const run = await replayAll();
    // Asserted on the output first, so a failure prints the PASS/FAIL lines with their diffs.
    expect(run.output).not.toContain('FAIL');
    expect({ total: run.total, passed: run.passed, failed: run.failed }).toEqual({ total: 32, passed: 32, failed: 0 });
  });

  it('passes every vector again on the same server (accumulated state)', async () => {
    const run = await replayAll();
    expect(run.output).not.toContain('FAIL');
    expect({ total: run.total, passed: run.passed, failed: run.failed }).toEqual({ total: 32, passed: 32, failed: 0 });
  });
});

/**
 * Cancellation end to end: the browser's stop button aborts the HTTP request; the host turns the
 * closed connection into an AbortSignal, and the processor persists the partial answer.
 */
describe('stream cancellation over HTTP', () => {
  let host: ChatKitHttpHost<Principal>;
  let store: MemoryChatStore<Principal>;

  beforeAll(async () => {
    host = await startChatKitHttpHost<Principal>({
      contextOf: () => ({ id: 'canceller' }),
      createProcessor: () => {
        store = new MemoryChatStore<Principal>({ scopeOf: (ctx) => ctx.id });
        const echo = new EchoRunner<Principal>({ store });
        return new ChatKitProcessor<Principal>({
          store,
          runners: () => ({
            action: (...args) => echo.action(...args),
            syncAction: (...args) => echo.syncAction(...args),
            respond: async function* (thread, _message, _ctx, signal) {
              const item = { id: 'msg_partial', thread_id: thread.id, created_at: new Date().toISOString(), type: 'assistant_message' as const, content: [] };
              yield { type: 'thread.item.added', item };
              for (const delta of ['Hel', 'lo']) {
                yield { type: 'thread.item.updated', item_id: item.id, update: { type: 'assistant_message.content_part.text_delta', content_index: 0, delta } };
              }
              // A model call that only ends when the request is cancelled.
              await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
            },
          }),
        });
      },
    });
  });

  afterAll(() => host.close());

  it('persists the partial assistant message and the hidden cancellation note when the client aborts', async () => {
    const client = new AbortController();
    const response = await fetch(`${host.origin}/api/chatkit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'threads.create', params: { input: { content: [{ type: 'input_text', text: 'hi' }] } } }),
      signal: client.signal,
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('"delta":"lo"')) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error(`stream ended early: ${text}`);
      text += decoder.decode(chunk.value, { stream: true });
    }
    const threadId = (JSON.parse(text.split('\n\n')[0].slice('data: '.length)) as { thread: { id: string } }).thread.id;
    client.abort();

    const deadline = Date.now() + 5000;
    let types: string[] = [];
    while (Date.now() < deadline) {
      const page = await store.loadThreadItems(threadId, undefined, 20, 'asc', { id: 'canceller' });
      types = page.data.map((item) => item.type);
      if (types.includes('sdk_hidden_context')) {
        expect(page.data[1]).toMatchObject({ id: 'msg_partial', content: [{ type: 'output_text', text: 'Hello' }] });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(types).toEqual(['user_message', 'assistant_message', 'sdk_hidden_context']);
  });
});
