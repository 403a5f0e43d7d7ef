import express = require('express');
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ThreadStreamEvent } from '../../chat-protocol/types';
import { keepAliveWatched, startEventStream, StreamOutcome, writeEventStream } from './sse-writer';

const notice = (message: string): ThreadStreamEvent => ({ type: 'notice', level: 'info', message });
const ENDED: ThreadStreamEvent = { type: 'error', code: 'custom', message: 'ended by the server', allow_retry: false };

/** A real Express server whose one route streams what `produce` yields through writeEventStream. */
async function serve(
  produce: (signal: AbortSignal) => AsyncIterable<ThreadStreamEvent>,
  options: { keepAliveMs: number; endEvent?: () => ThreadStreamEvent | undefined; stop?: AbortController },
): Promise<{ url: string; outcome: Promise<StreamOutcome>; close: () => Promise<void> }> {
  let settle!: (outcome: StreamOutcome) => void;
  const outcome = new Promise<StreamOutcome>((resolve) => (settle = resolve));
  const app = express();
  app.post('/', (_req, res) => {
    const stop = options.stop ?? new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) stop.abort();
    });
    void writeEventStream(res, produce(stop.signal), { signal: stop.signal, endEvent: options.endEvent, keepAliveMs: options.keepAliveMs, onError: () => undefined }).then(settle);
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url, outcome, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Opens the stream; `onText` sees the body received so far after every chunk. */
function open(url: string, onText: (text: string, req: http.ClientRequest) => void = () => undefined): Promise<string> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        onText(text, req);
      });
      res.on('end', () => resolve(text));
      res.on('error', () => resolve(text));
    });
    req.on('error', () => resolve(''));
    req.end();
  });
}

/** Resolves once `signal` aborts. */
const aborted = (signal: AbortSignal): Promise<void> => new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));

describe('writeEventStream', () => {
  it('sends `: keep-alive` while the producer is silent, from one shared interval that forgets the stream when it ends', async () => {
    let sawKeepAlive!: () => void;
    const keptAlive = new Promise<void>((resolve) => (sawKeepAlive = resolve));
    const server = await serve(
      async function* () {
        yield notice('first');
        await keptAlive;
        yield notice('last');
      },
      { keepAliveMs: 40 },
    );
    const text = await open(server.url, (received) => {
      if (received.includes(': keep-alive\n\n')) sawKeepAlive();
    });
    expect(await server.outcome).toBe('ok');
    const frames = text.split('\n\n').filter(Boolean);
    expect(frames[0]).toBe(`data: ${JSON.stringify(notice('first'))}`);
    expect(frames).toContain(': keep-alive');
    expect(frames[frames.length - 1]).toBe(`data: ${JSON.stringify(notice('last'))}`);
    expect(keepAliveWatched()).toBe(0);
    await server.close();
  });

  it('ends a stream the server stopped with its end event, last', async () => {
    const stop = new AbortController();
    let endEvent: ThreadStreamEvent | undefined;
    const server = await serve(
      async function* (signal) {
        yield notice('partial');
        await aborted(signal);
      },
      { keepAliveMs: 60_000, stop, endEvent: () => endEvent },
    );
    const text = await open(server.url, (received) => {
      if (received.includes('partial') && !stop.signal.aborted) {
        endEvent = ENDED;
        stop.abort(ENDED);
      }
    });
    expect(await server.outcome).toBe('ended_by_server');
    const frames = text.split('\n\n').filter(Boolean);
    expect(frames).toEqual([`data: ${JSON.stringify(notice('partial'))}`, `data: ${JSON.stringify(ENDED)}`]);
    expect(keepAliveWatched()).toBe(0);
    await server.close();
  });

  it('stops quietly when the client leaves (cancelled, no end event)', async () => {
    let producerStopped = false;
    const server = await serve(
      async function* (signal) {
        yield notice('hello');
        await aborted(signal);
        producerStopped = true;
      },
      { keepAliveMs: 60_000, endEvent: () => undefined },
    );
    await open(server.url, (received, req) => {
      if (received.includes('hello')) req.destroy();
    });
    expect(await server.outcome).toBe('cancelled');
    expect(producerStopped).toBe(true);
    expect(keepAliveWatched()).toBe(0);
    await server.close();
  });

  it('reports a producer that fails after the stream opened, and tells the client in-band (stream_error)', async () => {
    const server = await serve(
      async function* () {
        yield notice('before');
        throw new Error('producer failed');
      },
      { keepAliveMs: 60_000 },
    );
    const body = await open(server.url);
    expect(body).toBe('data: {"type":"notice","level":"info","message":"before"}\n\ndata: {"type":"error","code":"stream.error","allow_retry":true}\n\n');
    expect(await server.outcome).toBe('stream_error');
    expect(keepAliveWatched()).toBe(0);
    await server.close();
  });

  it('startEventStream returns at once; onEnd hears the outcome once, after the producer closed and before the response ends', async () => {
    const order: string[] = [];
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    const app = express();
    app.post('/', (_req, res) => {
      const stop = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) stop.abort();
      });
      res.on('finish', () => {
        order.push('finished');
        ended();
      });
      startEventStream(
        res,
        (async function* () {
          try {
            yield notice('one');
            yield notice('two');
          } finally {
            order.push('producer closed');
          }
        })(),
        { signal: stop.signal, keepAliveMs: 60_000, onError: () => order.push('error'), onEnd: (outcome) => order.push(`end ${outcome}`) },
      );
      order.push('returned');
    });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const body = await open(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await done;
    expect(body.match(/"message":"(one|two)"/g)).toEqual(['"message":"one"', '"message":"two"']);
    expect(order).toEqual(['returned', 'producer closed', 'end ok', 'finished']);
    await new Promise((resolve) => server.close(resolve));
  });
});
