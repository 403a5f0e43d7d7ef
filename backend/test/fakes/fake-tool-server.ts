import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createRemoteJWKSet, JWTPayload, jwtVerify } from 'jose';

/**
 * An HTTP tool server on loopback that verifies `X-Parley-Identity` exactly as docs/security.md
 * tells integrators to (jose, the app's JWKS, issuer and its own origin as audience) and answers:
 * - `GET /orders/:id` → `{id, status, owner: <sub>}` (401 when the identity does not verify);
 * - `POST /todos` → echoes the JSON body with the owner;
 * - `GET /barrier/:n` → answers only once `n` barrier requests are in flight (proves concurrency);
 * - `GET /hang` → never answers (timeouts, cancellation); `GET /big` → 100 KB; `GET /fail` → 500;
 * - `GET /redirect?to=` → 302 to `to`; `GET /echo` → the request headers (a careless debug endpoint).
 * Every request is recorded with its verified claims (or the verification error) and headers.
 */
export interface ToolRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: unknown;
  claims: JWTPayload | null;
  identityError: string | null;
}

export interface FakeToolServer {
  origin: string;
  requests: ToolRequest[];
  /** Paths whose client went away before the answer. */
  aborted: string[];
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeToolServer(parley: { jwksUrl: () => string; issuer: string }): Promise<FakeToolServer> {
  const requests: ToolRequest[] = [];
  const aborted: string[] = [];
  const sockets = new Set<Socket>();
  const barriers = new Map<string, Array<() => void>>();
  let jwks: ReturnType<typeof createRemoteJWKSet> | null = null;
  let jwksFrom = '';
  let origin = '';

  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await new Promise<string>((resolve) => {
        let text = '';
        req.on('data', (d: Buffer) => (text += d.toString('utf8')));
        req.on('end', () => resolve(text));
      });
      const url = new URL(req.url ?? '/', origin);
      let claims: JWTPayload | null = null;
      let identityError: string | null = null;
      try {
        const token = req.headers['x-parley-identity'];
        if (typeof token !== 'string') throw new Error('missing');
        // Several app instances may come and go in one file (restarts): follow the current one.
        if (!jwks || jwksFrom !== parley.jwksUrl()) {
          jwksFrom = parley.jwksUrl();
          jwks = createRemoteJWKSet(new URL(jwksFrom), { cooldownDuration: 0 });
        }
        ({ payload: claims } = await jwtVerify(token, jwks, { issuer: parley.issuer, audience: origin, algorithms: ['ES256'], maxTokenAge: '60s' }));
      } catch (error) {
        identityError = (error as Error).message;
      }
      const record: ToolRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: raw ? JSON.parse(raw) : null,
        claims,
        identityError,
      };
      requests.push(record);
      res.on('close', () => {
        if (!res.writableFinished) aborted.push(url.pathname);
      });
      const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      const [, first, second] = url.pathname.split('/');
      if (first === 'orders' && req.method === 'GET') {
        if (!claims) return json(401, { error: 'identity required' });
        return json(200, { id: decodeURIComponent(second ?? ''), status: 'shipped', owner: claims.sub, kind: claims.kind, ...record.query });
      }
      if (first === 'todos' && req.method === 'POST') return json(201, { created: record.body, owner: claims?.sub ?? null });
      if (first === 'barrier') {
        const n = Number(second);
        const waiting = barriers.get(second) ?? [];
        barriers.set(second, waiting);
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length >= n) for (const wake of waiting.splice(0)) wake();
        });
        return json(200, { passed: true });
      }
      if (first === 'echo') return json(200, { headers: req.headers }); // a careless debug endpoint
      if (first === 'hang') return; // never answers
      if (first === 'big') return res.writeHead(200, { 'content-type': 'text/plain' }).end('y'.repeat(100_000));
      if (first === 'fail') return json(500, { error: 'database on fire' });
      if (first === 'redirect') return res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
      json(404, { error: 'no route' });
    })().catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    aborted,
    async waitFor(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error('condition not met in time');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    reset() {
      requests.length = 0;
      aborted.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
