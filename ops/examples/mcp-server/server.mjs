#!/usr/bin/env node
/**
 * An example MCP server for Parley agent workflows (docs/workflows.md): a todo list per person,
 * over Streamable HTTP, built with `@modelcontextprotocol/sdk`'s `McpServer`.
 *
 * It shows the end-user identity at work: every request must carry `X-Parley-Identity`, verified
 * with `jose` against Parley's JWKS (issuer = PARLEY_URL, audience = this server's origin), and
 * the todos belong to the token's `kind` + `sub` — the person chatting, whoever the owner is.
 *
 *   node ops/examples/mcp-server/server.mjs            # http://127.0.0.1:8765/mcp, Parley at http://localhost:3000
 *   PORT=0 PARLEY_URL=http://localhost:4000 node ops/examples/mcp-server/server.mjs
 *
 * Tools: `list_todos`, `add_todo {title}`, `delete_todo {id}`. State is in memory.
 */
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/** Starts the server; resolves with its URL and a `close()`. */
export async function startTodoMcpServer({ port = 8765, host = '127.0.0.1', parleyUrl = 'http://localhost:3000' } = {}) {
  const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', parleyUrl), { cooldownDuration: 0 });
  const todos = new Map(); // "kind:sub" → [{id, title}]
  let nextId = 1;
  let origin = '';

  function tools(person) {
    const server = new McpServer({ name: 'parley-example-todos', version: '1.0.0' });
    const mine = () => todos.get(person.key) ?? todos.set(person.key, []).get(person.key);
    server.registerTool('list_todos', { description: 'List the todos of the person chatting' }, async () => ({
      content: [{ type: 'text', text: JSON.stringify({ for: person.label, todos: mine() }) }],
    }));
    server.registerTool('add_todo', { description: 'Add a todo for the person chatting', inputSchema: { title: z.string().min(1).max(200) } }, async ({ title }) => {
      const todo = { id: nextId++, title };
      mine().push(todo);
      return { content: [{ type: 'text', text: JSON.stringify({ added: todo }) }] };
    });
    server.registerTool('delete_todo', { description: 'Delete one of the person’s todos by id', inputSchema: { id: z.number().int() } }, async ({ id }) => {
      const list = mine();
      const index = list.findIndex((t) => t.id === id);
      if (index < 0) return { isError: true, content: [{ type: 'text', text: `No todo ${id}.` }] };
      list.splice(index, 1);
      return { content: [{ type: 'text', text: `Deleted todo ${id}.` }] };
    });
    return server;
  }

  const http = createServer(async (req, res) => {
    try {
      if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
      let payload;
      try {
        ({ payload } = await jwtVerify(String(req.headers['x-parley-identity'] ?? ''), jwks, {
          issuer: parleyUrl.replace(/\/+$/, ''),
          // The token's audience is the origin in the workflow's MCP URL: either spelling of loopback.
          audience: [origin, origin.replace('127.0.0.1', 'localhost')],
          algorithms: ['ES256'],
          maxTokenAge: '60s',
        }));
      } catch {
        return void res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'X-Parley-Identity missing or invalid' }));
      }
      const person = { key: `${payload.kind}:${payload.sub}`, label: payload.email ?? payload.name ?? `${payload.kind} ${String(payload.sub).slice(0, 8)}` };
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      const server = tools(person);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => {
        transport.close();
        server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end();
      console.error(error);
    }
  });
  await new Promise((resolve) => http.listen(port, host, resolve));
  origin = `http://${host}:${http.address().port}`;
  return { url: `${origin}/mcp`, origin, close: () => new Promise((resolve) => http.close(() => resolve())) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const parleyUrl = process.env.PARLEY_URL ?? 'http://localhost:3000';
  const server = await startTodoMcpServer({ port: Number(process.env.PORT ?? 8765), parleyUrl });
  console.log(`Example MCP server (todos) on ${server.url}, trusting identities from ${parleyUrl}`);
}
