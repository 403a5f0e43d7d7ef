import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/**
 * A real MCP server built with `@modelcontextprotocol/sdk`'s `McpServer`, over Streamable HTTP
 * (stateless: a fresh server and transport per request, as the SDK's stateless example), on
 * loopback. A per-person todo list keyed by the `sub` of `X-Parley-Identity` (decoded, not
 * verified: the http tool fake verifies), plus tools for failure modes:
 * `list_tasks`, `add_task {title}`, `delete_task {id}`, `fail` (isError), `boom` (throws).
 * Every HTTP request's headers are recorded.
 */
export interface FakeMcp {
  url: string;
  origin: string;
  requests: Array<{ method: string; headers: IncomingMessage['headers']; body: unknown }>;
  /** JSON-RPC methods called, in order (`initialize`, `tools/list`, `tools/call:<name>`…). */
  calls: string[];
  tasks: Map<string, Array<{ id: number; title: string }>>;
  reset(): void;
  close(): Promise<void>;
}

function subOf(headers: IncomingMessage['headers']): string {
  const token = headers['x-parley-identity'];
  if (typeof token !== 'string') return 'anonymous';
  try {
    return String((JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { sub?: unknown }).sub ?? 'anonymous');
  } catch {
    return 'anonymous';
  }
}

export async function startFakeMcp(): Promise<FakeMcp> {
  const requests: FakeMcp['requests'] = [];
  const calls: string[] = [];
  const tasks = new Map<string, Array<{ id: number; title: string }>>();
  let nextId = 1;
  const sockets = new Set<Socket>();

  function build(sub: string): McpServer {
    const server = new McpServer({ name: 'fake-tasks', version: '1.0.0' });
    const mine = (): Array<{ id: number; title: string }> => {
      if (!tasks.has(sub)) tasks.set(sub, []);
      return tasks.get(sub)!;
    };
    server.registerTool('list_tasks', { description: 'List the signed-in person’s tasks' }, async () => ({
      content: [{ type: 'text', text: JSON.stringify({ owner: sub, tasks: mine() }) }],
    }));
    server.registerTool('add_task', { description: 'Add a task', inputSchema: { title: z.string().min(1) } }, async ({ title }) => {
      const task = { id: nextId++, title };
      mine().push(task);
      return { content: [{ type: 'text', text: JSON.stringify({ added: task }) }] };
    });
    server.registerTool('delete_task', { description: 'Delete a task by id', inputSchema: { id: z.number().int() } }, async ({ id }) => {
      const list = mine();
      const index = list.findIndex((t) => t.id === id);
      if (index >= 0) list.splice(index, 1);
      return { content: [{ type: 'text', text: index >= 0 ? `deleted ${id}` : `no task ${id}` }] };
    });
    server.registerTool('fail', { description: 'Always reports an error' }, async () => ({ isError: true, content: [{ type: 'text', text: 'the fake refused' }] }));
    server.registerTool('boom', { description: 'Throws inside the handler' }, async () => {
      throw new Error('handler exploded');
    });
    return server;
  }

  const http: Server = createServer((req, res) => {
    void (async () => {
      const raw = await new Promise<string>((resolve) => {
        let text = '';
        req.on('data', (d: Buffer) => (text += d.toString('utf8')));
        req.on('end', () => resolve(text));
      });
      const body: unknown = raw ? JSON.parse(raw) : undefined;
      requests.push({ method: req.method ?? '', headers: req.headers, body });
      for (const message of Array.isArray(body) ? body : body ? [body] : []) {
        const m = message as { method?: string; params?: { name?: string } };
        if (m.method) calls.push(m.method === 'tools/call' ? `tools/call:${m.params?.name}` : m.method);
      }
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST' }).end();
        return;
      }
      const server = build(subOf(req.headers));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    })().catch(() => res.destroy());
  });
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/mcp`,
    origin,
    requests,
    calls,
    tasks,
    reset() {
      requests.length = 0;
      calls.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        http.close(() => resolve());
      }),
  };
}
