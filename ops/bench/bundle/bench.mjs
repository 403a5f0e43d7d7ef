#!/usr/bin/env node
/* global document, requestAnimationFrame -- page.evaluate callbacks run in the browser */
// `npm run bench:bundle [-- --runs N] [-- --write]`: front-end weight and speed (issue 7).
// - gzip sizes against the budgets, from canvas-host/scripts/bundle-size.mjs (public page initial JS ≤ 60 KB,
//   lite renderer ≤ 30 KB beyond shared React), plus every chunk of the remote and embed.js;
// - on loopback with a real server and Chromium: the time from the bubble click to the chat being ready
//   (composer shown) and to the first rendered assistant message (click → type → send → first echo text), for a
//   cold browser (remote not cached) and warm runs (page reloaded, HTTP cache kept).
// `--write` replaces the "Front end" figures block in docs/performance.md.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { api, buildAll, newBrowser, root, startServer } from '../../browser/lib.mjs';

const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 7;
const write = argv.includes('--write');
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const gz = (f) => gzipSync(readFileSync(f), { level: 9 }).length;

buildAll((l) => console.log(`# ${l}`));

// 1. Sizes.
const size = spawnSync(process.execPath, [join(root, 'canvas-host/scripts/bundle-size.mjs')], { encoding: 'utf8' });
const sizeLines = size.stdout.trim().split('\n').filter(Boolean);
const figure = (re) => {
  const line = sizeLines.find((l) => re.test(l));
  const m = line && /([\d.]+) KB/.exec(line.slice(60));
  return m ? Number(m[1]) * 1024 : NaN;
};
const publicPage = figure(/^public page/);
const lite = figure(/of which the widget chunk/);
const remoteDist = join(root, 'widget-remote/dist');
const chunks = readdirSync(join(remoteDist, 'assets'))
  .filter((f) => f.endsWith('.js'))
  .map((f) => ({ file: `assets/${f}`, bytes: gz(join(remoteDist, 'assets', f)) }))
  .concat([{ file: 'remoteEntry.js', bytes: gz(join(remoteDist, 'remoteEntry.js')) }, { file: 'embed.js', bytes: gz(join(remoteDist, 'embed.js')) }])
  .sort((a, b) => b.bytes - a.bytes);

// 2. Bubble click → first rendered message.
const server = await startServer({ name: 'bench-server', env: { RATE_LIMIT_PER_PRINCIPAL: '100000', RATE_LIMIT_PER_IP: '100000' } });
const samples = { ready: [], message: [] };
let browser;
try {
  const client = api(server.base);
  const email = `bench-${Date.now()}@example.com`;
  const password = 'correct-horse-battery-staple';
  const token = await client.owner(email, password);
  const wf = await client.echoWorkflow(token, 'Bench echo');
  browser = await newBrowser('bench');
  const p = browser.page;
  await p.goto(`${server.base}/login`);
  const form = p.getByTestId('sign-in-form');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await p.getByTestId('signed-in-user').waitFor({ timeout: 30_000 });
  for (let i = 0; i < runs; i++) {
    await p.goto(`${server.base}/workflows/${wf.id}`);
    const bubble = p.getByTestId('chat-bubble');
    await bubble.waitFor({ timeout: 30_000 });
    const text = `bench ${i} ${Date.now()}`;
    // Everything after the click runs in the page, so the figures hold no round trips to this process.
    const r = await p.evaluate(async (text) => {
      const q = (sel) => document.querySelector(sel);
      const until = (pred) =>
        new Promise((resolve, reject) => {
          const t0 = performance.now();
          const tick = () => {
            const v = pred();
            if (v) return resolve(v);
            if (performance.now() - t0 > 30_000) return reject(new Error('timeout'));
            requestAnimationFrame(tick);
          };
          tick();
        });
      const start = performance.now();
      q('[data-testid="chat-bubble"]').click();
      const composer = await until(() => q('[data-testid="chat-dialog"] [data-testid="parley-composer"]'));
      const ready = performance.now() - start;
      const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(composer), 'value').set;
      setter.call(composer, text);
      composer.dispatchEvent(new Event('input', { bubbles: true }));
      await until(() => !q('[data-testid="parley-send"]')?.disabled);
      q('[data-testid="parley-send"]').click();
      await until(() =>
        [...document.querySelectorAll('[data-testid="parley-message"][data-role="assistant"]')].some((el) => el.textContent.includes(text.slice(0, 5))),
      );
      return { ready, message: performance.now() - start };
    }, text);
    samples.ready.push(r.ready);
    samples.message.push(r.message);
  }
} finally {
  await browser?.close();
  await server.stop();
}

const median = (a) => {
  const s = a.slice().sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const warm = (k) => samples[k].slice(1);
const ms = (n) => `${n.toFixed(0)} ms`;

const out = [];
out.push(`Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, Chromium headless on loopback, ${runs} runs (first = cold cache).`);
out.push('');
out.push('| figure | value | budget | ratio |');
out.push('|---|---:|---:|---:|');
out.push(`| public page /chat/:id, initial JS (no React, no remote), gzip | ${kb(publicPage)} | 60 KB | ${((publicPage / (60 * 1024)) * 100).toFixed(0)} % |`);
out.push(`| widget chunk: lite renderer + shell (beyond shared React), gzip | ${kb(lite)} | 30 KB | ${((lite / (30 * 1024)) * 100).toFixed(0)} % |`);
for (const l of sizeLines.filter((l) => !/^public page|of which the widget chunk/.test(l))) {
  const label = l.slice(0, 70).trim();
  const value = /([\d.]+ KB)/.exec(l.slice(60))?.[1] ?? '';
  out.push(`| ${label}, gzip | ${value} | | |`);
}
out.push(`| embed.js, gzip | ${kb(chunks.find((c) => c.file === 'embed.js').bytes)} | | |`);
out.push(`| bubble click → chat ready, cold | ${ms(samples.ready[0])} | | |`);
out.push(`| bubble click → chat ready, warm (median of ${runs - 1}) | ${ms(median(warm('ready')))} | | |`);
out.push(`| bubble click → first rendered answer (type + send + echo), cold | ${ms(samples.message[0])} | | |`);
out.push(`| bubble click → first rendered answer, warm (median of ${runs - 1}) | ${ms(median(warm('message')))} | | |`);
out.push('');
out.push('<details><summary>Remote chunks (gzip)</summary>');
out.push('');
out.push('| file | gzip |');
out.push('|---|---:|');
for (const c of chunks) out.push(`| \`${c.file.replace(/_virtual_mf___mfe_internal__parley_widget__mf_owner__\d+__/, 'mf…')}\` | ${kb(c.bytes)} |`);
out.push('');
out.push('</details>');
const text = out.join('\n');
console.log(text);

const over = publicPage > 60 * 1024 || lite > 30 * 1024;
if (write) {
  const file = join(root, 'docs/performance.md');
  const doc = readFileSync(file, 'utf8');
  const start = '<!-- bench:bundle:start (written by `npm run bench:bundle -- --write`) -->';
  const end = '<!-- bench:bundle:end -->';
  const block = `${start}\n${text}\n${end}`;
  const re = /<!-- bench:bundle:start[^>]*-->[\s\S]*?<!-- bench:bundle:end -->/;
  if (!re.test(doc)) {
    console.error('docs/performance.md has no bench:bundle block; add the "Front end" section first.');
    process.exit(2);
  }
  writeFileSync(file, doc.replace(re, block));
  console.log('# docs/performance.md updated');
}
process.exit(over ? 1 : 0);
