import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real OpenAI-compatible HTTP server on loopback, for testing the `openai` runner through the
 * official SDK (never a mocked SDK). Plain `node:http`:
 *
 * - `POST …/chat/completions` (any prefix, so `/v1/…` and Gemini's `/v1beta/openai/…` both work),
 *   streaming (`stream: true`, SSE chunks then `data: [DONE]`) or not. The last user message
 *   steers it:
 *   - `/status <code>` → that HTTP status with an OpenAI error body (whose message holds a secret
 *     the gateway must never show);
 *   - `/slow <ms> <n>` → n word chunks, `ms` apart;
 *   - `/stall` → headers and one chunk, then silence until the client gives up;
 *   - `/mid-error` → two chunks, then an error frame;
 *   - `/tool <name> <arguments>` → one streamed tool call (`arguments` sent verbatim, so invalid
 *     JSON can be scripted); `/tools [{"name", "arguments"}, …]` → parallel calls; once the
 *     conversation ends with tool results, the answer is `Tool results: <name>=<output>; …`;
 *   - `/loop <name> <arguments>` → calls the tool again after every result (maxSteps);
 *   - `/tool-stall <name> <arguments>` → the tool call, then, once results came back, headers and
 *     one chunk and silence (a second model request that stays open until the client ends it);
 *   - anything else → `Fake: <text>` streamed word by word.
 * - `POST …/audio/transcriptions` (multipart) → `{text}` describing what it received.
 *
 * Every request is recorded (path, headers, JSON body), and so is every client disconnect
 * before the response ended (`aborts`), so tests can prove the runner cancelled upstream.
 */
export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** Raw body, for multipart uploads. */
  raw: Buffer;
}

export interface FakeOpenAI {
  /** e.g. `http://127.0.0.1:PORT/v1` */
  baseUrl: string;
  origin: string;
  requests: RecordedRequest[];
  /** Paths of requests whose client went away before the response ended. */
  aborts: string[];
  /** Resolves once `aborts` has at least `count` entries (rejects after `timeoutMs`). */
  waitForAborts(count?: number, timeoutMs?: number): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

/** The text of the newest user message of a Chat Completions body. */
function lastUserText(body: { messages?: Array<{ role: string; content: unknown }> }): string {
  return userText(body);
}

/** Tool calls scripted by the last user message, or null. */
function scriptedCalls(text: string): Array<{ name: string; arguments: string }> | null {
  const trimmed = text.trim();
  const single = /^\/(?:tool|loop|tool-stall)\s+([A-Za-z0-9_-]+)\s*([\s\S]*)$/.exec(trimmed);
  if (single) return [{ name: single[1], arguments: single[2] || '{}' }];
  if (trimmed.startsWith('/tools ')) {
    const list = JSON.parse(trimmed.slice(7)) as Array<{ name: string; arguments: unknown }>;
    return list.map((c) => ({ name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) }));
  }
  return null;
}

/** `Tool results: name=output; …` for the trailing tool messages (names from the assistant's tool_calls). */
function toolResultsText(messages: Array<{ role: string; content: unknown; tool_call_id?: string; tool_calls?: Array<{ id: string; function: { name: string } }> }>): string | null {
  const trailing: Array<{ tool_call_id?: string; content: unknown }> = [];
  for (let i = messages.length - 1; i >= 0 && messages[i].role === 'tool'; i--) trailing.unshift(messages[i]);
  if (trailing.length === 0) return null;
  const names = new Map<string, string>();
  for (const m of messages) for (const call of m.tool_calls ?? []) names.set(call.id, call.function.name);
  return `Tool results: ${trailing.map((m) => `${names.get(m.tool_call_id ?? '') ?? '?'}=${String(m.content).slice(0, 300)}`).join('; ')}`;
}

function userText(body: { messages?: Array<{ role: string; content: unknown }> }): string {
  const users = (body.messages ?? []).filter((message) => message.role === 'user');
  const content = users[users.length - 1]?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part: { text?: string }) => part.text ?? '').join('');
  return '';
}

const SECRET_IN_ERROR = 'sk-fake-upstream-secret-0000';

function chunk(id: string, model: string, delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the fake on 127.0.0.1 with an ephemeral port. */
export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const requests: RecordedRequest[] = [];
  const aborts: string[] = [];
  const waiters: Array<() => void> = [];
  const sockets = new Set<import('node:net').Socket>();

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const parts: Buffer[] = [];
      req.on('data', (part: Buffer) => parts.push(part));
      req.on('end', () => resolve(Buffer.concat(parts)));
      req.on('error', reject);
    });
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    let body: unknown = null;
    if (String(req.headers['content-type'] ?? '').startsWith('application/json')) body = JSON.parse(raw.toString('utf8') || 'null');
    requests.push({ path, headers: req.headers, body, raw });
    res.on('close', () => {
      if (!res.writableFinished) {
        aborts.push(path);
        for (const wake of waiters.splice(0)) wake();
      }
    });

    if (req.method === 'POST' && path.endsWith('/audio/transcriptions')) return transcription(req, raw, res);
    if (req.method === 'POST' && path.endsWith('/chat/completions')) return completion(body as Parameters<typeof lastUserText>[0] & { model: string; stream?: boolean }, res);
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'no such route', type: 'invalid_request_error' } }));
  }

  async function completion(body: { model: string; stream?: boolean; messages?: Array<{ role: string; content: unknown }> }, res: ServerResponse): Promise<void> {
    let text = lastUserText(body);
    const [command, ...args] = text.trim().split(/\s+/);
    const id = `chatcmpl-${requests.length}`;
    const results = toolResultsText((body.messages ?? []) as Parameters<typeof toolResultsText>[0]);
    const calls = scriptedCalls(text);
    if (calls && body.stream && (results === null || command === '/loop')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(chunk(id, body.model, { role: 'assistant', content: null }));
      for (const [index, call] of calls.entries()) {
        const callId = `call_${requests.length}_${index}`;
        const half = Math.floor(call.arguments.length / 2);
        // Arguments arrive in two pieces, as real providers split them.
        res.write(chunk(id, body.model, { tool_calls: [{ index, id: callId, type: 'function', function: { name: call.name, arguments: call.arguments.slice(0, half) } }] }));
        res.write(chunk(id, body.model, { tool_calls: [{ index, function: { arguments: call.arguments.slice(half) } }] }));
      }
      res.write(chunk(id, body.model, {}, 'tool_calls'));
      res.end('data: [DONE]\n\n');
      return;
    }
    if (results !== null && command === '/tool-stall' && body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(chunk(id, body.model, { role: 'assistant', content: 'Reading' }));
      return; // never ends: only the client ends it
    }
    if (results !== null) text = results;
    if (command === '/silent') return; // no status line, no byte: only the client ends it
    if (command === '/status') {
      const status = Number(args[0] ?? 500);
      res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': 'req_fake' });
      res.end(JSON.stringify({ error: { message: `Upstream failure (key ${SECRET_IN_ERROR})`, type: 'server_error', code: null } }));
      return;
    }
    let words: string[];
    let delayMs = 0;
    if (command === '/slow') {
      delayMs = Number(args[0] ?? 100);
      words = Array.from({ length: Number(args[1] ?? 50) }, (_, n) => `w${n + 1}`);
    } else {
      words = (results !== null ? text : `Fake: ${text}`).split(' ');
    }
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id, object: 'chat.completion', created: 1, model: body.model, choices: [{ index: 0, message: { role: 'assistant', content: words.join(' ') }, finish_reason: 'stop' }] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(chunk(id, body.model, { role: 'assistant', content: '' }));
    if (command === '/stall') {
      res.write(chunk(id, body.model, { content: 'Thinking' }));
      return; // never ends: the client's idle timeout must fire
    }
    if (command === '/mid-error') {
      res.write(chunk(id, body.model, { content: 'Partial' }));
      res.write(chunk(id, body.model, { content: ' answer' }));
      res.end(`data: ${JSON.stringify({ error: { message: `boom ${SECRET_IN_ERROR}`, type: 'server_error' } })}\n\n`);
      return;
    }
    for (const [index, word] of words.entries()) {
      if (res.destroyed) return;
      if (delayMs) await sleep(delayMs);
      if (res.destroyed) return;
      res.write(chunk(id, body.model, { content: index === 0 ? word : ` ${word}` }));
    }
    res.write(chunk(id, body.model, {}, 'stop'));
    res.end('data: [DONE]\n\n');
  }

  function transcription(req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const text = raw.toString('latin1');
    const model = /name="model"\r\n\r\n([^\r]*)/.exec(text)?.[1];
    const file = /name="file"; filename="([^"]*)"\r\nContent-Type: ([^\r]*)\r\n\r\n/i.exec(text);
    const boundary = /boundary=([^;]+)/.exec(String(req.headers['content-type']))?.[1] ?? '';
    const start = file ? text.indexOf(file[0]) + file[0].length : -1;
    const end = start >= 0 ? text.indexOf(`\r\n--${boundary}`, start) : -1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ text: `Heard ${end - start} bytes of ${file?.[2] ?? '?'} in ${file?.[1] ?? '?'} with ${model ?? '?'}` }));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    baseUrl: `${origin}/v1`,
    requests,
    aborts,
    async waitForAborts(count = 1, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (aborts.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} aborted upstream request(s), saw ${aborts.length}`);
        await Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), sleep(Math.min(left, 50))]);
      }
    },
    reset() {
      requests.length = 0;
      aborts.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The secret the fake puts in its error messages; it must never reach a chat client. */
export const FAKE_UPSTREAM_SECRET = SECRET_IN_ERROR;
