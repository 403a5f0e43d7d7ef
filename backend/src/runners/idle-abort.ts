import { offAbort, onAbort } from '../chat-protocol/stop-signal';

/**
 * The abort of one upstream request (model provider, webhook engine): it aborts when the client's `parent`
 * signal does, when `timeoutMs` pass without `arm()` (an idle timeout, re-armed on every chunk), or on
 * `abort()`. `dispose()` in a `finally` clears the timer and the listener.
 *
 * It is its own abort signal for a transport that takes a lean one (`signalFor`: `nodeHttpFetch`, which only
 * reads `aborted`/`reason` and adds one `abort` listener): no `AbortController` and `AbortSignal` per request, which
 * Node builds as an `EventTarget` with a listener map and a hidden class of its own (~0.9 KB held by every waiting
 * chat stream: docs/performance.md, idle open streams). `signal`, a real `AbortSignal` for everything else (the
 * SDK's own requests, OutboundPolicy), is made on first use and aborted with it.
 */
export class IdleAbort {
  /** Whether the request was aborted (idle timeout, the client's abort, `abort()`). */
  aborted = false;
  /** Why: the timeout's error, the parent's reason, or an `AbortError` (like `AbortController.abort()`). */
  reason: unknown = undefined;
  /** True once the idle timer fired (as opposed to the client going away). */
  timedOut = false;
  private timer: NodeJS.Timeout | undefined;
  /** The transport's `abort` listener (lean use: one), or several. */
  private listeners: (() => void) | Array<() => void> | null = null;
  private native: AbortController | undefined;

  constructor(
    private readonly parent: AbortSignal,
    private readonly timeoutMs: number,
    private readonly timeoutReason: () => Error,
  ) {
    onAbort(parent, this);
  }

  /** A real `AbortSignal` for the upstream request, made on first use; aborted with this object. */
  get signal(): AbortSignal {
    if (!this.native) {
      this.native = new AbortController();
      if (this.aborted) this.native.abort(this.reason);
    }
    return this.native.signal;
  }

  /** The signal to hand to `fetch`: this object itself when the transport takes a lean signal, else `signal`. */
  signalFor(fetch: unknown): AbortSignal {
    return takesLeanSignal(fetch) ? (this as unknown as AbortSignal) : this.signal;
  }

  /** For a consumer that only aborts (the SDK's stream on an early exit): this object. */
  get controller(): AbortController {
    return this as unknown as AbortController;
  }

  /**
   * (Re)starts the idle timer. Called on every chunk of a streamed answer: the one timer is refreshed in place
   * (no new timer object per chunk).
   */
  arm(): void {
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(idleTimedOut, this.timeoutMs, this);
  }

  /** Ends the upstream request now (e.g. the engine said it is done). */
  abort(reason?: unknown): void {
    this.clear();
    this.fire(reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason);
  }

  dispose(): void {
    this.clear();
    offAbort(this.parent, this);
  }

  /** The lean signal's listener registry (`abort` only; the transport adds one). */
  addEventListener(type: string, listener: () => void): void {
    if (type !== 'abort' || this.aborted) return;
    const current = this.listeners;
    if (current === null) this.listeners = listener;
    else if (typeof current === 'function') this.listeners = current === listener ? current : [current, listener];
    else if (!current.includes(listener)) current.push(listener);
  }

  removeEventListener(type: string, listener: () => void): void {
    if (type !== 'abort') return;
    const current = this.listeners;
    if (current === listener) this.listeners = null;
    else if (Array.isArray(current)) {
      const at = current.indexOf(listener);
      if (at >= 0) current.splice(at, 1);
    }
  }

  private fire(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = null;
    if (typeof listeners === 'function') listeners();
    else if (listeners) for (const listener of listeners) listener();
    this.native?.abort(reason);
  }

  private clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The idle timer fired (`idleTimedOut`). */
  onIdle(): void {
    this.timer = undefined;
    this.timedOut = true;
    this.fire(this.timeoutReason());
  }

  /**
   * The parent aborted (this object is its listener: no closures per request). Once the request is ended there is
   * nothing left to time out (and a request whose reader never comes back to dispose it must not keep a timer alive).
   */
  handleEvent(): void {
    this.clear();
    this.fire(this.parent.reason);
  }
}

function idleTimedOut(idle: IdleAbort): void {
  idle.onIdle();
}

/**
 * Marks a `fetch` whose `init.signal` may be a lean signal (an object with `aborted`, `reason`,
 * `addEventListener('abort', …)`/`removeEventListener`, and `signal`, a real one, for any fallback).
 */
export const LEAN_SIGNAL = Symbol('parley.leanSignal');

function takesLeanSignal(fetch: unknown): boolean {
  return typeof fetch === 'function' && (fetch as { [LEAN_SIGNAL]?: boolean })[LEAN_SIGNAL] === true;
}
