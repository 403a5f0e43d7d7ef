import { PassThrough } from 'node:stream';
import { formatLogLine, prettyLogStream } from './pretty-logs';

describe('development log lines', () => {
  const time = Date.UTC(2026, 0, 2, 14, 3, 7);

  it('prints a boot message as one line: time, level, context, message, extra fields', () => {
    const line = formatLogLine(JSON.stringify({ level: 30, time, pid: 1, hostname: 'h', service: 'parley', context: 'Database', msg: 'Migrations applied', count: 3 }));
    expect(line).toBe('14:03:07 INFO  [Database] Migrations applied  count=3');
  });

  it('prints a request as METHOD path status duration, with the request id and assigned fields', () => {
    const line = formatLogLine(
      JSON.stringify({
        level: 30,
        time,
        service: 'parley',
        req: { id: 'req-1', method: 'GET', url: '/api/workflows', headers: { authorization: '[redacted]' } },
        res: { statusCode: 200, headers: {} },
        responseTime: 12.4,
        principalKind: 'user',
        msg: 'request completed',
      }),
    );
    expect(line).toBe('14:03:07 INFO  GET /api/workflows 200 12ms  req=req-1  principalKind=user');
  });

  it('keeps an error stack on the lines after an error', () => {
    const line = formatLogLine(JSON.stringify({ level: 50, time, msg: 'boom', err: { type: 'Error', message: 'bad', stack: 'Error: bad\n    at x' } }));
    expect(line.split('\n')).toEqual(['14:03:07 ERROR boom  err=Error: bad', 'Error: bad', '    at x']);
  });

  it('passes through what is not JSON, and splits chunks into lines', () => {
    expect(formatLogLine('plain text')).toBe('plain text');
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const stream = prettyLogStream(out);
    const a = JSON.stringify({ level: 40, time, msg: 'first' });
    const b = JSON.stringify({ level: 20, time, msg: 'second' });
    stream.write(`${a}\n${b.slice(0, 10)}`);
    stream.write(`${b.slice(10)}\n`);
    expect(text).toBe('14:03:07 WARN  first\n14:03:07 DEBUG second\n');
  });
});
