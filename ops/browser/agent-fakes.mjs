/**
 * The outside world of the browser suite's agent scenario, as real servers on 127.0.0.1 (no dependencies):
 *
 * - `startToolModel()`: an OpenAI-compatible Chat Completions server (streaming) that the `agent` runner talks to
 *   through the official SDK. A user message `/tool <name> <json arguments>` makes it stream one tool call; once the
 *   conversation ends with tool results it answers `Tool result: <output>`; anything else is `Fake: <text>`.
 *   Same wire format as backend/test/fakes/fake-openai-server.ts.
 * - `startOrderTool()`: an HTTP tool, `POST /orders/{orderId}/refund` → `{refunded, amount}`, that records every
 *   request with its headers (so the scenario can check `X-Parley-Identity` arrived).
 */
import { createServer } from 'node:http';

function chunk(id, model, delta, finish = null) {
  return `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

function lastUserText(messages) {
  const users = messages.filter((m) => m.role === 'user');
  const content = users[users.length - 1]?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => part?.text ?? '').join('');
  return '';
}

async function readJson(req) {
  const parts = [];
  for await (const part of req) parts.push(part);
  const text = Buffer.concat(parts).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

async function listen(server) {
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const close = () => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return { origin, close };
}

export async function startToolModel() {
  let n = 0;
  const server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"no such route"}}');
        return;
      }
      const body = await readJson(req);
      const messages = body?.messages ?? [];
      const id = `chatcmpl-browser-${++n}`;
      const model = String(body?.model ?? 'fake');
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(chunk(id, model, { role: 'assistant', content: '' }));
      const last = messages[messages.length - 1];
      const script = /^\/tool\s+([A-Za-z0-9_-]+)\s*([\s\S]*)$/.exec(lastUserText(messages).trim());
      if (last?.role !== 'tool' && script) {
        const call = { index: 0, id: `call_browser_${n}`, type: 'function', function: { name: script[1], arguments: script[2] || '{}' } };
        res.write(chunk(id, model, { tool_calls: [call] }));
        res.write(chunk(id, model, {}, 'tool_calls'));
      } else {
        const text = last?.role === 'tool' ? `Tool result: ${String(last.content).slice(0, 300)}` : `Fake: ${lastUserText(messages)}`;
        text.split(' ').forEach((word, i) => res.write(chunk(id, model, { content: i === 0 ? word : ` ${word}` })));
        res.write(chunk(id, model, {}, 'stop'));
      }
      res.end('data: [DONE]\n\n');
    })().catch(() => res.destroy());
  });
  const { origin, close } = await listen(server);
  return { origin, baseUrl: `${origin}/v1`, close };
}

export async function startOrderTool() {
  const requests = [];
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readJson(req).catch(() => undefined);
      requests.push({ method: req.method, path: req.url, headers: req.headers, body });
      const match = /^\/orders\/([^/]+)\/refund$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !match) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ refunded: decodeURIComponent(match[1]), amount: '42.00 EUR' }));
    })().catch(() => res.destroy());
  });
  const { origin, close } = await listen(server);
  return { origin, requests, close };
}
