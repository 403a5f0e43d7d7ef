import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

// V8 heap settings, applied by main.ts before anything else is loaded. This file imports nothing but Node built-ins
// (the config helpers load class-validator), so the settings cover the app's own loading.

/** V8's old-generation growth factor, in percent over the live size (HEAP_GROWING_PERCENT). */
export const DEFAULT_HEAP_GROWING_PERCENT = 50;
/** The young generation's largest semi-space, MiB (HEAP_SEMI_SPACE_MB); V8's own maximum on 64-bit Node 20 is 16. */
export const DEFAULT_HEAP_SEMI_SPACE_MB = 4;

function intFrom(source: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = source[name];
  if (value === undefined || value === '') return fallback;
  if (!/^-?\d+$/.test(value)) throw new Error(`${name} must be an integer, got "${value}".`);
  return Number(value);
}

/**
 * Applies HEAP_GROWING_PERCENT to this process's V8 (a GC heuristic, read by V8 at every full GC, so it may be set at
 * run time; `--heap-growing-percent` is not allowed in NODE_OPTIONS). Returns the value applied (0: V8's default).
 */
export function applyHeapGrowth(source: NodeJS.ProcessEnv = process.env): number {
  const percent = intFrom(source, 'HEAP_GROWING_PERCENT', DEFAULT_HEAP_GROWING_PERCENT);
  if (percent > 0 && percent <= 1000) setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}

/**
 * Applies HEAP_SEMI_SPACE_MB: the young generation's semi-spaces grow to at most that many MiB. V8 fixes
 * `--max-semi-space-size` when the isolate is created (before any JavaScript runs; `npm start` loads the app in the
 * same process), but reads `--semi-space-growth-factor` each time the young generation grows, so growth is governed
 * from here: none while the app loads, then, after each GC, the factor that takes the semi-space to the cap in one step,
 * and 1 (no growth) once it is there; when V8 shrinks it (an idle heap) the way up opens again. A command-line
 * `--max-semi-space-size` still applies on top. Returns the cap in MiB (0: V8's own sizing) and a function that stops
 * governing (tests).
 */
export function applyYoungGenerationCap(source: NodeJS.ProcessEnv = process.env): { capMiB: number; stop: () => void } {
  const capMiB = intFrom(source, 'HEAP_SEMI_SPACE_MB', DEFAULT_HEAP_SEMI_SPACE_MB);
  if (capMiB <= 0 || capMiB > 64) return { capMiB: 0, stop: () => undefined };
  // new_space's size counts both semi-spaces.
  const cap = capMiB * 2 * 1024 * 1024;
  let factor = 1;
  setFlagsFromString('--semi-space-growth-factor=1');
  const govern = (): void => {
    const size = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? cap;
    const next = size >= cap ? 1 : Math.max(1, Math.floor(cap / size));
    if (next === factor) return;
    setFlagsFromString(`--semi-space-growth-factor=${next}`);
    factor = next;
  };
  const observer = new PerformanceObserver(govern);
  observer.observe({ entryTypes: ['gc'] });
  return {
    capMiB,
    stop: () => {
      observer.disconnect();
      setFlagsFromString('--semi-space-growth-factor=2');
    },
  };
}
