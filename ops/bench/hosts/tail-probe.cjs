// Preloaded into the app by tail-mint.mjs (`node --require`): records, per HTTP request, when it
// arrived and finished and the process CPU (process.cpuUsage, all threads) at both points, and every
// garbage collection (perf_hooks 'gc' entries: start, duration, kind). On SIGWINCH it writes them as
// JSON to MINT_PROBE_OUT and starts over. Diagnostic only; never loaded by the app itself.
'use strict';
const http = require('node:http');
const { readFileSync, writeFileSync } = require('node:fs');
const mainStat = `/proc/self/task/${process.pid}/schedstat`;
const mainNs = () => Number(readFileSync(mainStat, 'utf8').split(' ')[0]);
const { constants } = require('node:perf_hooks');

let requests = [];
let gcs = [];
const kinds = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ start: e.startTime, ms: e.duration, kind: kinds[e.detail?.kind ?? e.kind] ?? String(e.detail?.kind) });
}).observe({ entryTypes: ['gc'] });

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, res) {
  if (event === 'request') {
    const entry = { url: req.url, start: performance.now(), cpu0: process.cpuUsage(), main0: mainNs(), end: 0, cpuUs: 0, mainUs: 0 };
    requests.push(entry);
    res.once('finish', () => {
      entry.end = performance.now();
      const c = process.cpuUsage(entry.cpu0);
      entry.cpuUs = c.user + c.system;
      entry.mainUs = (mainNs() - entry.main0) / 1000;
      delete entry.cpu0;
    });
  }
  return emit.apply(this, arguments);
};

process.on('SIGWINCH', () => {
  writeFileSync(process.env.MINT_PROBE_OUT, JSON.stringify({ requests, gcs, heap: process.memoryUsage() }));
  requests = [];
  gcs = [];
});
