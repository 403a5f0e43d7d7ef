#!/usr/bin/env node
// `npm start`: builds whatever is missing or older than its sources, then runs the server in
// this same process (so signals reach Nest's shutdown hooks directly).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

/** Newest modification time under a directory (skipping dependencies and outputs). */
function newest(dir) {
  let max = 0;
  if (!existsSync(dir)) return max;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return max;
}

const targets = [
  { workspace: 'backend', output: 'backend/dist/main.js', inputs: ['backend/src', 'backend/package.json', 'backend/tsconfig.json'] },
  { workspace: 'widget-remote', output: 'widget-remote/dist/mf-manifest.json', inputs: ['widget-remote/src', 'widget-remote/public', 'widget-remote/vite.config.ts', 'widget-remote/index.html'] },
  { workspace: 'canvas-host', output: 'canvas-host/dist/index.html', inputs: ['canvas-host/src', 'canvas-host/vite.config.ts', 'canvas-host/index.html', 'widget-remote/src/contract.ts'] },
];

for (const t of targets) {
  const out = join(root, t.output);
  const builtAt = existsSync(out) ? statSync(out).mtimeMs : 0;
  const changedAt = Math.max(...t.inputs.map((i) => {
    const p = join(root, i);
    if (!existsSync(p)) return 0;
    return statSync(p).isDirectory() ? newest(p) : statSync(p).mtimeMs;
  }));
  if (builtAt && builtAt >= changedAt) continue;
  const started = Date.now();
  process.stdout.write(`Building ${t.workspace}… `);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', 'build', '--silent', '-w', t.workspace], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    console.log('failed');
    process.stderr.write(r.stdout + r.stderr);
    process.exit(1);
  }
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

process.chdir(root);
// Development talks to local tool servers, MCP servers and model fakes on loopback
// (docs/workflows.md); production never defaults to that (OUTBOUND_ALLOW_PRIVATE in README).
if ((process.env.NODE_ENV || 'development') === 'development' && process.env.OUTBOUND_ALLOW_PRIVATE === undefined) {
  process.env.OUTBOUND_ALLOW_PRIVATE = 'true';
}
await startDevIdpIfWanted();
require(pathToFileURL(join(root, 'backend/dist/main.js')).pathname);

/**
 * Development convenience: without OIDC_ISSUER, run the local OpenID provider (ops/dev-idp) in
 * this process and point the backend at it, so "Sign in with SSO" works on a fresh clone. Never in
 * production (or test), and never when a provider is configured.
 */
async function startDevIdpIfWanted() {
  const nodeEnv = process.env.NODE_ENV || 'development';
  if (nodeEnv !== 'development' || process.env.OIDC_ISSUER) return;
  let devIdp;
  try {
    devIdp = await import('../dev-idp/dev-idp.mjs');
    await import('oidc-provider');
  } catch {
    console.log('OIDC: no OIDC_ISSUER and the dev IdP is unavailable (oidc-provider is a dev dependency); SSO sign-in is off.');
    return;
  }
  const base = (process.env.PUBLIC_BASE_URL || `http://localhost:${process.env.PORT || 3000}`).replace(/\/+$/, '');
  const client = {
    clientId: process.env.OIDC_CLIENT_ID || devIdp.DEFAULT_CLIENT.clientId,
    clientSecret: process.env.OIDC_CLIENT_SECRET || devIdp.DEFAULT_CLIENT.clientSecret,
    redirectUris: [process.env.OIDC_REDIRECT_URI || `${base}/api/auth/oidc/callback`],
  };
  const wanted = Number(process.env.OIDC_DEV_IDP_PORT || devIdp.DEFAULT_PORT);
  const log = (line) => console.error(line);
  let idp;
  try {
    idp = await devIdp.startDevIdp({ port: wanted, clients: [client], log });
  } catch (err) {
    if (err?.code !== 'EADDRINUSE') throw err;
    idp = await devIdp.startDevIdp({ port: 0, clients: [client], log });
    console.log(`OIDC: port ${wanted} is taken; the dev IdP uses ${idp.port} instead.`);
  }
  process.env.OIDC_ISSUER = idp.issuer;
  process.env.OIDC_CLIENT_ID = client.clientId;
  process.env.OIDC_CLIENT_SECRET = client.clientSecret;
  console.log(`OIDC: development identity provider at ${idp.issuer} (ops/dev-idp; set OIDC_ISSUER to use a real one). Test logins:`);
  for (const u of idp.users) console.log(`  ${u.email} / ${u.password}${u.emailVerified ? '' : '  (email not verified: end-user sign-in only)'}`);
}
