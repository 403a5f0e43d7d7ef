import { IdleAbort } from './idle-abort';
import { nodeHttpFetch } from './node-http-fetch';

describe('IdleAbort', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('aborts with the timeout reason when armed and left silent', () => {
    const parent = new AbortController();
    const idle = new IdleAbort(parent.signal, 1000, () => new Error('idle'));
    idle.arm();
    jest.advanceTimersByTime(999);
    expect(idle.signal.aborted).toBe(false);
    jest.advanceTimersByTime(1);
    expect({ aborted: idle.signal.aborted, timedOut: idle.timedOut, reason: (idle.signal.reason as Error).message }).toEqual({ aborted: true, timedOut: true, reason: 'idle' });
  });

  it('a parent abort ends the request and clears the idle timer, even if nobody disposes it', () => {
    const parent = new AbortController();
    const idle = new IdleAbort(parent.signal, 1000, () => new Error('idle'));
    idle.arm();
    expect(jest.getTimerCount()).toBe(1);
    parent.abort();
    expect(idle.signal.aborted).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
    expect(idle.timedOut).toBe(false);
  });

  it('abort() ends the request and clears the idle timer', () => {
    const idle = new IdleAbort(new AbortController().signal, 1000, () => new Error('idle'));
    idle.arm();
    idle.abort();
    expect(idle.signal.aborted).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('IdleAbort as a lean signal', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('calls its abort listener once with the timeout reason, and a real signal made later is aborted alike', () => {
    const idle = new IdleAbort(new AbortController().signal, 1000, () => new Error('idle'));
    const calls: unknown[] = [];
    idle.addEventListener('abort', () => calls.push(idle.reason));
    idle.arm();
    jest.advanceTimersByTime(1000);
    idle.abort();
    expect(calls.map((reason) => (reason as Error).message)).toEqual(['idle']);
    expect({ aborted: idle.signal.aborted, reason: (idle.signal.reason as Error).message }).toEqual({ aborted: true, reason: 'idle' });
  });

  it('a parent abort reaches both the lean listener and a real signal made before, with the parent reason', () => {
    const parent = new AbortController();
    const idle = new IdleAbort(parent.signal, 1000, () => new Error('idle'));
    const real = idle.signal;
    let heard = 0;
    idle.addEventListener('abort', () => heard++);
    parent.abort(new Error('gone'));
    expect({ heard, aborted: idle.aborted, real: real.aborted, reason: (real.reason as Error).message, timedOut: idle.timedOut }).toEqual({
      heard: 1,
      aborted: true,
      real: true,
      reason: 'gone',
      timedOut: false,
    });
  });

  it('abort() without a reason gives an AbortError, like AbortController; a removed listener is not called', () => {
    const idle = new IdleAbort(new AbortController().signal, 1000, () => new Error('idle'));
    let heard = 0;
    const listener = (): void => void heard++;
    idle.addEventListener('abort', listener);
    idle.removeEventListener('abort', listener);
    idle.abort();
    expect({ heard, name: (idle.reason as DOMException).name }).toEqual({ heard: 0, name: 'AbortError' });
  });

  it('is handed to fetch only when the transport takes a lean signal', () => {
    const idle = new IdleAbort(new AbortController().signal, 1000, () => new Error('idle'));
    expect(idle.signalFor(nodeHttpFetch())).toBe(idle);
    expect(idle.signalFor(globalThis.fetch)).toBeInstanceOf(AbortSignal);
  });
});
