import { spawn } from 'node:child_process';
import * as path from 'node:path';

const PROBE = path.resolve(__dirname, 'promise-hooks-probe.ts');

interface ProbeResult {
  beforeRequests: number;
  inRequest: number[];
  afterRequests: number;
  afterAsyncLocalStorage: number;
  logLines: number;
}

function runProbe(): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // The worker's environment: its database (PARLEY_TEST_DB_URLS, JEST_WORKER_ID) for the child's test app.
    const child = spawn(process.execPath, ['-r', '@swc-node/register', PROBE], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill(), 90_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/**
 * Request-scoped logging without AsyncLocalStorage (docs/performance.md, "no-als"): serving requests never turns V8's
 * promise hooks on, which on Node 20 would give every promise of the process async ids and hook calls. Observed in a
 * child process (promise-hooks-probe.ts): jest runs each test in an AsyncLocalStorage of its own.
 */
describe('promise hooks', () => {
  it('stay off while the app serves requests with request logging on', async () => {
    const { status, stdout, stderr } = await runProbe();
    expect({ status, stderr: status === 0 ? '' : stderr }).toEqual({ status: 0, stderr: '' });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as ProbeResult;
    // The requests were served and logged (request-completed lines at least).
    expect(result.logLines).toBeGreaterThan(5);
    expect(result).toMatchObject({ beforeRequests: 0, inRequest: [0, 0], afterRequests: 0 });
    // The probe can tell: once an AsyncLocalStorage runs, promise reactions get async ids.
    expect(result.afterAsyncLocalStorage).toBeGreaterThan(0);
  });
});
