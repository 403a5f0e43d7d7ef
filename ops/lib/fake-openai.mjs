/**
 * A small OpenAI-compatible Chat Completions server on 127.0.0.1 for the fault tests: the `openai`
 * runner (provider `compatible`, `baseUrl` = this server) streams from it exactly as from a real
 * provider, through the official SDK. Plain `node:http`, no dependencies.
 *
 * `POST …/chat/completions` with `stream: true` answers SSE chunks then `data: [DONE]`. The newest
 * user message steers it:
 *   - `/hold <tag> <before> <after> <ms>` → `before` chunks `ms` apart, then nothing until the test
 *     calls `release(tag)`, then `after` more chunks `ms` apart. A released tag never holds again,
 *     so a retry of the same message streams straight through. Chunks are `w1`, ` w2`, … so the
 *     full answer is known in advance (`holdText`).
 *   - `/slow <ms> <n>` → n chunks, `ms` apart.
 *   - tools (agent workflows, docs/workflows.md): when the request offers `tools` and the message
 *     names one (`add_todo buy milk`, `please list_todos`), the answer is a call of that tool. Its
 *     arguments are `/tool <name> <json>`'s JSON when given, else the text after the name fills the
 *     tool's first required string parameter. Once the conversation ends with tool results, the
 *     answer reports them: `<name> returned: <output>`.
 *   - anything else → `Fake: <text>` word by word, no delay.
 * Non-streaming requests get the same text in one JSON body.
 *
 * The test can watch what happens: `held(tag)` resolves once a stream reached its hold point,
 * `aborts` lists streams whose client went away before the end (a killed replica), `requests`
 * counts completions.
 *
 * `node ops/lib/fake-openai.mjs [port]` runs it on its own (prints its base URL).
 */
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The complete answer of `/hold <tag> <before> <after> …` (and `/slow <ms> <n>` with n = before + after). */
export function holdText(before, after) {
  return Array.from({ length: before + after }, (_, n) => `w${n + 1}`).join(' ');
}

function lastUserText(body) {
  const users = (body?.messages ?? []).filter((message) => message.role === 'user');
  const content = users[users.length - 1]?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => part?.text ?? '').join('');
  return '';
}

/** The tool call a message asks for, or null: `/tool name {json}`, or a tool named in the text. */
export function scriptedToolCall(text, tools) {
  if (!Array.isArray(tools) || tools.length === 0) return null;
  const explicit = /^\/tool\s+([A-Za-z0-9_-]+)\s*([\s\S]*)$/.exec(text.trim());
  if (explicit) return { name: explicit[1], arguments: explicit[2] || '{}' };
  for (const tool of tools) {
    const name = tool?.function?.name;
    if (!name) continue;
    const at = text.search(new RegExp(`(^|[^A-Za-z0-9_-])${name}([^A-Za-z0-9_-]|$)`));
    if (at < 0) continue;
    const rest = text.slice(text.indexOf(name, at) + name.length).replace(/^[\s:,-]+/, '').trim();
    const params = tool.function.parameters ?? {};
    const field = (params.required ?? []).find((key) => params.properties?.[key]?.type === 'string')
      ?? (params.required ?? []).find((key) => ['integer', 'number'].includes(params.properties?.[key]?.type));
    const args = {};
    if (field) args[field] = ['integer', 'number'].includes(params.properties[field].type) ? Number(rest.match(/-?\d+/)?.[0] ?? 0) : rest;
    return { name, arguments: JSON.stringify(args) };
  }
  return null;
}

/** `<name> returned: <output>` for the tool messages that end the conversation, or null. */
function toolResults(messages) {
  const trailing = [];
  for (let i = messages.length - 1; i >= 0 && messages[i].role === 'tool'; i--) trailing.unshift(messages[i]);
  if (trailing.length === 0) return null;
  const names = new Map();
  for (const message of messages) for (const call of message.tool_calls ?? []) names.set(call.id, call.function?.name);
  return trailing.map((m) => `${names.get(m.tool_call_id) ?? 'tool'} returned: ${String(m.content).slice(0, 500)}`).join('\n');
}

function chunk(id, model, delta, finish = null) {
  return `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

/** Starts the fake on an ephemeral (or the given) port. */
export async function startFakeOpenAI({ port = 0 } = {}) {
  const released = new Set();
  const releaseWaiters = new Map(); // tag → [resolve]
  const heldTags = new Map(); // tag → count of streams that reached the hold point
  const heldWaiters = new Map(); // tag → [resolve]
  const aborts = [];
  const sockets = new Set();
  let requests = 0;

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function waitRelease(tag, timeoutMs) {
    if (released.has(tag)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = releaseWaiters.get(tag) ?? [];
      list.push(resolve);
      releaseWaiters.set(tag, list);
      // Never hang forever: a forgotten release ends the hold after timeoutMs.
      setTimeout(resolve, timeoutMs).unref();
    });
  }

  function markHeld(tag) {
    heldTags.set(tag, (heldTags.get(tag) ?? 0) + 1);
    for (const resolve of heldWaiters.get(tag)?.splice(0) ?? []) resolve();
  }

  async function handle(req, res) {
    const parts = [];
    for await (const part of req) parts.push(part);
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'no such route', type: 'invalid_request_error' } }));
      return;
    }
    requests++;
    let body;
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'bad json', type: 'invalid_request_error' } }));
      return;
    }
    const text = lastUserText(body);
    const [command, ...args] = text.trim().split(/\s+/);
    const id = `chatcmpl-fake-${requests}`;
    const model = String(body.model ?? 'fake');

    let plan; // [{ words, delayMs }] with an optional hold between the two halves
    let tag = null;
    const results = toolResults(body.messages ?? []);
    const call = results === null ? scriptedToolCall(text, body.tools) : null;
    if (call && body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(chunk(id, model, { role: 'assistant', content: null }));
      res.write(chunk(id, model, { tool_calls: [{ index: 0, id: `call_${requests}`, type: 'function', function: { name: call.name, arguments: call.arguments } }] }));
      res.write(chunk(id, model, {}, 'tool_calls'));
      res.end('data: [DONE]\n\n');
      return;
    }
    if (results !== null) {
      plan = { first: results.split(' '), second: [], delayMs: 0 };
    } else if (command === '/hold') {
      tag = args[0] ?? 'default';
      const before = Number(args[1] ?? 5);
      const after = Number(args[2] ?? 5);
      const delayMs = Number(args[3] ?? 50);
      const words = holdText(before, after).split(' ');
      plan = { first: words.slice(0, before), second: words.slice(before), delayMs };
    } else if (command === '/slow') {
      const words = holdText(Number(args[1] ?? 20), 0).split(' ');
      plan = { first: words, second: [], delayMs: Number(args[0] ?? 100) };
    } else {
      plan = { first: `Fake: ${text}`.split(' '), second: [], delayMs: 0 };
    }

    if (!body.stream) {
      const content = [...plan.first, ...plan.second].join(' ');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id, object: 'chat.completion', created: 1, model, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
      return;
    }

    res.on('close', () => {
      if (!res.writableFinished) aborts.push({ tag, text });
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(chunk(id, model, { role: 'assistant', content: '' }));
    let index = 0;
    const send = async (words) => {
      for (const word of words) {
        if (plan.delayMs) await sleep(plan.delayMs);
        if (res.destroyed) return false;
        res.write(chunk(id, model, { content: index++ === 0 ? word : ` ${word}` }));
      }
      return true;
    };
    if (!(await send(plan.first))) return;
    if (tag !== null && !released.has(tag)) {
      markHeld(tag);
      await waitRelease(tag, 60_000);
      if (res.destroyed) return;
    }
    if (!(await send(plan.second))) return;
    res.write(chunk(id, model, {}, 'stop'));
    res.end('data: [DONE]\n\n');
  }

  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    baseUrl: `${origin}/v1`,
    aborts,
    get requests() {
      return requests;
    },
    /** Resolves once a stream with this tag reached its hold point (rejects after timeoutMs). */
    held(tag, timeoutMs = 20_000) {
      if (heldTags.get(tag)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no stream reached the hold point of "${tag}" within ${timeoutMs} ms`)), timeoutMs);
        const list = heldWaiters.get(tag) ?? [];
        list.push(() => {
          clearTimeout(timer);
          resolve();
        });
        heldWaiters.set(tag, list);
      });
    },
    /** Lets held streams of `tag` continue; later streams with this tag do not hold. */
    release(tag) {
      released.add(tag);
      for (const resolve of releaseWaiters.get(tag)?.splice(0) ?? []) resolve();
    },
    close() {
      for (const list of releaseWaiters.values()) for (const resolve of list.splice(0)) resolve();
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const fake = await startFakeOpenAI({ port: Number(process.argv[2] ?? 0) });
  process.stdout.write(`fake OpenAI-compatible server on ${fake.baseUrl}\n`);
}
