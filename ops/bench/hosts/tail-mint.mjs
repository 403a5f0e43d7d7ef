#!/usr/bin/env node
// What the slowest 5 % of mints spend their CPU on. Like bench.mjs's mint phase (built app,
// NODE_ENV=production, sequential mints with a server key, the app's CPU per request from
// /proc/<pid>/task/*/schedstat), but it keeps the CPU per thread for every request and preloads
// tail-probe.cjs into the app (request start/finish, process CPU inside the request, every GC), then
// compares the slowest 5 % of intervals with the rest: which threads ran, how much of it was inside
// the request (arrival → response finished) and how much after, and which GCs fell in the interval.
//   node ops/bench/hosts/tail-mint.mjs [--mints=2000] [--warmup=300] [--mode=new|refresh|both]
//   env: BENCH_DATABASE_URL (else a throwaway cluster), TAIL_NODE_ARGS (extra node flags for the app)
import { existsSync, mkdtempSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, createWorkflow, fmt, loadavgText, numberOption, option, registerOwner, request, runMain, sleep, startApp, startPostgres, summarize } from '../load/harness.mjs';

const MINTS = numberOption('mints', 2000);
const WARMUP = numberOption('warmup', 300);
const MODE = option('mode', 'both');
const PROBE = fileURLToPath(new URL('./tail-probe.cjs', import.meta.url));

/** schedstat run time (ns) per thread of `pid`, keyed by "tid comm". */
function threadTimes(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(`${tid} ${comm}`, ns);
    } catch {
      /* gone */
    }
  }
  return out;
}

async function main() {
  const pg = await startPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'parley-mint-tail-'));
  const out = join(dir, 'probe.json');
  const extra = (process.env.TAIL_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const app = await startApp({ dbUrl: pg.url, env: { LOG_LEVEL: 'warn', MINT_PROBE_OUT: out }, nodeArgs: ['--require', PROBE, ...extra] });
  const owner = await registerOwner(app.origin, 'tail');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const wf = await createWorkflow(app.origin, owner.accessToken);
  const { key } = await api(app.origin, 'POST', `/api/workflows/${wf}/server-keys`, { token: owner.accessToken, body: { name: 'tail' } });
  const mint = (user) => request(agent, app.origin, { method: 'POST', path: `/api/workflows/${wf}/end-user-sessions`, headers: { authorization: `Bearer ${key}` }, body: { user } });
  const dump = async () => {
    if (existsSync(out)) unlinkSync(out);
    process.kill(app.pid, 'SIGWINCH');
    for (let i = 0; i < 100; i += 1) {
      await sleep(50);
      try {
        const data = JSON.parse(readFileSync(out, 'utf8'));
        if (data) return data;
      } catch {
        /* not written yet */
      }
    }
    throw new Error('probe wrote nothing');
  };

  const run = async (label, userOf) => {
    for (let i = 0; i < WARMUP; i += 1) await mint(userOf(-1, i));
    await dump();
    const rows = [];
    let mark = threadTimes(app.pid);
    for (let i = 0; i < MINTS; i += 1) {
      const res = await mint(userOf(0, i));
      if (res.status !== 200) throw new Error(`${label} answered ${res.status}`);
      const now = threadTimes(app.pid);
      const perThread = {};
      let total = 0;
      for (const [name, ns] of now) {
        const d = ns - (mark.get(name) ?? 0);
        if (d > 0) {
          const kind = name.startsWith(`${app.pid} `) ? 'main' : `t${name.split(' ')[0] - app.pid}`;
          perThread[kind] = (perThread[kind] ?? 0) + d / 1e6;
          total += d / 1e6;
        }
      }
      rows.push({ total, perThread, latency: res.ms });
      mark = now;
    }
    const probe = await dump();
    const reqs = probe.requests.filter((r) => r.url.includes('end-user-sessions'));
    if (reqs.length !== MINTS) throw new Error(`probe saw ${reqs.length} mints, expected ${MINTS}`);
    // Interval i (client side) = request i and what followed it until the client's read after it.
    // App side: request i's window is [start_i, start_{i+1}).
    for (let i = 0; i < MINTS; i += 1) {
      const r = reqs[i];
      const until = i + 1 < MINTS ? reqs[i + 1].start : r.end + 5;
      rows[i].inReqCpu = r.cpuUs / 1000;
      rows[i].inReqMain = r.mainUs / 1000;
      rows[i].appMs = r.end - r.start;
      rows[i].gcs = probe.gcs.filter((g) => g.start >= r.start && g.start < until);
    }
    const sorted = [...rows].sort((a, b) => a.total - b.total);
    const cut = sorted[Math.floor(sorted.length * 0.95)].total;
    const slow = rows.filter((r) => r.total >= cut);
    const rest = rows.filter((r) => r.total < cut);
    const describe = (name, set) => {
      const mean = (f) => set.reduce((s, r) => s + f(r), 0) / set.length;
      const threads = {};
      for (const r of set) for (const [k, v] of Object.entries(r.perThread)) threads[k] = (threads[k] ?? 0) + v / set.length;
      const withGc = set.filter((r) => r.gcs.length).length;
      const gcMs = mean((r) => r.gcs.reduce((s, g) => s + g.ms, 0));
      const kinds = {};
      for (const r of set) for (const g of r.gcs) kinds[g.kind] = (kinds[g.kind] ?? 0) + 1;
      console.log(
        `  ${name.padEnd(10)} n ${String(set.length).padStart(5)}  CPU mean ${fmt(mean((r) => r.total), 3)} ms  inside request ${fmt(mean((r) => r.inReqCpu), 3)} (main thread ${fmt(mean((r) => r.inReqMain), 3)})  app time in request ${fmt(mean((r) => r.appMs), 3)}  latency ${fmt(mean((r) => r.latency), 3)}  with a GC ${withGc} (${fmt((100 * withGc) / set.length, 1)} %, ${JSON.stringify(kinds)})  GC ms ${fmt(gcMs, 3)}`,
      );
      console.log(`             per thread: ${Object.entries(threads).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${fmt(v, 3)}`).join(', ')}`);
    };
    const s = summarize(rows.map((r) => r.total));
    console.log(`\n${label}: CPU p50 ${fmt(s.p50, 3)} p95 ${fmt(s.p95, 3)} p99 ${fmt(s.p99, 3)} ms (cut ${fmt(cut, 3)}); GCs ${probe.gcs.length} in ${MINTS} mints; heap used ${fmt(probe.heap.heapUsed / 2 ** 20, 1)} MiB`);
    describe('slowest 5%', slow);
    describe('rest', rest);
    // Are the slow ones evenly spread or periodic?
    const idx = rows.map((r, i) => (r.total >= cut ? i : -1)).filter((i) => i >= 0);
    const gaps = idx.slice(1).map((v, i) => v - idx[i]);
    console.log(`  slow request indices (first 40): ${idx.slice(0, 40).join(' ')}`);
    console.log(`  gaps between slow requests: ${JSON.stringify(summarize(gaps))}`);
    const gcIdx = rows.map((r, i) => (r.gcs.length ? i : -1)).filter((i) => i >= 0);
    console.log(`  requests with a GC (first 40): ${gcIdx.slice(0, 40).join(' ')}`);
    return rows;
  };
  console.log(`load before ${loadavgText()}`);
  if (MODE !== 'refresh') await run('mint (new user)', (b, i) => ({ id: `user-${b}-${i}`, email: `u${b}-${i}@example.com`, name: 'Bench User' }));
  if (MODE !== 'new') await run('refresh (same user)', () => ({ id: 'user-refresh', email: 'refresh@example.com', name: 'Bench User' }));
  console.log(`load after ${loadavgText()}`);
}

runMain(main);
