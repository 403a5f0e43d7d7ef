#!/usr/bin/env node
// Where a mint's server CPU goes: the built app under `node --cpu-prof`, N sequential mints (new
// users) with a server key after a warm-up, then the profile's self time by owner and function,
// per mint, and the per-request CPU (schedstat) as in bench.mjs. Needs BENCH_DATABASE_URL or a
// throwaway cluster (as bench.mjs).
//   node ops/bench/hosts/profile-mint.mjs [--mints 3000] [--top 40]
import { mkdtempSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, createWorkflow, numberOption, registerOwner, request, runMain, startApp, startPostgres, summarizeCpuProfile } from '../load/harness.mjs';

const MINTS = numberOption('mints', 3000);
const TOP = numberOption('top', 40);

async function main() {
  const pg = await startPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'parley-mint-prof-'));
  const app = await startApp({ dbUrl: pg.url, env: { LOG_LEVEL: 'warn' }, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  const owner = await registerOwner(app.origin, 'prof');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const wf = await createWorkflow(app.origin, owner.accessToken);
  const { key } = await api(app.origin, 'POST', `/api/workflows/${wf}/server-keys`, { token: owner.accessToken, body: { name: 'prof' } });
  const mint = (i) => request(agent, app.origin, { method: 'POST', path: `/api/workflows/${wf}/end-user-sessions`, headers: { authorization: `Bearer ${key}` }, body: { user: { id: `u-${i}`, email: `u${i}@example.com`, name: 'Prof' } } });
  for (let i = 0; i < 300; i += 1) await mint(-i - 1);
  for (let i = 0; i < MINTS; i += 1) {
    const res = await mint(i);
    if (res.status !== 200) throw new Error(`mint answered ${res.status}`);
  }
  await app.stop(10_000);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  const { totalMs, byOwner, byFunction } = summarizeCpuProfile(join(dir, file));
  const per = (ms) => (ms / (MINTS + 300)).toFixed(3);
  console.log(`profile ${join(dir, file)}: ${totalMs.toFixed(0)} ms busy over ${MINTS + 300} mints (+ start-up) → ${per(totalMs)} ms per mint (profiler on)`);
  console.log('\nby owner (ms per mint):');
  for (const [owner, ms] of byOwner.slice(0, 25)) console.log(`  ${per(ms).padStart(7)}  ${owner}`);
  console.log('\nby function (ms per mint):');
  for (const [label, ms] of byFunction.slice(0, TOP)) console.log(`  ${per(ms).padStart(7)}  ${label}`);
}

runMain(main);
