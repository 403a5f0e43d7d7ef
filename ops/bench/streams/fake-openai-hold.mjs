// A loopback OpenAI-compatible Chat Completions endpoint that accepts every streaming request and
// holds it — no status line, no byte — until told to release, like a model that has not started
// answering yet. Started by bench.mjs with an IPC channel; prints `listening <port>`.
//
// IPC messages: {type:'count'} → {type:'count', held, total}; {type:'release'} → every held
// request gets a short streamed answer in the wire format of backend/test/fakes/fake-openai-server.ts
// (chat.completion.chunk frames, then `data: [DONE]`) and ends → {type:'released', count}.
import { createServer } from 'node:http';

const held = new Set();
let total = 0;

const chunk = (id, delta, finish = null) =>
  `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: 'bench-model', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

const server = createServer((req, res) => {
  const parts = [];
  req.on('data', (part) => parts.push(part));
  req.on('end', () => {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"no such route"}}');
      return;
    }
    total++;
    const entry = { res, id: `chatcmpl-${total}` };
    held.add(entry);
    res.on('close', () => held.delete(entry));
  });
});
// Holding is the point: no Node timeout may end a request that waits for its answer.
server.requestTimeout = 0;
server.headersTimeout = 0;
server.timeout = 0;

function release() {
  const entries = [...held];
  held.clear();
  for (const { res, id } of entries) {
    if (res.destroyed) continue;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(chunk(id, { role: 'assistant', content: '' }));
    res.write(chunk(id, { content: 'Released.' }));
    res.write(chunk(id, {}, 'stop'));
    res.end('data: [DONE]\n\n');
  }
  return entries.length;
}

process.on('message', (message) => {
  if (message?.type === 'count') process.send({ type: 'count', held: held.size, total });
  if (message?.type === 'release') process.send({ type: 'released', count: release() });
});
process.on('disconnect', () => process.exit(0));
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
