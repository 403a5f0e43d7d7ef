// The floor of the ChatKit benchmark: a bare `node:http` server doing only what the protocol
// needs for `threads.create` / `threads.add_user_message` with the echo runner: read the body,
// validate it with the same validator as the app, perform the same Postgres writes (thread,
// user message, assistant message, title) and write the same SSE frames. No framework, no auth,
// no workflow lookup, no logging: what is left between this and the app is Parley's own cost.
//
// Started by bench.mjs as a child process: env DATABASE_URL, WORKFLOW_ID, PRINCIPAL_ID,
// DATABASE_POOL_SIZE; prints `listening <port>` on stdout.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '../../../backend/dist');
const require = createRequire(join(here, '../../../backend/package.json'));
const { Pool } = require('pg');
const { parseJsonBody, validateChatKitRequest } = require(join(dist, 'chat-protocol/request-validation.js'));
const { encodeEvent, SSE_CONTENT_TYPE } = require(join(dist, 'chat-protocol/sse.js'));
const { EchoRunner } = require(join(dist, 'chat-protocol/echo-runner.js'));
const { randomIdGenerator } = require(join(dist, 'chat-protocol/ids.js'));
const { isHiddenItem } = require(join(dist, 'chat-protocol/types.js'));

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const workflowId = process.env.WORKFLOW_ID;
const principalId = process.env.PRINCIPAL_ID;
// The echo runner generates the events; for plain text it never reads the store.
const echo = new EchoRunner({ store: null });

const threadResponse = (t) => ({ id: t.id, ...(t.title ? { title: t.title } : {}), created_at: t.created_at, status: t.status, metadata: {}, items: { data: [], has_more: false } });

async function insertItem(threadId, item) {
  await pool.query(
    `INSERT INTO chat_items (id, thread_id, type, hidden, data, created_at) VALUES ($1, $2, $3, $4, $5::json, $6::timestamptz)`,
    [item.id, threadId, item.type, isHiddenItem(item), JSON.stringify(item), item.created_at],
  );
}

async function handle(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  let request;
  try {
    request = validateChatKitRequest(parseJsonBody(Buffer.concat(chunks).toString('utf8')));
  } catch (error) {
    res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ statusCode: 400, code: 'invalid_request', message: error.message }));
    return;
  }
  let thread;
  if (request.type === 'threads.create') {
    thread = { id: randomIdGenerator('thread'), created_at: new Date().toISOString(), status: { type: 'active' }, metadata: {} };
    await pool.query(
      `INSERT INTO chat_threads (id, workflow_id, principal_kind, principal_id, status, metadata, created_at) VALUES ($1, $2, 'user', $3, $4::jsonb, '{}'::jsonb, $5)`,
      [thread.id, workflowId, principalId, JSON.stringify(thread.status), thread.created_at],
    );
  } else if (request.type === 'threads.add_user_message') {
    const rows = await pool.query(
      `SELECT id, title, status, created_at FROM chat_threads WHERE id = $1 AND workflow_id = $2 AND principal_kind = 'user' AND principal_id = $3`,
      [request.params.thread_id, workflowId, principalId],
    );
    if (rows.rowCount === 0) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"statusCode":404,"code":"not_found"}');
      return;
    }
    const row = rows.rows[0];
    thread = { id: row.id, ...(row.title ? { title: row.title } : {}), created_at: row.created_at.toISOString(), status: row.status, metadata: {} };
  } else {
    res.writeHead(400).end();
    return;
  }

  const input = request.params.input;
  const message = {
    id: randomIdGenerator('message'),
    thread_id: thread.id,
    created_at: new Date().toISOString(),
    type: 'user_message',
    content: input.content,
    attachments: [],
    inference_options: input.inference_options,
  };
  await insertItem(thread.id, message);
  res.writeHead(200, { 'content-type': SSE_CONTENT_TYPE, 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' });
  if (request.type === 'threads.create') res.write(encodeEvent({ type: 'thread.created', thread: threadResponse(thread) }));
  res.write(encodeEvent({ type: 'thread.item.done', item: message }));
  res.write(encodeEvent({ type: 'stream_options', stream_options: { allow_cancel: true } }));
  const titled = Boolean(thread.title);
  for await (const event of echo.respond(thread, message, null, undefined)) {
    if (event.type === 'thread.item.done') await insertItem(thread.id, event.item);
    res.write(encodeEvent(event));
  }
  if (!titled && thread.title) {
    await pool.query(`UPDATE chat_threads SET title = $2, updated_at = now() WHERE id = $1`, [thread.id, thread.title]);
    res.write(encodeEvent({ type: 'thread.updated', thread: threadResponse(thread) }));
  }
  res.end();
}

const server = createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error(error);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
