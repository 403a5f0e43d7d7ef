import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const BACKEND = join(__dirname, '..', '..');
const SRC = join(BACKEND, 'src', 'cli');
const DIST = join(BACKEND, 'dist', 'cli');
/** The built CLI, exactly what the root package's `bin` runs. */
export const CLI_MAIN = join(DIST, 'main.js');

/** Building takes a while on a small machine; specs give their beforeAll this much. */
export const BUILD_TIMEOUT_MS = 240_000;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** True when some CLI source has no compiled file, or one newer than it. */
function stale(): boolean {
  return sources(SRC).some((src) => {
    const out = join(DIST, relative(SRC, src)).replace(/\.ts$/, '.js');
    try {
      return statSync(out).mtimeMs < statSync(src).mtimeMs;
    } catch {
      return true;
    }
  });
}

function exec(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * Builds the backend (`tsc -p tsconfig.build.json`, as `npm run build` does) when the CLI's
 * compiled files are missing or older than its sources. A lock directory keeps two jest workers
 * from compiling at the same time; the second one finds the build fresh and goes on.
 */
export async function ensureCliBuilt(): Promise<void> {
  const lock = join(tmpdir(), `parley-cli-build-${Buffer.from(BACKEND).toString('base64url').slice(-40)}.lock`);
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than the build timeout was left by a killed run.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > BUILD_TIMEOUT_MS) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (!stale()) return;
    const tsc = require.resolve('typescript/bin/tsc');
    const { code, output } = await exec(process.execPath, [tsc, '-p', 'tsconfig.build.json'], BACKEND);
    if (code !== 0) throw new Error(`building the CLI failed (tsc -p tsconfig.build.json):\n${output}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Parses stdout as the one JSON document `--json` promises (throws when there is anything else). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read whatever the document holds
export function json<T = any>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/**
 * A private home for CLI runs: `HOME` and `XDG_CONFIG_HOME` point into a temporary directory, so
 * no run reads or writes the real `~/.config/parley`, and no `PARLEY_*` variable leaks in from the
 * environment running the tests.
 */
export class CliHome {
  readonly dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
  readonly configFile = join(this.dir, 'config', 'parley', 'config.json');

  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.dir,
      XDG_CONFIG_HOME: join(this.dir, 'config'),
      LANG: 'C.UTF-8',
      ...extra,
    };
  }

  /**
   * Runs `node dist/cli/main.js …args` (or another `entry`, such as the bin wrapper) with piped stdio (no terminal). Asynchronous on purpose:
   * the API server runs in this same process and must keep answering while the CLI waits.
   */
  run(args: string[], options: { env?: Record<string, string>; input?: string; entry?: string } = {}): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [options.entry ?? CLI_MAIN, ...args], { cwd: this.dir, env: this.env(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(options.input ?? '');
    });
  }

  /**
   * Runs the CLI on a pseudo-terminal (util-linux `script`, part of Debian's essential bsdutils),
   * so stdin, stdout and stderr are all TTYs. `dialog` is a list of [prompt, answer]: each answer
   * is typed only once its prompt has appeared, as a person would, so the terminal is in the
   * state the CLI set up (e.g. no echo) when it arrives. Returns everything the terminal showed.
   */
  runOnTerminal(args: string[], dialog: [string, string][], options: { env?: Record<string, string> } = {}): Promise<{ code: number | null; screen: string }> {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, CLI_MAIN, ...args].map(quote).join(' ');
    return new Promise((resolve, reject) => {
      const child = spawn('script', ['-qefc', command, '/dev/null'], {
        cwd: this.dir,
        env: this.env({ TERM: 'dumb', ...options.env }),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const pending = [...dialog];
      let screen = '';
      let seen = 0;
      child.stdout.on('data', (d: Buffer) => {
        screen += d.toString();
        while (pending.length) {
          const at = screen.indexOf(pending[0][0], seen);
          if (at === -1) break;
          seen = at + pending[0][0].length;
          child.stdin.write(pending.shift()![1]);
        }
      });
      child.stderr.on('data', (d: Buffer) => (screen += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, screen }));
    });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
