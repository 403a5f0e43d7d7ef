#!/usr/bin/env node
// Where a tool step's main-thread CPU goes: the built app under `node --cpu-prof` (production mode,
// PostgreSQL), the scripted model (ops/lib/fake-openai.mjs) and a loopback tool as in bench.mjs.
// After a warm-up it runs N plain turns, pauses, then N turns with one tool call, pauses, and stops
// the app; the profile is split at the pauses and the self time per turn of each phase is printed
// by owner (package / Parley file) and by function, with the difference tool − plain: what one
// tool step costs on the main thread (the second model round included).
//   node ops/bench/agent/profile-tool-step.mjs [--turns=1000] [--warmup=300] [--top=40]
//   env: BENCH_DATABASE_URL (else a throwaway cluster)
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeOpenAI } from '../../lib/fake-openai.mjs';
import { api, chatMessage, codeOwner, numberOption, registerOwner, request, runMain, sleep, startApp, startPostgres } from '../load/harness.mjs';

const TURNS = numberOption('turns', 1000);
const WARMUP = numberOption('warmup', 300);
const TOP = numberOption('top', 40);
const PAUSE_MS = 1500;

/** Splits the profile at idle stretches longer than `gapMs`; per segment, self ms by owner and by function. */
function segments(file, gapMs) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = [];
  let current = null;
  let idleSince = null;
  let t = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    t += dt;
    const { callFrame } = byId.get(id);
    if (callFrame.functionName === '(idle)') {
      idleSince ??= t;
      return;
    }
    if (current === null || (idleSince !== null && t - idleSince > gapMs)) {
      current = { byOwner: new Map(), byFunction: new Map(), total: 0 };
      out.push(current);
    }
    idleSince = null;
    const o = codeOwner(callFrame.url, callFrame.functionName);
    const label = `${callFrame.functionName || '(anonymous)'} ${o}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
    current.byOwner.set(o, (current.byOwner.get(o) ?? 0) + dt);
    current.byFunction.set(label, (current.byFunction.get(label) ?? 0) + dt);
    current.total += dt;
  });
  return out;
}

async function main() {
  const pg = await startPostgres();
  const model = await startFakeOpenAI();
  const tool = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: req.url.split('/').pop(), stock: 12 })));
  await new Promise((resolve) => tool.listen(0, '127.0.0.1', resolve));
  const toolOrigin = `http://127.0.0.1:${tool.address().port}`;
  const dir = mkdtempSync(join(tmpdir(), 'parley-tool-prof-'));
  const app = await startApp({ dbUrl: pg.url, env: { LOG_LEVEL: 'warn' }, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  const ownerAccount = await registerOwner(app.origin, 'toolprof');
  const wf = await api(app.origin, 'POST', '/api/workflows', {
    token: ownerAccount.accessToken,
    body: {
      name: 'profile agent',
      runner: {
        kind: 'agent',
        provider: 'compatible',
        model: 'fake',
        baseUrl: model.baseUrl,
        tools: [{ type: 'http', name: 'get_item', method: 'GET', url: `${toolOrigin}/items/{id}`, parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } }],
      },
    },
  });
  const { token } = await api(app.origin, 'POST', `/api/workflows/${wf.id}/chatkit/session`, { token: ownerAccount.accessToken, body: {} });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const turn = async (text) => {
    const res = await request(agent, app.origin, { method: 'POST', path: '/api/chatkit', headers: { authorization: `Bearer ${token}` }, body: { type: 'threads.create', params: { input: chatMessage(text) } } });
    if (res.status !== 200 || res.text.includes('"type":"error"')) throw new Error(`turn answered ${res.status}: ${res.text.slice(0, 300)}`);
    return res;
  };
  for (let i = 0; i < WARMUP; i += 1) {
    await turn('hello there');
    const res = await turn(`/tool get_item {"id":"w${i}"}`);
    if (!res.text.includes('get_item returned')) throw new Error('the tool turn did not call the tool');
  }
  await sleep(PAUSE_MS);
  for (let i = 0; i < TURNS; i += 1) await turn('hello there');
  await sleep(PAUSE_MS);
  for (let i = 0; i < TURNS; i += 1) await turn(`/tool get_item {"id":"${i}"}`);
  await sleep(PAUSE_MS);
  await app.stop(20_000);
  await model.close();
  tool.close();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  const segs = segments(join(dir, file), PAUSE_MS * 0.8);
  if (segs.length < 3) throw new Error(`expected 3+ busy stretches in the profile, found ${segs.length}`);
  const [plain, withTool] = segs.slice(-3, -1).length === 2 && segs.at(-1).total < 50 ? segs.slice(-3, -1) : segs.slice(-2);
  const per = (ms) => (ms / TURNS).toFixed(3);
  console.log(`profile ${join(dir, file)}: main-thread ms per turn — plain ${per(plain.total)}, one tool call ${per(withTool.total)}, difference ${per(withTool.total - plain.total)}`);
  const diff = (a, b) => {
    const keys = new Set([...a.keys(), ...b.keys()]);
    return [...keys].map((k) => [k, (b.get(k) ?? 0) - (a.get(k) ?? 0), a.get(k) ?? 0, b.get(k) ?? 0]).sort((x, y) => y[1] - x[1]);
  };
  console.log('\nby owner, ms per turn: tool − plain (plain, tool)');
  for (const [k, d, a, b] of diff(plain.byOwner, withTool.byOwner).slice(0, 30)) console.log(`  ${per(d).padStart(7)}  (${per(a)}, ${per(b)})  ${k}`);
  console.log('\nby function, ms per turn: tool − plain (plain, tool)');
  for (const [k, d, a, b] of diff(plain.byFunction, withTool.byFunction).slice(0, TOP)) console.log(`  ${per(d).padStart(7)}  (${per(a)}, ${per(b)})  ${k}`);
}

runMain(main);
