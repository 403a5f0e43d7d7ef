/**
 * The abort controller of one upstream request (model provider, webhook engine): it aborts when the
 * client's `parent` signal does, or when `timeoutMs` pass without `arm()` (an idle timeout, re-armed on
 * every chunk). `dispose()` in a `finally` clears the timer and the listener.
 */
export class IdleAbort {
  /** The request's controller, for a consumer that aborts it itself (the SDK's stream on an early exit); `dispose()` still clears the timer. */
  readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  /** True once the idle timer fired (as opposed to the client going away). */
  timedOut = false;

  constructor(
    private readonly parent: AbortSignal,
    private readonly timeoutMs: number,
    private readonly timeoutReason: () => Error,
  ) {
    parent.addEventListener('abort', this.onParentAbort, { once: true });
  }

  /** The signal to hand to the upstream request. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * (Re)starts the idle timer. Called on every chunk of a streamed answer: the one timer is refreshed in place
   * (no new timer object per chunk).
   */
  arm(): void {
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(this.onIdle, this.timeoutMs);
  }

  /** Ends the upstream request now (e.g. the engine said it is done). */
  abort(): void {
    this.clear();
    this.controller.abort();
  }

  dispose(): void {
    this.clear();
    this.parent.removeEventListener('abort', this.onParentAbort);
  }

  private clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly onIdle = (): void => {
    this.timer = undefined;
    this.timedOut = true;
    this.controller.abort(this.timeoutReason());
  };

  // Once the request is ended there is nothing left to time out (and a request whose reader never
  // comes back to dispose it must not keep a timer alive).
  private readonly onParentAbort = (): void => {
    this.clear();
    this.controller.abort(this.parent.reason);
  };
}
