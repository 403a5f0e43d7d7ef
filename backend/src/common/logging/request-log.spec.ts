import { Logger } from '@nestjs/common';
import pino from 'pino';
import { Writable } from 'node:stream';
import { ContextLogger, REQUEST_LOG, RequestLog, requestLog } from './request-log';

function capture(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('ContextLogger', () => {
  it('writes through the request logger given: its bindings, then the context, the fields and the message', () => {
    const { lines, stream } = capture();
    const child = pino({ base: null, timestamp: false }, stream).child({ req: { id: 'r-1' } });
    const reqLog: RequestLog = { logger: () => child, assign: (fields) => child.setBindings(fields) };
    const logger = new ContextLogger('Runners');
    logger.in(reqLog).warn({ reason: 'down' }, 'Webhook engine request failed');
    logger.in(reqLog).log('plain text');
    logger.in(reqLog).error(new Error('boom'));
    expect(lines[0]).toEqual({ level: 40, req: { id: 'r-1' }, context: 'Runners', reason: 'down', msg: 'Webhook engine request failed' });
    expect(lines[1]).toEqual({ level: 30, req: { id: 'r-1' }, context: 'Runners', msg: 'plain text' });
    expect(lines[2]).toMatchObject({ level: 50, req: { id: 'r-1' }, context: 'Runners', err: { type: 'Error', message: 'boom' } });
  });

  it('is the app logger (Nest’s Logger with its context) without a request', () => {
    const logger = new ContextLogger('Boot');
    expect(logger.in(undefined)).toBe(logger);
    expect(logger).toBeInstanceOf(Logger);
  });
});

describe('requestLog', () => {
  it('reads the request’s logging from a request, and nothing from anything else', () => {
    const log: RequestLog = { logger: () => pino({ enabled: false }), assign: () => undefined };
    expect(requestLog({ [REQUEST_LOG]: log })).toBe(log);
    expect(requestLog({ log })).toBeUndefined();
    expect(requestLog({})).toBeUndefined();
    expect(requestLog(undefined)).toBeUndefined();
    expect(requestLog(null)).toBeUndefined();
  });
});
