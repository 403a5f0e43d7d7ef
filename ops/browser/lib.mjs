// Shared helpers of the browser suite (ops/browser/run.mjs) and the bundle benchmark (ops/bench/bundle):
// build, start a real Parley server like `npm start` does, launch Debian's Chromium through playwright-core,
// and a tiny static server on another origin for the "plain HTML page" scenarios.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
export const { chromium } = require('playwright-core');

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const resultsDir = join(root, 'test-results');

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createNetServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function newestMtime(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const e of readdirSync(p, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
    max = Math.max(max, newestMtime(join(p, e.name)));
  }
  return max;
}

/**
 * Builds what `npm start` would build (it skips fresh outputs), once, before any server starts, so two servers
 * never build concurrently. `ops/scripts/start.mjs` does not watch `widget-remote/public/` (embed.js), so the
 * remote is rebuilt here when that is newer than its output.
 */
export function buildAll(log = console.log) {
  const remoteOut = join(root, 'widget-remote/dist/mf-manifest.json');
  const embedOut = join(root, 'widget-remote/dist/embed.js');
  const outAt = existsSync(remoteOut) ? statSync(remoteOut).mtimeMs : 0;
  if (!existsSync(embedOut) || newestMtime(join(root, 'widget-remote/public')) > outAt) {
    log('Building widget-remote (embed.js changed)…');
    const r = spawnSync('npm', ['run', 'build', '--silent', '-w', 'widget-remote'], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`widget-remote build failed:\n${r.stdout}${r.stderr}`);
  }
  buildOutputs(log);
}

/** Same targets and freshness rule as ops/scripts/start.mjs. */
function buildOutputs(log) {
  const targets = [
    { workspace: 'backend', output: 'backend/dist/main.js', inputs: ['backend/src', 'backend/package.json', 'backend/tsconfig.json'] },
    { workspace: 'widget-remote', output: 'widget-remote/dist/mf-manifest.json', inputs: ['widget-remote/src', 'widget-remote/public', 'widget-remote/vite.config.ts', 'widget-remote/index.html'] },
    { workspace: 'canvas-host', output: 'canvas-host/dist/index.html', inputs: ['canvas-host/src', 'canvas-host/public', 'canvas-host/vite.config.ts', 'canvas-host/index.html', 'widget-remote/src/contract.ts'] },
  ];
  for (const t of targets) {
    const out = join(root, t.output);
    const builtAt = existsSync(out) ? statSync(out).mtimeMs : 0;
    const changedAt = Math.max(...t.inputs.map((i) => newestMtime(join(root, i))));
    if (builtAt && builtAt >= changedAt) continue;
    const started = Date.now();
    log(`Building ${t.workspace}…`);
    const r = spawnSync('npm', ['run', 'build', '--silent', '-w', t.workspace], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${t.workspace} build failed:\n${r.stdout}${r.stderr}`);
    log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

/**
 * Starts `node ops/scripts/start.mjs` (the `npm start` entry) in a child process on a free port with a throwaway
 * embedded database (or `DATABASE_URL` when set), NODE_ENV=development so the dev OIDC provider starts too.
 * Resolves once `/healthz` answers. `stop()` kills the whole process group.
 */
export async function startServer({ name = 'server', env = {}, log = () => {} } = {}) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `parley-browser-${name}-`));
  mkdirSync(resultsDir, { recursive: true });
  const logFile = join(resultsDir, `${name}.log`);
  const out = createWriteStream(logFile);
  const base = `http://localhost:${port}`;
  const childEnv = {
    ...process.env,
    NODE_ENV: 'development',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: base,
    CORS_ORIGINS: base,
    PARLEY_DATA_DIR: dataDir,
    OIDC_DEV_IDP_PORT: '0',
    LOG_LEVEL: 'warn',
    PARLEY_SECRET_KEY: process.env.PARLEY_SECRET_KEY || 'browser-suite-secret-key-0123456789abcdef',
    ...env,
  };
  if (!process.env.DATABASE_URL) delete childEnv.DATABASE_URL;
  const child = spawn(process.execPath, [join(root, 'ops/scripts/start.mjs')], {
    cwd: root,
    env: childEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk) => {
    output += chunk;
    out.write(chunk);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  const stop = async () => {
    if (exited) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    const deadline = Date.now() + 8000;
    while (!exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (!exited) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    out.end();
    try {
      rmSync(dataDir, { recursive: true, force: true });
    } catch {
      /* keep */
    }
  };
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (exited) throw new Error(`${name} exited (${JSON.stringify(exited)}) before it was ready; see ${logFile}\n${output.slice(-3000)}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} did not become ready in 180 s; see ${logFile}`);
    }
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const idp = /development identity provider at (\S+)/.exec(output)?.[1];
  log(`${name}: ${base}${idp ? ` (dev IdP ${idp})` : ''}`);
  return { base, port, stop, logFile, idpIssuer: idp, output: () => output };
}

/** A minimal static server for pages that live on another origin (127.0.0.1 vs the API's localhost). */
export async function startStaticServer(pages) {
  const port = await freePort();
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const body = pages[path];
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(body);
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${port}`,
    setPage: (path, html) => {
      pages[path] = html;
    },
    stop: () => new Promise((r) => server.close(() => r())),
  };
}

/**
 * A fresh, isolated browser: its own user-data-dir through `launchPersistentContext` (DEPENDENCIES.md), so nothing
 * (cookies, localStorage) is shared with other "people" in the suite.
 */
export async function newBrowser(name, opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), `parley-chromium-${name}-`));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1280, height: 860 },
    ...opts,
  });
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const close = async () => {
    try {
      await context.close();
    } catch {
      /* already closed */
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { context, page, close };
}

/** JSON API calls from Node (setup steps that are not what a scenario is about). */
export function api(base) {
  const call = async (method, path, { token, body, headers = {} } = {}) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    if (!r.ok) throw new Error(`${method} ${path} → ${r.status} ${text.slice(0, 300)}`);
    return json;
  };
  return {
    call,
    /** Registers an owner and returns a bearer access token. */
    async owner(email, password = 'correct-horse-battery-staple') {
      await call('POST', '/api/auth/register', { body: { email, password } });
      const login = await call('POST', '/api/auth/login', { body: { email, password } });
      return login.accessToken;
    },
    async echoWorkflow(token, name, extra = {}) {
      return call('POST', '/api/workflows', { token, body: { name, runner: { kind: 'echo' }, ...extra } });
    },
    async publish(token, id, requireLogin = false) {
      return call('POST', `/api/workflows/${id}/publish`, { token, body: { requireLogin } });
    },
  };
}
