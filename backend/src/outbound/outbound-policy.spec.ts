import { createServer, Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { OutboundPolicy } from './outbound-policy';
import { OutboundResponseTooLargeError, OutboundUrlRefusedError } from './outbound.errors';

/** A real loopback server whose routes redirect, echo headers or stream a big body. */
async function startServer(): Promise<{
  url: string;
  port: number;
  seen: Array<{ path: string; headers: Record<string, unknown> }>;
  connections(): number;
  release(): void;
  /** Resolves when the socket of the latest `/stream` request closes. */
  streamSocketClosed(): Promise<void>;
  close(): Promise<void>;
}> {
  const seen: Array<{ path: string; headers: Record<string, unknown> }> = [];
  let connections = 0;
  let releases: Array<() => void> = [];
  let streamSocketClosed: Promise<void> = Promise.resolve();
  const released = (): Promise<void> => new Promise((resolve) => releases.push(resolve));
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: url.pathname, headers: { ...req.headers } });
    req.resume();
    if (url.pathname === '/stream') {
      streamSocketClosed = new Promise((resolve) => req.socket.once('close', () => resolve()));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      await released();
      res.write('data: two\n\n');
      await released();
      res.end();
    } else if (url.pathname === '/bomb') {
      streamSocketClosed = new Promise((resolve) => req.socket.once('close', () => resolve()));
      // 10 KB of gzip that inflates to 10 MB, then the connection held open.
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      res.write(gzipSync(Buffer.alloc(10 * 1024 * 1024)));
    } else if (url.pathname === '/redirect') {
      res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('to') ?? '/' }).end();
    } else if (url.pathname === '/loop') {
      res.writeHead(302, { location: '/loop' }).end();
    } else if (url.pathname === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain', ...(url.searchParams.has('declared') ? { 'content-length': '10000' } : {}) });
      res.end('x'.repeat(10_000));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: url.pathname, method: req.method }));
    }
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    connections: () => connections,
    release: () => {
      const waiting = releases;
      releases = [];
      waiting.forEach((resolve) => resolve());
    },
    streamSocketClosed: () => streamSocketClosed,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('OutboundPolicy', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let other: Awaited<ReturnType<typeof startServer>>;
  const policies: OutboundPolicy[] = [];
  const policy = (options: ConstructorParameters<typeof OutboundPolicy>[0]): OutboundPolicy => {
    const p = new OutboundPolicy(options);
    policies.push(p);
    return p;
  };

  beforeAll(async () => {
    server = await startServer();
    other = await startServer();
  });
  afterAll(async () => {
    await Promise.all(policies.map((p) => p.close()));
    await server.close();
    await other.close();
  });

  describe('check (save time)', () => {
    const strict = () => policy({ allowPrivate: false });

    it('refuses literal loopback, private, link-local and mapped addresses', async () => {
      for (const url of ['http://127.0.0.1/', 'http://10.0.0.1/x', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:8080/', 'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0/']) {
        await expect(strict().check(url)).rejects.toBeInstanceOf(OutboundUrlRefusedError);
      }
    });

    it('refuses a name that really resolves to loopback (localhost, system DNS)', async () => {
      await expect(strict().check('http://localhost:1234/')).rejects.toMatchObject({ code: 'outbound_url_refused', details: { host: 'localhost' } });
    });

    it('refuses a name when any of its addresses is private, and accepts public answers', async () => {
      const answers: Record<string, string[]> = { 'mixed.example': ['93.184.216.34', '10.0.0.7'], 'public.example': ['93.184.216.34'] };
      const p = policy({ allowPrivate: false, resolver: async (host) => answers[host] ?? [] });
      await expect(p.check('https://mixed.example/tool')).rejects.toBeInstanceOf(OutboundUrlRefusedError);
      await expect(p.check('https://nothing.example/')).rejects.toThrow(/does not resolve/);
      await expect(p.check('https://public.example/tool')).resolves.toBeInstanceOf(URL);
    });

    it('refuses other schemes and credentials in the URL whatever the mode', async () => {
      const open = policy({ allowPrivate: true });
      await expect(open.check('file:///etc/passwd')).rejects.toBeInstanceOf(OutboundUrlRefusedError);
      await expect(open.check('ftp://example.com/')).rejects.toBeInstanceOf(OutboundUrlRefusedError);
      await expect(open.check('http://user:pw@example.com/')).rejects.toBeInstanceOf(OutboundUrlRefusedError);
      await expect(open.check('http://127.0.0.1/')).resolves.toBeInstanceOf(URL);
    });
  });

  describe('request (run time)', () => {
    it('refuses a loopback server when private targets are off, by literal and by name', async () => {
      const p = policy({ allowPrivate: false });
      await expect(p.request(`${server.url}/x`)).rejects.toBeInstanceOf(OutboundUrlRefusedError);
      await expect(p.request(`http://localhost:${server.port}/x`)).rejects.toBeInstanceOf(OutboundUrlRefusedError);
      expect(server.seen.filter((s) => s.path === '/x')).toHaveLength(0);
    });

    it('re-checks every redirect hop: an allowed host cannot bounce to metadata or loopback', async () => {
      const p = policy({ allowPrivate: false, allowHosts: [`127.0.0.1:${server.port}`] });
      await expect(p.request(`${server.url}/ok`).then((r) => r.json())).resolves.toEqual({ path: '/ok', method: 'GET' });
      const toMetadata = `${server.url}/redirect?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`;
      await expect(p.request(toMetadata)).rejects.toMatchObject({ code: 'outbound_url_refused', details: { host: '169.254.169.254' } });
      const toLocalhost = `${server.url}/redirect?to=${encodeURIComponent(`http://localhost:${other.port}/secret`)}`;
      await expect(p.request(toLocalhost)).rejects.toBeInstanceOf(OutboundUrlRefusedError);
      expect(other.seen.filter((s) => s.path === '/secret')).toHaveLength(0);
    });

    it('follows at most maxRedirects', async () => {
      const p = policy({ allowPrivate: true, maxRedirects: 3 });
      await expect(p.request(`${server.url}/loop`)).rejects.toThrow(/more than 3 redirects/);
    });

    it('drops secret headers when a redirect changes origin, and turns a 303 POST into a GET', async () => {
      const p = policy({ allowPrivate: true });
      const to = encodeURIComponent(`${other.url}/landing`);
      const res = await p.request(`${server.url}/redirect?status=303&to=${to}`, {
        method: 'POST',
        headers: { authorization: 'Bearer secret-1', 'x-api-key': 'secret-2', 'content-type': 'application/json', accept: 'application/json' },
        body: '{}',
      });
      expect(await res.json()).toEqual({ path: '/landing', method: 'GET' });
      const landing = other.seen.find((s) => s.path === '/landing')!;
      expect(landing.headers.authorization).toBeUndefined();
      expect(landing.headers['x-api-key']).toBeUndefined();
      expect(landing.headers.accept).toBe('application/json');
    });

    it('caps the response body', async () => {
      const p = policy({ allowPrivate: true, maxResponseBytes: 4096 });
      // Streamed without a length: the body fails once it passes the cap.
      await expect(p.request(`${server.url}/big`).then((r) => r.text())).rejects.toBeInstanceOf(OutboundResponseTooLargeError);
      // Declared too long: refused before reading.
      await expect(p.request(`${server.url}/big?declared=1`)).rejects.toBeInstanceOf(OutboundResponseTooLargeError);
      const roomy = await p.request(`${server.url}/big`, {}, { maxResponseBytes: 20_000 });
      expect((await roomy.text()).length).toBe(10_000);
    });

    it('node:http transport: refuses IP-literal private hosts before connecting, whatever the body', async () => {
      const p = policy({ allowPrivate: false });
      for (const host of ['127.0.0.1', '[::1]', '10.1.2.3', '169.254.169.254', '[::ffff:127.0.0.1]']) {
        await expect(p.request(`http://${host}:${server.port}/literal`, { method: 'POST', body: '{}' })).rejects.toMatchObject({
          code: 'outbound_url_refused',
          message: expect.stringMatching(/^Outbound request refused: [0-9a-f.:]+ is a private, loopback or link-local address\.$/),
        });
      }
      expect(server.seen.filter((s) => s.path === '/literal')).toHaveLength(0);
    });

    it('node:http transport: a name resolving to 127.0.0.1 is refused in the connection’s lookup, with the same error', async () => {
      const asked: string[] = [];
      const p = policy({ allowPrivate: false, resolver: async (host) => (asked.push(host), host === 'tool.example' ? ['127.0.0.1'] : []) });
      await expect(p.request(`http://tool.example:${server.port}/byname`, { method: 'POST', body: new TextEncoder().encode('{}') })).rejects.toMatchObject({
        code: 'outbound_url_refused',
        message: 'Outbound request refused: tool.example resolves to a private, loopback or link-local address.',
        details: { host: 'tool.example' },
      });
      expect(asked).toEqual(['tool.example']);
      expect(server.seen.filter((s) => s.path === '/byname')).toHaveLength(0);
      // A FormData body goes over undici: the same refusal, unwrapped from undici's `fetch failed`.
      const form = new FormData();
      form.append('a', 'b');
      await expect(p.request(`http://tool.example:${server.port}/byname`, { method: 'POST', body: form })).rejects.toMatchObject({ code: 'outbound_url_refused', details: { host: 'tool.example' } });
      expect(server.seen.filter((s) => s.path === '/byname')).toHaveLength(0);
    });

    it('node:http transport: a redirect hop to a name resolving to loopback or to 169.254.169.254 is refused (POST 307 keeps its body)', async () => {
      const p = policy({ allowPrivate: false, allowHosts: [`127.0.0.1:${server.port}`], resolver: async (host) => (host === 'rebind.example' ? ['127.0.0.1'] : []) });
      for (const to of ['http://169.254.169.254/latest/meta-data/', `http://rebind.example:${other.port}/secret307`]) {
        const url = `${server.url}/redirect?status=307&to=${encodeURIComponent(to)}`;
        await expect(p.request(url, { method: 'POST', body: '{"x":1}' })).rejects.toMatchObject({ code: 'outbound_url_refused', details: { host: new URL(to).hostname } });
      }
      expect(other.seen.filter((s) => s.path === '/secret307')).toHaveLength(0);
    });

    it('node:http transport: keeps connections alive between requests', async () => {
      const p = policy({ allowPrivate: true });
      const before = other.connections();
      for (let i = 0; i < 5; i++) expect(await p.request(`${other.url}/again`, { method: 'POST', body: '{}' }).then((r) => r.json())).toEqual({ path: '/again', method: 'POST' });
      expect(other.connections() - before).toBe(1);
    });

    it('node:http transport: streams the body (read before the server has finished) and aborting mid-body closes the upstream socket', async () => {
      const p = policy({ allowPrivate: true });
      const res = await p.request(`${server.url}/stream`, { headers: { accept: 'text/event-stream' } });
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(Buffer.from(first.value!).toString('utf8')).toBe('data: one\n\n');
      server.release();
      const second = await reader.read();
      expect(Buffer.from(second.value!).toString('utf8')).toBe('data: two\n\n');
      server.release();
      expect(await reader.read()).toMatchObject({ done: true });

      const controller = new AbortController();
      const held = await p.request(`${server.url}/stream`, { signal: controller.signal });
      const heldReader = held.body!.getReader();
      expect(Buffer.from((await heldReader.read()).value!).toString('utf8')).toBe('data: one\n\n');
      const reason = new Error('caller left');
      controller.abort(reason);
      await expect(heldReader.read()).rejects.toBe(reason);
      await server.streamSocketClosed();
    });

    it('node:http transport: a response a server pushes unasked on a kept-alive socket never answers the next request (GHSA-35p6-xmwp-9g52)', async () => {
      // A raw server that answers each request and, after the first, pushes a forged response on the same socket.
      const raw = createNetServer((socket) => {
        let requests = 0;
        socket.on('data', (data) => {
          requests++;
          const body = `real:${data.toString('latin1').split(' ')[1]}`;
          socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nkeep-alive: timeout=30\r\n\r\n${body}`);
          if (requests === 1) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\ninjected');
        });
      });
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
      const p = policy({ allowPrivate: true });
      try {
        expect(await p.request(`${base}/one`).then((r) => r.text())).toBe('real:/one');
        expect(await p.request(`${base}/two`).then((r) => r.text())).toBe('real:/two');
        expect(await p.request(`${base}/three`).then((r) => r.text())).toBe('real:/three');
      } finally {
        await p.close();
        await new Promise((resolve) => raw.close(resolve));
      }
    });

    it('node:http transport: caps the decompressed body, and closes the upstream when it passes the cap', async () => {
      const p = policy({ allowPrivate: true, maxResponseBytes: 64 * 1024 });
      const res = await p.request(`${server.url}/bomb`);
      await expect(res.arrayBuffer()).rejects.toBeInstanceOf(OutboundResponseTooLargeError);
      await server.streamSocketClosed();
    });

    it('honours the caller’s AbortSignal', async () => {
      const p = policy({ allowPrivate: true });
      const controller = new AbortController();
      controller.abort();
      await expect(p.request(`${server.url}/ok`, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    });
  });
});
