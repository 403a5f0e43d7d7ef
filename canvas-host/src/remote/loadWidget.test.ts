import { describe, expect, it, vi } from 'vitest';
import { loadWidget, type RemoteModuleLoader, WidgetLoadError } from './loadWidget';

const MANIFEST = 'https://parley.test/widget/mf-manifest.json';
const Widget = () => null;

/** A loader that fails the first `failures` calls, then resolves `module`; records every call. */
function flakyLoader(failures: number, module: unknown = { default: Widget }) {
  const calls: Array<[string, number]> = [];
  const loader: RemoteModuleLoader = async (url, attempt) => {
    calls.push([url, attempt]);
    if (calls.length <= failures) throw new Error(`network down (${calls.length})`);
    return module;
  };
  return { loader, calls };
}

/** Records requested delays and returns at once, so no test waits on real time. */
function recordingSleep() {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}

describe('loadWidget', () => {
  it('returns the component on the first try without waiting', async () => {
    const { loader, calls } = flakyLoader(0);
    const { sleep, delays } = recordingSleep();

    await expect(loadWidget(MANIFEST, { loader, sleep })).resolves.toBe(Widget);
    expect(calls).toEqual([[MANIFEST, 1]]);
    expect(delays).toEqual([]);
  });

  it('retries failed attempts with exponential backoff', async () => {
    const { loader, calls } = flakyLoader(2);
    const { sleep, delays } = recordingSleep();
    const onRetry = vi.fn();

    await expect(loadWidget(MANIFEST, { loader, sleep, onRetry })).resolves.toBe(Widget);
    expect(calls.map(([, attempt]) => attempt)).toEqual([1, 2, 3]);
    expect(delays).toEqual([500, 1000]);
    expect(onRetry.mock.calls.map(([failure]) => [failure.attempt, failure.delayMs])).toEqual([
      [1, 500],
      [2, 1000],
    ]);
  });

  it('gives up after the configured attempts with a typed error carrying the last cause', async () => {
    const { loader, calls } = flakyLoader(Infinity);
    const { sleep, delays } = recordingSleep();

    const error = await loadWidget(MANIFEST, { loader, sleep }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(WidgetLoadError);
    expect(error).toMatchObject({ code: 'remote_unavailable', attempts: 3 });
    expect((error as WidgetLoadError).cause).toEqual(new Error('network down (3)'));
    expect(calls).toHaveLength(3);
    // No pointless wait after the last attempt.
    expect(delays).toEqual([500, 1000]);
  });

  it('caps each wait at maxDelayMs', async () => {
    const { loader } = flakyLoader(Infinity);
    const { sleep, delays } = recordingSleep();

    await expect(
      loadWidget(MANIFEST, { loader, sleep, attempts: 5, baseDelayMs: 100, maxDelayMs: 300 }),
    ).rejects.toMatchObject({ code: 'remote_unavailable', attempts: 5 });
    expect(delays).toEqual([100, 200, 300, 300]);
  });

  it('accepts a named ChatWidget export and rejects a module without a component, without retrying', async () => {
    await expect(loadWidget(MANIFEST, { loader: flakyLoader(0, { ChatWidget: Widget }).loader })).resolves.toBe(
      Widget,
    );

    const { loader, calls } = flakyLoader(0, { default: 'not a component' });
    await expect(loadWidget(MANIFEST, { loader })).rejects.toMatchObject({ code: 'remote_invalid' });
    expect(calls).toHaveLength(1);
  });

  it('stops retrying as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const { loader, calls } = flakyLoader(Infinity);
    const sleep = async () => {
      controller.abort();
      throw new DOMException('aborted', 'AbortError');
    };

    await expect(loadWidget(MANIFEST, { loader, sleep, signal: controller.signal })).rejects.toMatchObject({
      code: 'aborted',
      attempts: 1,
    });
    expect(calls).toHaveLength(1);
  });

  it('waits with real timers by default', async () => {
    vi.useFakeTimers();
    try {
      const { loader, calls } = flakyLoader(1);
      const result = loadWidget(MANIFEST, { loader });

      await vi.advanceTimersByTimeAsync(499);
      expect(calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      await expect(result).resolves.toBe(Widget);
      expect(calls).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects a nonsensical attempt count', async () => {
    await expect(loadWidget(MANIFEST, { attempts: 0 })).rejects.toBeInstanceOf(RangeError);
  });
});
