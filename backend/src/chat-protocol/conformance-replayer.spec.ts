import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bindings, matchValue, parseSse, replayVectors, substituteRequest } from '../../test/chat-protocol/conformance/replayer';

/** Self-tests of the conformance replayer: a matcher that cannot fail proves nothing. */

function problemsOf(expected: unknown, actual: unknown, bindings = new Bindings()): string[] {
  const problems: string[] = [];
  matchValue(expected, actual, 'body', bindings, problems);
  return problems;
}

describe('replayer matcher', () => {
  it('accepts an exact match, ignoring key order', () => {
    expect(problemsOf({ a: 1, b: [true, 'x'], c: { d: null } }, { c: { d: null }, b: [true, 'x'], a: 1 })).toEqual([]);
  });

  it('fails on an extra key', () => {
    expect(problemsOf({ a: 1 }, { a: 1, b: 2 })).toEqual(['body.b: unexpected key (value 2)']);
  });

  it('fails on a missing key', () => {
    expect(problemsOf({ a: 1, b: 2 }, { a: 1 })).toEqual(['body.b: missing (expected 2)']);
  });

  it('distinguishes null from omitted, both ways', () => {
    // The reference omits unset fields: a server sending `title: null` fails...
    expect(problemsOf({ id: 't' }, { id: 't', title: null })).toEqual(['body.title: unexpected key (value null)']);
    // ...and an expected null is a present key.
    expect(problemsOf({ output: null }, {})).toEqual(['body.output: missing (expected null)']);
    expect(problemsOf({ output: null }, { output: null })).toEqual([]);
  });

  it('compares scalars strictly and arrays by length and order', () => {
    expect(problemsOf({ n: 1 }, { n: '1' })).toEqual(['body.n: expected 1, got "1"']);
    expect(problemsOf(['a', 'b'], ['b', 'a'])).toHaveLength(2);
    expect(problemsOf(['a'], ['a', 'b'])).toEqual(['body: expected 1 elements, got 2']);
    expect(problemsOf({ a: {} }, { a: [] })).toEqual(['body.a: expected an object, got []']);
  });

  it('binds $id labels on first use and insists on the same value later', () => {
    const bindings = new Bindings();
    expect(problemsOf({ id: '$id:thread1' }, { id: 'thr_a' }, bindings)).toEqual([]);
    expect(problemsOf({ thread_id: '$id:thread1' }, { thread_id: 'thr_a' }, bindings)).toEqual([]);
    expect(problemsOf({ thread_id: '$id:thread1' }, { thread_id: 'thr_b' }, bindings)).toEqual([
      'body.thread_id: $id:thread1 is bound to "thr_a", got "thr_b"',
    ]);
  });

  it('requires different labels to bind different values, and ids to be non-empty strings', () => {
    const bindings = new Bindings();
    expect(problemsOf({ a: '$id:user1', b: '$id:asst1' }, { a: 'msg_1', b: 'msg_1' }, bindings)).toEqual([
      'body.b: $id:asst1 would bind "msg_1", already bound to $id:user1 (labels must bind distinct values)',
    ]);
    expect(problemsOf({ a: '$id:x' }, { a: '' })).toHaveLength(1);
    expect(problemsOf({ a: '$id:x' }, { a: 7 })).toHaveLength(1);
  });

  it.each(['2026-01-02T03:04:05.123456', '2026-01-02T03:04:05.123Z', '2026-01-02T03:04:05+02:00', '2026-01-02T03:04:05Z'])(
    '$timestamp accepts %s',
    (value) => expect(problemsOf('$timestamp', value)).toEqual([]),
  );

  it.each(['yesterday', '2026-13-02T03:04:05Z', '2026-01-02 03:04:05', '2026-01-02', 1767323045])('$timestamp rejects %j', (value) => {
    expect(problemsOf('$timestamp', value)).toHaveLength(1);
  });

  it('implements $string, $any?, $oneof and $$ escaping', () => {
    expect(problemsOf({ m: '$string' }, { m: '' })).toEqual([]);
    expect(problemsOf({ m: '$string' }, { m: 3 })).toHaveLength(1);
    expect(problemsOf({ m: '$string' }, {})).toHaveLength(1);
    expect(problemsOf({ d: '$any?' }, {})).toEqual([]);
    expect(problemsOf({ d: '$any?' }, { d: { fields: {} } })).toEqual([]);
    expect(problemsOf({ c: '$oneof:invalid_json|invalid_request' }, { c: 'invalid_json' })).toEqual([]);
    expect(problemsOf({ c: '$oneof:invalid_json|invalid_request' }, { c: 'not_found' })).toHaveLength(1);
    expect(problemsOf({ p: '$$5' }, { p: '$5' })).toEqual([]);
    expect(problemsOf({ p: '$$5' }, { p: '$$5' })).toHaveLength(1);
    expect(problemsOf({ p: '$bogus' }, { p: '$bogus' })).toEqual(['body.p: unknown placeholder "$bogus" in the vector (literal "$" strings are written "$$")']);
  });

  describe('$tpl', () => {
    const template = '$tpl:{$origin?}/api/chatkit/uploads/{$id:att1}';

    it.each(['/api/chatkit/uploads/atc_1', 'http://127.0.0.1:3000/api/chatkit/uploads/atc_1', 'https://parley.example/api/chatkit/uploads/atc_1'])(
      'accepts %s and binds the id',
      (url) => {
        const bindings = new Bindings();
        expect(problemsOf(template, url, bindings)).toEqual([]);
        expect(bindings.get('att1')).toBe('atc_1');
      },
    );

    it.each([
      '/api/chatkit/uploads/',
      '/api/chatkit/uploads/a/b',
      '/api/chatkit/uploads/a?x',
      '/other/uploads/atc_1',
      'ftp//host/api/chatkit/uploads/atc_1',
      'http://host/x/api/chatkit/uploads/atc_1',
    ])('rejects %s', (url) => expect(problemsOf(template, url)).toHaveLength(1));

    it('uses an already bound id literally', () => {
      const bindings = new Bindings();
      problemsOf('$id:att1', 'atc_1', bindings);
      expect(problemsOf(template, '/api/chatkit/uploads/atc_1', bindings)).toEqual([]);
      expect(problemsOf(template, '/api/chatkit/uploads/atc_2', bindings)).toHaveLength(1);
    });

    it('binds a template id that must then match plain $id occurrences', () => {
      const bindings = new Bindings();
      problemsOf(template, '/api/chatkit/uploads/atc_1', bindings);
      expect(problemsOf('$id:att1', 'atc_9', bindings)).toHaveLength(1);
    });
  });

  it('substitutes bound ids into requests and refuses unbound labels', () => {
    const bindings = new Bindings();
    bindings.check('thread1', 'thr_a', 'x', []);
    const problems: string[] = [];
    expect(substituteRequest({ params: { thread_id: '$id:thread1', ids: ['$id:thread1'], lit: '$$id' } }, bindings, 'request', problems)).toEqual({
      params: { thread_id: 'thr_a', ids: ['thr_a'], lit: '$id' },
    });
    expect(problems).toEqual([]);
    substituteRequest({ item_id: '$id:nope' }, bindings, 'request', problems);
    expect(problems).toEqual(['request.item_id: $id:nope is not bound by an earlier response']);
  });
});

describe('replayer SSE parsing', () => {
  it('parses data frames, joining multi-line data, ignoring comments, id, retry; any line ending', () => {
    const text = ': keep-alive\n\ndata: {"a":1}\n\nid: 7\nretry: 10\ndata: {"b":\ndata: 2}\r\n\r\ndata:{"c":3}\r\r';
    expect(parseSse(text)).toEqual({ events: [{ a: 1 }, { b: 2 }, { c: 3 }], problems: [] });
  });

  it('accepts an empty stream', () => {
    expect(parseSse('')).toEqual({ events: [], problems: [] });
  });

  it('fails on an event: field', () => {
    expect(parseSse('event: message\ndata: {"a":1}\n\n').problems).toEqual([expect.stringContaining('"event:" field')]);
  });

  it('fails on an unterminated frame or a trailing partial line', () => {
    expect(parseSse('data: {"a":1}\n\ndata: {"b":2}\n').problems).toEqual([expect.stringContaining('not terminated')]);
    expect(parseSse('data: {"a":1}\n\ndata: {"b":2}').problems).toEqual([expect.stringContaining('not terminated')]);
  });

  it('fails on data that is not one JSON object', () => {
    expect(parseSse('data: [DONE]\n\n').problems).toEqual([expect.stringContaining('not JSON')]);
    expect(parseSse('data: [1]\n\n').problems).toEqual([expect.stringContaining('not a JSON object')]);
  });
});

describe('replayVectors against a scripted server', () => {
  type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
  let server: Server;
  let origin: string;
  let handler: Handler;
  let dir: string;
  const received: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        received.push(body);
        handler(req, body, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chatkit-vectors-'));
    received.length = 0;
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function writeVector(name: string, steps: unknown[]): void {
    writeFileSync(join(dir, `${name}.json`), JSON.stringify({ format: 'chatkit-conformance-vector/1', name, steps }));
  }

  const streamStep = {
    request: { type: 'threads.create', params: {} },
    response: { status: 200, content_type: 'text/event-stream', events: [{ type: 'thread.created', thread: { id: '$id:thread1' } }] },
  };
  const jsonStep = {
    request: { type: 'threads.get_by_id', params: { thread_id: '$id:thread1' } },
    response: { status: 200, content_type: 'application/json', body: { id: '$id:thread1' } },
  };

  async function run(): Promise<{ lines: string[]; failed: number; passed: number }> {
    const lines: string[] = [];
    const report = await replayVectors({ baseUrl: origin, vectorsDir: dir, headers: { 'x-principal': 'p' }, log: (line) => lines.push(line) });
    return { lines, failed: report.failed, passed: report.passed };
  }

  it('passes a conforming exchange and sends bound ids in later requests', async () => {
    writeVector('good', [streamStep, jsonStep]);
    handler = (_req, body, res) => {
      if (body.includes('threads.create')) {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
        res.end('data: {"type":"thread.created","thread":{"id":"thr_9"}}\n\n');
      } else {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end('{"id":"thr_9"}');
      }
    };
    expect(await run()).toEqual({ lines: ['PASS good'], failed: 0, passed: 1 });
    expect(JSON.parse(received[1])).toEqual({ type: 'threads.get_by_id', params: { thread_id: 'thr_9' } });
  });

  it.each([
    ['an event: line', 'event: message\ndata: {"type":"thread.created","thread":{"id":"t"}}\n\n', '"event:" field'],
    ['an unterminated frame', 'data: {"type":"thread.created","thread":{"id":"t"}}\n', 'not terminated'],
    ['an extra event', 'data: {"type":"thread.created","thread":{"id":"t"}}\n\ndata: {"type":"stream_options"}\n\n', 'expected 1 events'],
    ['a null field', 'data: {"type":"thread.created","thread":{"id":"t","title":null}}\n\n', 'events[0].thread.title: unexpected key'],
  ])('fails a stream with %s', async (_name, payload, problem) => {
    writeVector('bad_stream', [streamStep]);
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(payload);
    };
    const result = await run();
    expect(result.failed).toBe(1);
    expect(result.lines[0]).toBe('FAIL bad_stream');
    expect(result.lines.join('\n')).toContain(problem);
  });

  it('fails when the connection aborts mid-stream', async () => {
    writeVector('aborted', [streamStep]);
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"type":"thread.created","thread":{"id":"t"}}\n\n');
      setTimeout(() => res.destroy(), 20);
    };
    const result = await run();
    expect(result.lines[0]).toBe('FAIL aborted');
    expect(result.lines.join('\n')).toContain('connection aborted');
  });

  it('fails on a wrong status or media type, and stops the vector at the first failing step', async () => {
    writeVector('wrong_type', [streamStep, jsonStep]);
    handler = (_req, _body, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"statusCode":404,"code":"not_found"}');
    };
    const result = await run();
    expect(result.lines.join('\n')).toContain('status: expected 200, got 404');
    expect(result.lines.join('\n')).toContain('content-type: expected text/event-stream, got application/json');
    expect(received).toHaveLength(1);
  });
});
