/**
 * The stop of one chat request: `signal` is a real `AbortSignal` (the runner contract, the SDKs and
 * `AbortSignal.any` need one), but the stream's own parts (the processor's step wait, the SSE writer's drain
 * wait, a runner's upstream request) listen to it through `onAbort`, which keeps their listeners here rather
 * than in the signal's `EventTarget`: each listener there costs a listener record (and the first one the
 * signal's listener list), ~0.1–0.2 KB per idle open stream (docs/performance.md, idle open streams).
 *
 * `abort()` aborts the signal first (its own listeners, and signals following it, run then), then calls the
 * listeners registered here, in order, once.
 */
export class RequestStop {
  private readonly controller = new AbortController();
  readonly signal: AbortSignal = this.controller.signal;
  private listeners: AbortListener | AbortListener[] | null = null;

  constructor() {
    stops.set(this.signal, this);
  }

  get aborted(): boolean {
    return this.signal.aborted;
  }

  /** Aborts the signal (no reason: an `AbortError`), then the listeners; a second call does nothing. */
  abort(reason?: unknown): void {
    if (this.signal.aborted) return;
    this.controller.abort(reason);
    const listeners = this.listeners;
    this.listeners = null;
    if (listeners === null) return;
    if (!Array.isArray(listeners)) call(listeners);
    else for (const listener of listeners) call(listener);
  }

  add(listener: AbortListener): void {
    if (this.signal.aborted) return;
    const current = this.listeners;
    if (current === null) this.listeners = listener;
    else if (!Array.isArray(current)) {
      if (current !== listener) this.listeners = [current, listener];
    } else if (!current.includes(listener)) current.push(listener);
  }

  remove(listener: AbortListener): void {
    const current = this.listeners;
    if (current === listener) this.listeners = null;
    else if (Array.isArray(current)) {
      const at = current.indexOf(listener);
      if (at >= 0) current.splice(at, 1);
      if (current.length === 1) this.listeners = current[0];
      else if (current.length === 0) this.listeners = null;
    }
  }
}

/** A function, or an object whose `handleEvent()` is called (as with `addEventListener`; no closure needed). */
export type AbortListener = (() => void) | { handleEvent(): void };

function call(listener: AbortListener): void {
  if (typeof listener === 'function') listener();
  else listener.handleEvent();
}

const stops = new WeakMap<AbortSignal, RequestStop>();

/**
 * Calls `listener` once when `signal` aborts (not if it already has: check `signal.aborted` first), like
 * `addEventListener('abort', listener, { once: true })`; without a listener record in the signal when it
 * is a `RequestStop`'s.
 */
export function onAbort(signal: AbortSignal, listener: AbortListener): void {
  const stop = stops.get(signal);
  if (stop) stop.add(listener);
  else signal.addEventListener('abort', listener, { once: true });
}

/** Undoes `onAbort`. */
export function offAbort(signal: AbortSignal, listener: AbortListener): void {
  const stop = stops.get(signal);
  if (stop) stop.remove(listener);
  else signal.removeEventListener('abort', listener);
}
