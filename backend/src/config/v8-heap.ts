import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

// V8 heap settings, applied by main.ts before anything else is loaded. This file imports nothing but Node built-ins
// (the config helpers load class-validator), so the settings cover the app's own loading.

/** V8's old-generation growth factor, in percent over the live size (HEAP_GROWING_PERCENT). */
export const DEFAULT_HEAP_GROWING_PERCENT = 50;
/** The young generation's largest semi-space, MiB (HEAP_SEMI_SPACE_MB); V8's own maximum on 64-bit Node 20 is 16. */
export const DEFAULT_HEAP_SEMI_SPACE_MB = 4;
/** V8's own maximum semi-space on 64-bit Node 20: a larger cap could not be reached. */
export const MAX_HEAP_SEMI_SPACE_MB = 16;

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

/** The young generation's current size in bytes (V8's `new_space`: both semi-spaces). */
function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Applies HEAP_SEMI_SPACE_MB: the young generation's semi-spaces grow to at most that many MiB. V8 fixes
 * `--max-semi-space-size` when the isolate is created (before any JavaScript runs; `npm start` loads the app in the
 * same process), but reads `--semi-space-growth-factor` each time the young generation grows, so growth is governed
 * from here:
 * - first the young generation is grown to the cap at once (a few ms of short-lived allocations, with the growth factor
 *   that reaches the cap in one step, checked every ~32 KB, far less than a semi-space, so no growth is missed): the
 *   app's modules then load with the young generation they will run with (held at its initial 0.5 MiB instead,
 *   start-up took ~35 % longer);
 * - then growth is off (factor 1), and after each GC a `PerformanceObserver` re-opens it with the factor that takes
 *   the semi-space back to the cap in one step if V8 has shrunk it (an idle heap), and closes it again at the cap.
 * A turn of the event loop that allocates several young generations' worth (not a server's usual turn) can still grow
 * it one step past the cap before the observer runs. A command-line `--max-semi-space-size` still applies on top.
 * Returns the cap in MiB (0: V8's own sizing) and a function that stops governing (tests).
 */
export function applyYoungGenerationCap(source: NodeJS.ProcessEnv = process.env): { capMiB: number; stop: () => void } {
  const capMiB = intFrom(source, 'HEAP_SEMI_SPACE_MB', DEFAULT_HEAP_SEMI_SPACE_MB);
  if (capMiB <= 0 || capMiB > MAX_HEAP_SEMI_SPACE_MB) return { capMiB: 0, stop: () => undefined };
  // new_space's size counts both semi-spaces.
  const cap = capMiB * 2 * 1024 * 1024;
  // Objects that survive every scavenge make V8 grow the young generation at each one, by the factor set just before.
  // At most ~2× the cap in small objects: more than growing to it needs (a command-line --max-semi-space-size below the
  // cap stops the growth earlier).
  let survivors: object[] = [];
  for (let n = 0, factor = 0; n < cap / 16; ) {
    const size = youngGenerationBytes();
    const next = size > 0 ? Math.floor(cap / size) : 0;
    if (next < 2) break;
    if (next !== factor) setFlagsFromString(`--semi-space-growth-factor=${(factor = next)}`);
    for (let i = 0; i < 1000; i++, n++) survivors.push({ n });
  }
  survivors = [];
  let factor = 1;
  setFlagsFromString('--semi-space-growth-factor=1');
  const govern = (): void => {
    const size = youngGenerationBytes() || cap;
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
