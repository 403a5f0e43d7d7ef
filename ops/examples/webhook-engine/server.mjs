#!/usr/bin/env node
// A tiny external workflow engine for Parley's `webhook` runner (docs/embedding.md, section 8), with no
// dependencies. It verifies every request's signature (replay window and one-time use), then
// streams an answer as Server-Sent Events: a task, then the reply word by word, then `done`.
//
//   WEBHOOK_SECRET=whsec_… PORT=8787 node ops/examples/webhook-engine/server.mjs
//
// The message text can ask for other answer shapes (handy to see how Parley shows them):
//   /json  /ndjson  /slow <ms> <words>  /stall  /status <code>  /huge <bytes>  /malformed
// GET /_log lists what the engine saw (verdicts, users, disconnects); tests read it.
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { REPLAY_WINDOW_SECONDS, verifyParleySignature } from './verify.mjs';

/** Starts the engine; resolves with its URL, its request log and `close()`. */
export async function startWebhookEngine({ secret, port = 0, host = '127.0.0.1' } = {}) {
  if (!secret) throw new Error('The engine needs the workflow’s signing secret (WEBHOOK_SECRET).');
  const seen = new Map(); // signature → expiry (ms): a replayed request is refused even inside the window
  const log = [];
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/_log') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(log));
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });

  function handle(req, res, raw) {
    const signature = req.headers['x-parley-signature'];
    const entry = { at: Date.now(), verdict: null, identity: Boolean(req.headers['x-parley-identity']), aborted: false, authorization: req.headers.authorization ?? null };
    log.push(entry);
    let verdict = verifyParleySignature(secret, raw, signature);
    const now = Date.now();
    for (const [sig, expires] of seen) if (expires < now) seen.delete(sig);
    if (!verdict && seen.has(signature)) verdict = 'replayed';
    entry.verdict = verdict ?? 'ok';
    if (verdict) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `signature ${verdict}` }));
      return;
    }
    seen.set(signature, now + REPLAY_WINDOW_SECONDS * 1000);
    const body = JSON.parse(raw);
    entry.user = body.identity?.sub ?? null;
    entry.kind = body.identity?.kind ?? null;
    entry.historyLength = body.history?.length ?? 0;
    const text = (body.input?.content ?? []).map((p) => p.text ?? '').join('');
    entry.text = text;
    res.on('close', () => {
      if (!res.writableFinished) entry.aborted = true;
    });
    answer(text, body, res);
  }

  function answer(text, body, res) {
    const [command, ...args] = text.trim().split(/\s+/);
    const who = body.identity?.name ?? body.identity?.email ?? body.identity?.sub ?? 'there';
    const reply = `Hello ${who}, you said: ${text}`;
    switch (command) {
      case '/json':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ text: reply }));
      case '/ndjson':
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        for (const word of reply.split(' ')) res.write(JSON.stringify({ type: 'text', delta: `${word} ` }) + '\n');
        return res.end(JSON.stringify({ type: 'done' }) + '\n');
      case '/status':
        res.writeHead(Number(args[0]) || 500, { 'content-type': 'text/plain' });
        return res.end('engine stack trace: ENGINE_INTERNAL_DETAIL at db.query (password=hunter2)');
      case '/stall':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        return res.write(`data: ${JSON.stringify({ type: 'text', delta: 'thinking…' })}\n\n`);
      case '/huge': {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        const line = JSON.stringify({ type: 'text', delta: 'x'.repeat(1000) }) + '\n';
        let left = Number(args[0]) || 2_000_000;
        const pump = () => {
          while (left > 0) {
            left -= line.length;
            if (!res.write(line)) return res.once('drain', pump);
          }
          res.end(JSON.stringify({ type: 'done' }) + '\n');
        };
        return pump();
      }
      case '/malformed':
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        return res.end('{"type":"text","delta":"ok"}\nthis is not json\n');
      default:
        return stream(res, command === '/slow' ? Number(args[0]) || 50 : 0, command === '/slow' ? Number(args[1]) || 10 : null, reply);
    }
  }

  function stream(res, ms, count, reply) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (event) => res.write(`data: ${JSON.stringify(event)}\n\n`);
    const words = count === null ? reply.split(' ') : Array.from({ length: count }, (_, i) => `word${i + 1}`);
    send({ type: 'task', title: 'Reading your message', status: 'loading' });
    send({ type: 'task', title: 'Reading your message', status: 'complete' });
    let i = 0;
    const next = () => {
      if (res.destroyed) return;
      if (i === words.length) {
        send({ type: 'done' });
        return res.end();
      }
      send({ type: 'text', delta: (i ? ' ' : '') + words[i++] });
      if (ms) setTimeout(next, ms);
      else next();
    };
    next();
  }

  await new Promise((resolve) => server.listen(port, host, resolve));
  const { port: bound } = server.address();
  return {
    url: `http://${host}:${bound}/parley`,
    log,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const engine = await startWebhookEngine({ secret: process.env.WEBHOOK_SECRET, port: Number(process.env.PORT ?? 8787) });
  console.log(`Webhook engine listening on ${engine.url} (signature checked with WEBHOOK_SECRET, replay window ${REPLAY_WINDOW_SECONDS} s)`);
}
