import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ContextLogger, requestLog } from '../common/logging/request-log';
import { assignLogFields } from './log-fields';
import { redactHeaders } from './log-scrub';
import { requestLogging, serializeRequest, serializeResponse } from './request-logging';

/** A real node:http server behind the middleware; `handle` answers each request. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const root = pino({ base: { service: 'parley' }, timestamp: false, serializers: { req: serializeRequest(redactHeaders), res: serializeResponse(redactHeaders) } }, stream);
  const middleware = requestLogging(root);
  const server = createServer((req, res) => middleware(Object.assign(req, { id: req.headers['x-request-id'] as string }), res, () => handle(req, res)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lines };
}

const close = (server: Server) => new Promise((resolve) => server.close(resolve));
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('request logging', () => {
  it('writes one completed line: the request, its assigned fields, the response, in that order; no query string or credentials', async () => {
    const { server, url, lines } = await serve((req, res) => {
      assignLogFields(req, { workflowId: 'wf-1', threadId: undefined });
      assignLogFields(req, { authMode: 'chat' });
      res.setHeader('Set-Cookie', 'secret=1');
      res.end('ok');
    });
    await fetch(`${url}/api/x?page=2&sort=name`, { headers: { 'x-request-id': 'r-1', authorization: 'Bearer secret' } });
    await settle();
    await close(server);
    expect(lines).toHaveLength(1);
    expect(Object.keys(lines[0])).toEqual(['level', 'service', 'req', 'workflowId', 'authMode', 'res', 'responseTime', 'msg']);
    expect(lines[0]).toMatchObject({
      level: 30,
      req: { id: 'r-1', method: 'GET', url: '/api/x', headers: { authorization: '[redacted]' } },
      workflowId: 'wf-1',
      authMode: 'chat',
      res: { statusCode: 200, headers: { 'set-cookie': '[redacted]' } },
      msg: 'request completed',
    });
    expect(JSON.stringify(lines)).not.toContain('secret');
  });

  it('binds the request and the fields assigned before and after on the lines code writes during the request', async () => {
    const logger = new ContextLogger('Test');
    const { server, url, lines } = await serve((req, res) => {
      assignLogFields(req, { workflowId: 'wf-2' });
      logger.in(requestLog(req)).warn({ reason: 'x' }, 'first');
      assignLogFields(req, { threadId: 'thr-2' });
      logger.in(requestLog(req)).log('second');
      res.end();
    });
    await fetch(`${url}/a`, { headers: { 'x-request-id': 'r-2' } });
    await settle();
    await close(server);
    expect(lines.map((l) => [l.msg, (l.req as { id: string }).id, l.workflowId, l.threadId ?? null, l.context ?? null])).toEqual([
      ['first', 'r-2', 'wf-2', null, 'Test'],
      ['second', 'r-2', 'wf-2', 'thr-2', 'Test'],
      ['request completed', 'r-2', 'wf-2', 'thr-2', null],
    ]);
  });

  it('reports a 5xx as request errored, a client gone before the answer with no status, and nothing for probes', async () => {
    let arrived: () => void = () => undefined;
    const hangArrived = new Promise<void>((resolve) => (arrived = resolve));
    const { server, url, lines } = await serve((req, res) => {
      if (req.url === '/hang') arrived();
      else if (req.url === '/fail') {
        res.statusCode = 503;
        res.end();
      } else if (req.url === '/healthz') res.end();
    });
    await fetch(`${url}/fail`, { headers: { 'x-request-id': 'r-3' } });
    await fetch(`${url}/healthz`, { headers: { 'x-request-id': 'r-4' } });
    const gone = new AbortController();
    const hanging = fetch(`${url}/hang`, { headers: { 'x-request-id': 'r-5' }, signal: gone.signal }).catch(() => undefined);
    await hangArrived;
    gone.abort();
    await hanging;
    for (let i = 0; i < 100 && lines.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    await close(server);
    expect(lines.map((l) => [(l.req as { id: string }).id, l.msg, (l.res as { statusCode: number | null }).statusCode])).toEqual([
      ['r-3', 'request errored', 503],
      ['r-5', 'request completed', null],
    ]);
    expect(lines[0].err).toMatchObject({ message: 'failed with status code 503' });
  });
});
