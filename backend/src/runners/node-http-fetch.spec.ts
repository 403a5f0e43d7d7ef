import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { nodeHttpFetch } from './node-http-fetch';

/** A loopback server; `handle` answers each request. */
async function serve(handle: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const readBody = (req: http.IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
  });

describe('nodeHttpFetch', () => {
  const fetchOverHttp = nodeHttpFetch(() => Promise.reject(new Error('fallback used')));

  it('sends the method, headers and body, and streams the answer as a Response', async () => {
    let seen: { method?: string; host?: string; auth?: string; type?: string; length?: string; body?: string } = {};
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const server = await serve(async (req, res) => {
      seen = { method: req.method, host: req.headers.host, auth: req.headers.authorization, type: req.headers['content-type'], length: req.headers['content-length'], body: await readBody(req) };
      res.writeHead(201, { 'content-type': 'text/event-stream', 'x-request-id': 'req_1' });
      res.write('data: one\n\n');
      await released;
      res.end('data: two\n\n');
    });
    const response = await fetchOverHttp(`${server.url}/v1/chat/completions`, {
      method: 'post',
      headers: new Headers({ Authorization: 'Bearer k', 'Content-Type': 'application/json' }),
      body: '{"stream":true}',
    });
    expect(seen).toEqual({ method: 'POST', host: new URL(server.url).host, auth: 'Bearer k', type: 'application/json', length: '15', body: '{"stream":true}' });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-request-id')).toBe('req_1');
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString('utf8')).toBe('data: one\n\n');
    release();
    let rest = '';
    for (let step = await reader.read(); !step.done; step = await reader.read()) rest += Buffer.from(step.value).toString('utf8');
    expect(rest).toBe('data: two\n\n');
    await server.close();
  });

  it('rejects with the abort reason when the signal aborts while waiting, and closes the connection', async () => {
    let closed!: () => void;
    const serverSawClose = new Promise<void>((resolve) => (closed = resolve));
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    const server = await serve((req) => {
      req.socket.on('close', () => closed());
      arrived();
    });
    const controller = new AbortController();
    const pending = fetchOverHttp(`${server.url}/hold`, { method: 'POST', body: '{}', signal: controller.signal });
    await requestArrived;
    const reason = new Error('client left');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await serverSawClose;
    await server.close();
  });

  it('fails like fetch when nothing listens: TypeError("fetch failed") with the cause', async () => {
    const server = await serve(() => undefined);
    const url = server.url;
    await server.close();
    const failure = await fetchOverHttp(`${url}/x`).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as TypeError).message).toBe('fetch failed');
    expect(((failure as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('decompresses a gzip body', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(zlib.gzipSync('{"ok":true}'));
    });
    const response = await fetchOverHttp(`${server.url}/json`);
    expect(await response.json()).toEqual({ ok: true });
    await server.close();
  });

  it('hands bodies it does not stream itself (multipart FormData) to the fallback', async () => {
    const calls: unknown[] = [];
    const withFallback = nodeHttpFetch((input) => {
      calls.push(input);
      return Promise.resolve(new Response('from fallback'));
    });
    const form = new FormData();
    form.append('model', 'whisper-1');
    const response = await withFallback('http://127.0.0.1:9/v1/audio/transcriptions', { method: 'POST', body: form });
    expect(await response.text()).toBe('from fallback');
    expect(calls).toEqual(['http://127.0.0.1:9/v1/audio/transcriptions']);
  });
});
