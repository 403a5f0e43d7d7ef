import { IdleAbort } from './idle-abort';

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
