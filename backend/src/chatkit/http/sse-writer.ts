import type { Response } from 'express';
import { encodeEvent, SSE_CONTENT_TYPE } from '../../chat-protocol/sse';
import type { ThreadStreamEvent } from '../../chat-protocol/types';

/** Options of `writeEventStream`. */
export interface EventStreamOptions {
  /** Aborted when the client goes away; writing stops and the producer is told to finish. */
  signal: AbortSignal;
  /** A silent stream gets a `: keep-alive` comment after this long. */
  keepAliveMs: number;
  /** Called with an error the producer threw after the stream opened (it is reported in-band). */
  onError(error: unknown): void;
  /**
   * Aborted when the server ends the stream (shutdown, revocation) with `reason` = the `error`
   * event to send last. The producer must be given a signal that aborts with this one too.
   */
  endSignal?: AbortSignal;
  /** Called with every event before it is written. */
  onEvent?(event: ThreadStreamEvent): void;
}

/** How a stream ended, for metrics. */
export type StreamOutcome = 'ok' | 'stream_error' | 'cancelled' | 'ended_by_server';

const KEEP_ALIVE = ': keep-alive\n\n';
/** What the client sees when the server fails mid-stream, like the reference's generic error. */
const STREAM_FAILED = { type: 'error', code: 'stream.error', allow_retry: true } as const;

/**
 * Streams `events` as ChatKit SSE: `data: <compact JSON>\n\n` frames, with back-pressure, a
 * keep-alive comment after `keepAliveMs` of silence, and an in-band `error` event if the producer
 * fails once the stream is open.
 *
 * Flushing: nothing is held back waiting for more data (no compression on this route, Nagle off).
 * Frames produced in the same turn of the event loop (a runner yielding several events without
 * I/O in between) leave in one socket write: the socket is corked on the first frame of a turn
 * and uncorked when the turn ends (`setImmediate`), which costs no latency and saves syscalls.
 */
export async function writeEventStream(res: Response, events: AsyncIterable<ThreadStreamEvent>, options: EventStreamOptions): Promise<StreamOutcome> {
  res.status(200);
  res.setHeader('Content-Type', SSE_CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('X-Accel-Buffering', 'no');

  let corked = false;
  const uncork = (): void => {
    corked = false;
    if (!res.writableEnded && !res.destroyed) res.uncork();
  };
  const send = (chunk: string): boolean => {
    if (res.writableEnded || res.destroyed) return true;
    if (!corked) {
      corked = true;
      res.cork();
      setImmediate(uncork);
    }
    lastWrite = Date.now();
    return res.write(chunk);
  };

  let lastWrite = Date.now();
  // Writes only stamp `lastWrite`; the timer re-arms itself for the silence still missing, so
  // there is no timer churn per event.
  let keepAlive: NodeJS.Timeout | undefined;
  const schedule = (ms: number): void => {
    keepAlive = setTimeout(() => {
      if (res.writableEnded || res.destroyed) return;
      const silentFor = Date.now() - lastWrite;
      if (silentFor >= options.keepAliveMs) {
        send(KEEP_ALIVE);
        schedule(options.keepAliveMs);
      } else schedule(options.keepAliveMs - silentFor);
    }, ms);
    keepAlive.unref();
  };
  schedule(options.keepAliveMs);

  let outcome: StreamOutcome = 'ok';
  const endSignal = options.endSignal;
  const stop = endSignal ? AbortSignal.any([options.signal, endSignal]) : options.signal;
  try {
    for await (const event of events) {
      if (options.signal.aborted || endSignal?.aborted) break;
      options.onEvent?.(event);
      if (event.type === 'error') outcome = 'stream_error';
      if (!send(encodeEvent(event))) await drained(res, stop);
    }
  } catch (error) {
    options.onError(error);
    outcome = 'stream_error';
    if (!options.signal.aborted && !endSignal?.aborted) send(encodeEvent(STREAM_FAILED));
  } finally {
    clearTimeout(keepAlive);
    if (options.signal.aborted) outcome = 'cancelled';
    else if (endSignal?.aborted) {
      // The producer has stopped (and kept the partial answer); the client learns why, last.
      outcome = 'ended_by_server';
      send(encodeEvent(endSignal.reason as ThreadStreamEvent));
    }
    // `end()` flushes what is still corked together with the final chunk, in one write.
    if (!res.writableEnded) res.end();
  }
  return outcome;
}

/** Resolves when the socket can take more, or the client is gone. */
function drained(res: Response, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  // Corked data only reaches the socket when uncorked: never wait for a drain that cannot come.
  res.uncork();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
