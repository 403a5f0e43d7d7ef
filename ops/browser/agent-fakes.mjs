/**
 * An HTTP tool for the browser suite's agent scenario, a real server on 127.0.0.1 (no dependencies):
 * `POST /orders/{orderId}/refund` → `{refunded, amount}`. It records every request with its headers, so the
 * scenario can check that `X-Parley-Identity` arrived. The model is ops/lib/fake-openai.mjs.
 */
import { createServer } from 'node:http';

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
