/**
 * Helpers shared by the ops scripts (test:scale, test:faults, the benchmarks): the built backend,
 * free ports, and the `export A=1 …` lines the throwaway PostgreSQL/Redis scripts print.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BACKEND = join(ROOT, 'backend');
/** The built server every script starts. */
export const MAIN = join(BACKEND, 'dist/main.js');

function newestSourceMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds the backend when `dist/main.js` is missing or older than any source file; `log` says so. */
export function buildBackendIfStale(log = (line) => process.stdout.write(`${line}\n`)) {
  const stale = !existsSync(MAIN) || statSync(MAIN).mtimeMs < newestSourceMtime(join(BACKEND, 'src'));
  if (!stale) return;
  log('# building the backend (dist is missing or older than src)');
  execFileSync('npm', ['run', 'build', '-w', 'backend'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** An ephemeral port nobody listens on (on 127.0.0.1). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

/** `export A=1 B=2` lines of the throwaway scripts → an object. */
export function parseExports(text) {
  const vars = {};
  for (const match of text.matchAll(/([A-Z_][A-Z0-9_]*)=('([^']*)'|"([^"]*)"|(\S+))/g)) vars[match[1]] = match[3] ?? match[4] ?? match[5];
  return vars;
}

// /proc accounting, shared by the benchmarks.

/** CPU time (user + system, ms) a process has used so far; NaN when it is gone. */
export function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime in USER_HZ (100) ticks
  } catch {
    return NaN;
  }
}

/** CPU time (ns) of every thread of `pid` so far, and of its main thread (schedstat's first field: time on a CPU; ns, not 10 ms ticks). */
export function threadsCpuNs(pid) {
  let total = 0;
  let main = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      total += ns;
      if (tid === String(pid)) main = ns;
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return { total, main };
}
