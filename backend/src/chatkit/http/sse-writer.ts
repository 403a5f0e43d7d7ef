import type { Response } from 'express';
import { encodeEvent, SSE_CONTENT_TYPE } from '../../chat-protocol/sse';
import type { ThreadStreamEvent } from '../../chat-protocol/types';
import { offAbort, onAbort } from '../../chat-protocol/stop-signal';

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

/** Options of `startEventStream`: those of `writeEventStream`, and who hears how the stream ended. */
export interface EventPumpOptions extends EventStreamOptions {
  /** Called once, with the outcome, just before the response is ended. */
  onEnd(outcome: StreamOutcome): void;
}

/**
 * Streams `events` as ChatKit SSE: `data: <compact JSON>\n\n` frames, with back-pressure, a
 * keep-alive comment after `keepAliveMs` of silence, and an in-band `error` event if the producer
 * fails once the stream is open. Resolves with the outcome once the response is ended.
 *
 * Flushing: nothing is held back waiting for more data (no compression on this route, Nagle off).
 * Frames produced in the same turn of the event loop (a runner yielding several events without
 * I/O in between) leave in one socket write: the socket is corked on the first frame of a turn
 * and uncorked when the turn ends (`setImmediate`), which costs no latency and saves syscalls.
 */
export function writeEventStream(res: Response, events: AsyncIterable<ThreadStreamEvent>, options: EventStreamOptions): Promise<StreamOutcome> {
  return new Promise((resolve) => startEventStream(res, events, { ...options, onEnd: resolve }));
}

/**
 * `writeEventStream` without a promise to wait on: the stream runs on its own and `options.onEnd` hears the
 * outcome. What the ChatKit service uses, so that no async frame (its own, the controller's, Nest's router's)
 * waits for a stream's whole life.
 *
 * Memory: an idle stream holds one small object here (the pump, watched by a shared keep-alive interval, with
 * its three step callbacks), and no signal, timer or suspended frame of its own.
 */
export function startEventStream(res: Response, events: AsyncIterable<ThreadStreamEvent>, options: EventPumpOptions): void {
  res.status(200);
  res.setHeader('Content-Type', SSE_CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('X-Accel-Buffering', 'no');
  new EventPump(res, events, options).pull();
}

/**
 * One open SSE response, and the loop that pulls `events` into it — what `for await` over the events did (the
 * iterator's `return()` awaited when the loop stops early, not after the producer threw), as callbacks on one
 * object instead of a suspended async frame.
 */
class EventPump extends SseResponse {
  private readonly iterator: AsyncIterator<ThreadStreamEvent>;
  private readonly ticker: KeepAliveTicker;
  private outcome: StreamOutcome = 'ok';

  constructor(
    res: Response,
    events: AsyncIterable<ThreadStreamEvent>,
    private readonly options: EventPumpOptions,
  ) {
    super(res);
    this.ticker = keepAliveTicker(options.keepAliveMs);
    this.ticker.add(this);
    this.iterator = events[Symbol.asyncIterator]();
  }

  /** Asks the producer for its next event. */
  pull(): void {
    let step: Promise<IteratorResult<ThreadStreamEvent>>;
    try {
      step = this.iterator.next();
    } catch (error) {
      this.failed(error);
      return;
    }
    step.then(this.onStep, this.onProducerError);
  }

  private readonly onStep = (result: IteratorResult<ThreadStreamEvent>): void => {
    if (result.done) {
      this.end();
      return;
    }
    const { signal } = this.options;
    // Stopped early (`break`): the producer is closed first (its cleanup, e.g. keeping a cancelled answer, runs).
    if (signal.aborted) {
      this.close(null);
      return;
    }
    let more: boolean;
    try {
      const event = result.value;
      this.options.onEvent?.(event);
      if (event.type === 'error') this.outcome = 'stream_error';
      more = this.send(encodeEvent(event));
    } catch (error) {
      // Thrown by the loop's own body: like `for await`, the producer is closed, then the error reported.
      this.close({ error });
      return;
    }
    if (more) this.pull();
    else drained(this.res, signal).then(this.onDrained, this.onProducerError);
  };

  private readonly onDrained = (): void => this.pull();

  private readonly onProducerError = (error: unknown): void => this.failed(error);

  /** Closes the producer (awaiting its `return()`), then ends; `thrown` holds what the loop's body threw, if anything. */
  private close(thrown: { error: unknown } | null): void {
    let closing: Promise<unknown>;
    try {
      closing = Promise.resolve(this.iterator.return?.());
    } catch (error) {
      closing = Promise.reject(error);
    }
    closing.then(
      () => (thrown ? this.failed(thrown.error) : this.end()),
      // A body's error wins over the producer's failure to close, as in `for await`.
      (error: unknown) => this.failed(thrown ? thrown.error : error),
    );
  }

  private failed(error: unknown): void {
    this.options.onError(error);
    this.outcome = 'stream_error';
    if (!this.options.signal.aborted) this.send(encodeEvent(STREAM_FAILED));
    this.end();
  }

  private end(): void {
    this.ticker.delete(this);
    if (this.options.signal.aborted) {
      const last = this.options.endEvent?.();
      if (last) {
        // The producer has stopped (and kept the partial answer); the client learns why, last.
        this.outcome = 'ended_by_server';
        this.send(encodeEvent(last));
      } else this.outcome = 'cancelled';
    }
    try {
      this.options.onEnd(this.outcome);
    } catch (error) {
      // Nothing awaits this pump: a failing hook is reported, never left as an unhandled rejection.
      this.options.onError(error);
    } finally {
      // `end()` flushes what is still corked together with the final chunk, in one write.
      if (!this.res.writableEnded) this.res.end();
    }
  }
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
      offAbort(signal, done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
    onAbort(signal, done);
  });
}
