import type { Response } from 'express';
import { encodeEvent, SSE_CONTENT_TYPE } from '../../chat-protocol/sse';
import type { ThreadStreamEvent } from '../../chat-protocol/types';

/** Options of `writeEventStream`. */
export interface EventStreamOptions {
  /**
   * Aborted when the stream must stop: the client went away, or the server ends the stream
   * (shutdown, revocation). Writing stops and the producer (given the same signal) finishes.
   */
  signal: AbortSignal;
  /**
   * The `error` event to send last when the server ended the stream (`signal` aborted by the
   * server, not by the client leaving); undefined otherwise.
   */
  endEvent?(): ThreadStreamEvent | undefined;
  /** A silent stream gets a `: keep-alive` comment after this long (checked every quarter of it). */
  keepAliveMs: number;
  /** Called with an error the producer threw after the stream opened (it is reported in-band). */
  onError(error: unknown): void;
  /** Called with every event before it is written. */
  onEvent?(event: ThreadStreamEvent): void;
}

/** How a stream ended, for metrics. */
export type StreamOutcome = 'ok' | 'stream_error' | 'cancelled' | 'ended_by_server';

const KEEP_ALIVE = ': keep-alive\n\n';
/** What the client sees when the server fails mid-stream, like the reference's generic error. */
const STREAM_FAILED = { type: 'error', code: 'stream.error', allow_retry: true } as const;

/** One open SSE response: what the writer and the shared keep-alive tick need of it. */
class SseResponse {
  /** When something was last written (ms since the epoch). */
  lastWrite = Date.now();
  private corked = false;
  private headFlattened = false;

  constructor(readonly res: Response) {}

  get closed(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  /** Writes `chunk`; false when the socket wants a `drain` first. */
  send(chunk: string): boolean {
    if (this.closed) return true;
    if (!this.corked) {
      this.corked = true;
      this.res.cork();
      setImmediate(uncork, this);
    }
    this.lastWrite = Date.now();
    const ok = this.res.write(chunk);
    if (!this.headFlattened) {
      this.headFlattened = true;
      flattenHead(this.res);
    }
    return ok;
  }

  uncork(): void {
    this.corked = false;
    if (!this.closed) this.res.uncork();
  }
}

/**
 * Node keeps the response head it wrote (`_header`) for the response's whole life, as V8 built it: one
 * concatenation per header line, a tree of ~100 small strings (~2.7 KB). Reading a character makes V8 flatten it in
 * place into one string of its length (~0.5 KB), which is what an open stream then holds (docs/performance.md, idle
 * open streams). Nothing is changed: the text is the same; a Node without `_header` is left alone.
 */
function flattenHead(res: Response): void {
  const head = (res as unknown as { _header?: unknown })._header;
  if (typeof head === 'string') head.charCodeAt(0);
}

function uncork(stream: SseResponse): void {
  stream.uncork();
}

/**
 * The keep-alive comments of every open stream with the same silence limit: one interval for all of
 * them (not a timer per stream), ticking every quarter of the limit, so a silent stream gets its
 * comment after 1 to 1.25 times the limit. The interval runs only while streams are open and never
 * keeps the process alive.
 */
class KeepAliveTicker {
  private readonly streams = new Set<SseResponse>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly limitMs: number) {}

  add(stream: SseResponse): void {
    this.streams.add(stream);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), Math.max(1, Math.floor(this.limitMs / 4)));
      this.timer.unref();
    }
  }

  delete(stream: SseResponse): void {
    this.streams.delete(stream);
    if (this.streams.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  get size(): number {
    return this.streams.size;
  }

  private tick(): void {
    const silentSince = Date.now() - this.limitMs;
    for (const stream of this.streams) if (stream.lastWrite <= silentSince && !stream.closed) stream.send(KEEP_ALIVE);
  }
}

const tickers = new Map<number, KeepAliveTicker>();

function keepAliveTicker(limitMs: number): KeepAliveTicker {
  let ticker = tickers.get(limitMs);
  if (!ticker) tickers.set(limitMs, (ticker = new KeepAliveTicker(limitMs)));
  return ticker;
}

/** Streams that the shared keep-alive ticks currently watch (for tests). */
export function keepAliveWatched(): number {
  let n = 0;
  for (const ticker of tickers.values()) n += ticker.size;
  return n;
}

/**
 * Streams `events` as ChatKit SSE: `data: <compact JSON>\n\n` frames, with back-pressure, a
 * keep-alive comment after `keepAliveMs` of silence, and an in-band `error` event if the producer
 * fails once the stream is open.
 *
 * Flushing: nothing is held back waiting for more data (no compression on this route, Nagle off).
 * Frames produced in the same turn of the event loop (a runner yielding several events without
 * I/O in between) leave in one socket write: the socket is corked on the first frame of a turn
 * and uncorked when the turn ends (`setImmediate`), which costs no latency and saves syscalls.
 *
 * Memory: an idle stream holds one small object here (watched by a shared keep-alive interval),
 * and no signal or timer of its own.
 */
export async function writeEventStream(res: Response, events: AsyncIterable<ThreadStreamEvent>, options: EventStreamOptions): Promise<StreamOutcome> {
  res.status(200);
  res.setHeader('Content-Type', SSE_CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('X-Accel-Buffering', 'no');

  const stream = new SseResponse(res);
  const ticker = keepAliveTicker(options.keepAliveMs);
  ticker.add(stream);

  let outcome: StreamOutcome = 'ok';
  const { signal } = options;
  try {
    for await (const event of events) {
      if (signal.aborted) break;
      options.onEvent?.(event);
      if (event.type === 'error') outcome = 'stream_error';
      if (!stream.send(encodeEvent(event))) await drained(res, signal);
    }
  } catch (error) {
    options.onError(error);
    outcome = 'stream_error';
    if (!signal.aborted) stream.send(encodeEvent(STREAM_FAILED));
  } finally {
    ticker.delete(stream);
    if (signal.aborted) {
      const last = options.endEvent?.();
      if (last) {
        // The producer has stopped (and kept the partial answer); the client learns why, last.
        outcome = 'ended_by_server';
        stream.send(encodeEvent(last));
      } else outcome = 'cancelled';
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
