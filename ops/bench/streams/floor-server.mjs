// The floors of bench:streams: the least a Node server can hold per idle open stream that waits on a
// model. For every POST it reads the body, answers `200 text/event-stream` with one `data:` frame,
// then sends a streaming Chat Completions request upstream (UPSTREAM_URL, the holding fake) and
// forwards the answer's bytes, ending when the upstream does; the client leaving aborts the upstream
// request. No framework, no auth, no database, no logging.
//   FLOOR_UPSTREAM=http  — the upstream request with node:http (the least Node itself needs);
//   FLOOR_UPSTREAM=fetch — with the global fetch (undici), the transport the OpenAI SDK uses.
// Started by bench.mjs with the memory probe preloaded; prints `listening <port>`.
import http from 'node:http';

const MODE = process.env.FLOOR_UPSTREAM === 'fetch' ? 'fetch' : 'http';
const UPSTREAM = `${process.env.UPSTREAM_URL}/chat/completions`;
const FIRST = `data: ${JSON.stringify({ type: 'thread.created' })}\n\n`;

const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (part) => parts.push(part));
  req.on('end', () => {
    const input = Buffer.concat(parts).toString('utf8');
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(FIRST);
    const stop = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) stop.abort();
    });
    const payload = JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content: input.slice(0, 200) }], stream: true });
    const headers = { 'content-type': 'application/json', authorization: 'Bearer sk-bench-not-a-real-key' };
    if (MODE === 'fetch') {
      (async () => {
        try {
          const answer = await fetch(UPSTREAM, { method: 'POST', headers, body: payload, signal: stop.signal });
          for await (const chunk of answer.body) res.write(chunk);
        } catch {
          /* the client left */
        }
        res.end();
      })();
      return;
    }
    const upstream = http.request(UPSTREAM, { method: 'POST', headers, signal: stop.signal }, (answer) => {
      answer.on('data', (chunk) => res.write(chunk));
      answer.on('end', () => res.end());
      answer.on('error', () => res.end());
    });
    upstream.on('error', () => res.end());
    upstream.end(payload);
  });
});
server.requestTimeout = 0;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
