#!/usr/bin/env node
// `npm run size -w canvas-host` (after building both front ends): gzip sizes of the JavaScript each page needs
// before it can render, against the budgets of issue 7:
// - the public chat page's initial JS ≤ 60 KB gzip, excluding React and the widget remote;
// - the widget remote's lite renderer ≤ 30 KB gzip beyond the shared React.
// "Initial" = the entry script and every module it preloads (read from dist/index.html) plus the code-split page
// chunk and its static imports (read from dist/.vite/manifest.json). Shared React is listed apart.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const hostDist = resolve(here, '..', 'dist');
const remoteDist = resolve(here, '..', '..', 'widget-remote', 'dist');
const BUDGET = { publicPage: 60 * 1024, liteRenderer: 30 * 1024 };

for (const dir of [hostDist, remoteDist]) {
  if (!existsSync(dir)) {
    console.error(`${dir} is missing: run \`npm run build -w widget-remote -w canvas-host\` first.`);
    process.exit(2);
  }
}

const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
/** React and react-dom as the federation plugin packages them for sharing (`loadShare__react…`, `prebuild__react…`). */
const isReact = (file) => /(loadShare|prebuild)__react|(^|\/)react(-dom)?-[\w-]+\.js$/.test(file);

function hostInitial(pageSrc) {
  const html = readFileSync(join(hostDist, 'index.html'), 'utf8');
  const files = new Set(
    [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="\/([^"]+\.js)"/g)].map((m) => m[1]),
  );
  const manifest = JSON.parse(readFileSync(join(hostDist, '.vite', 'manifest.json'), 'utf8'));
  const visit = (key) => {
    const chunk = manifest[key];
    if (!chunk || files.has(chunk.file)) return;
    files.add(chunk.file);
    (chunk.imports ?? []).forEach(visit);
  };
  visit(pageSrc);
  return summarize(hostDist, [...files]);
}

function remoteFirstOpen() {
  const manifest = JSON.parse(readFileSync(join(remoteDist, 'mf-manifest.json'), 'utf8'));
  const expose = manifest.exposes.find((e) => e.name === 'ChatWidget');
  // The entry, the expose's static imports, and its lazy ones except ChatKit's renderer (shared React is only
  // fetched from the remote when the host does not provide it).
  const lazy = expose.assets.js.async.filter((f) => !/ChatKitRenderer-/.test(f));
  const files = new Set([manifest.metaData.remoteEntry.name, ...expose.assets.js.sync, ...lazy]);
  const summary = summarize(remoteDist, [...files]);
  summary.widget = gz(join(remoteDist, expose.assets.js.sync.find((f) => /ChatWidget-/.test(f))));
  summary.chatkitChunk = expose.assets.js.async.filter((f) => /ChatKitRenderer-/.test(f)).reduce((n, f) => n + gz(join(remoteDist, f)), 0);
  return summary;
}

function summarize(dir, files) {
  let own = 0;
  let react = 0;
  for (const file of files) {
    if (isReact(file)) react += gz(join(dir, file));
    else own += gz(join(dir, file));
  }
  return { own, react, files: files.length };
}

const publicPage = hostInitial('src/public/PublicChatPage.tsx');
const ownerApp = hostInitial('src/owner/OwnerApp.tsx');
const remote = remoteFirstOpen();

const rows = [
  ['public page /chat/:id, initial JS (no React, no remote)', publicPage.own, BUDGET.publicPage],
  ['owner app, initial JS (no React, no remote)', ownerApp.own, undefined],
  ['shared React (react, react-dom, jsx-runtime), host', publicPage.react, undefined],
  ['remote on first open: entry + federation runtime + widget (no React)', remote.own, undefined],
  ['  of which the widget chunk (lite renderer + shell)', remote.widget, BUDGET.liteRenderer],
  ['  ChatKit renderer chunk (loaded only for ChatKit)', remote.chatkitChunk, undefined],
];
let failed = false;
for (const [label, bytes, budget] of rows) {
  const over = budget !== undefined && bytes > budget;
  failed ||= over;
  console.log(`${label.padEnd(70)} ${kb(bytes).padStart(9)}${budget ? `  (budget ${kb(budget)}${over ? ', OVER' : ''})` : ''}`);
}
process.exit(failed ? 1 : 0);
