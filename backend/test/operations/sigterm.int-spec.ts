import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { startFakeOpenAI, FakeOpenAI } from '../fakes/fake-openai-server';
import { freePort } from '../ratelimit/redis-server';
import { isDelta, openStream, slowCreate } from './live-stream';

const MAIN = path.resolve(__dirname, '../../src/main.ts');

async function json(url: string, init: RequestInit & { body?: string }, auth?: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) } });
  if (res.status >= 300) throw new Error(`${init.method ?? 'GET'} ${url} → ${res.status}: ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/**
 * The real signal path: `main.ts` in a child process receives SIGTERM while a chat stream is
 * open. It must stop accepting connections at once, give the stream SHUTDOWN_GRACE_SECONDS, end
 * it with a retryable `error` event, close the database and exit.
 */
describe('SIGTERM (main.ts in a child process)', () => {
  let fake: FakeOpenAI;
  let child: ChildProcess | null = null;
  let output = '';
  afterAll(async () => {
    child?.kill('SIGKILL');
    await fake?.close();
  });

  it('drains: refuses new connections, ends the open stream with allow_retry after the grace period, exits cleanly', async () => {
    fake = await startFakeOpenAI();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['-r', '@swc-node/register', MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'development',
        PARLEY_DATA_DIR: ':memory:',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        SERVE_FRONTEND: 'false',
        OPENAI_API_KEY: 'sk-test-key',
        OPENAI_BASE_URL: fake.baseUrl,
        SHUTDOWN_GRACE_SECONDS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

    const deadline = Date.now() + 90_000;
    for (;;) {
      const ok = await fetch(`${base}/readyz`).then((r) => r.status === 200, () => false);
      if (ok) break;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not become ready:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    const email = `sigterm-${Date.now()}@example.com`;
    const password = 'correct horse battery staple';
    await json(`${base}/api/auth/register`, { method: 'POST', body: JSON.stringify({ email, password }) });
    const login = await json(`${base}/api/auth/login`, { method: 'POST', body: JSON.stringify({ email, password }) });
    const auth = `Bearer ${login.accessToken as string}`;
    const workflow = await json(
      `${base}/api/workflows`,
      { method: 'POST', body: JSON.stringify({ name: 'Drain', runner: { kind: 'openai', provider: 'openai', model: 'gpt-test' } }) },
      auth,
    );
    const session = await json(`${base}/api/workflows/${workflow.id as string}/chatkit/session`, { method: 'POST', body: '{}' }, auth);

    const stream = await openStream(base, { authorization: `Bearer ${session.token as string}` }, slowCreate(200, 100));
    expect(stream.status).toBe(200);
    await stream.until(isDelta);

    const signalledAt = Date.now();
    child.kill('SIGTERM');
    // Not accepting any more: a new connection is refused while the stream drains.
    await new Promise((r) => setTimeout(r, 200));
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();

    const endedAt = await stream.ended;
    expect(stream.events[stream.events.length - 1]).toEqual({ type: 'error', code: 'custom', message: expect.any(String), allow_retry: true });
    expect(endedAt - signalledAt).toBeGreaterThanOrEqual(900);
    expect(endedAt - signalledAt).toBeLessThan(5000);

    const [code, signal] = await exited;
    child = null;
    // Nest re-raises SIGTERM once it has shut down cleanly.
    expect(code === 0 || signal === 'SIGTERM').toBe(true);
    expect(output).toContain('not accepting new connections');
    expect(output).toContain('ended 1 chat stream(s) with a retryable error event');
    expect(output).toMatch(/Drained in \d+ ms; closing the database and Redis/);
  }, 150_000);
});
