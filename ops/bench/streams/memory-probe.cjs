// Preloaded into the Parley server by bench.mjs (`node --expose-gc --require memory-probe.cjs
// backend/dist/main.js`, with an IPC channel): answers {type:'memory', gc} with the process's own
// `process.memoryUsage()` — after a full garbage collection when asked, so heap figures are live
// objects, not garbage waiting for the next collection; {type:'snapshot', file} writes a heap
// snapshot (bench.mjs --heap-profile). Touches nothing else in the app.
const v8 = require('node:v8');

if (process.send) {
  process.on('message', (message) => {
    if (message?.type === 'snapshot') {
      v8.writeHeapSnapshot(message.file);
      process.send({ type: 'snapshot', id: message.id });
      return;
    }
    if (!message || message.type !== 'memory') return;
    if (message.gc && typeof global.gc === 'function') {
      global.gc();
      global.gc();
    }
    process.send({ type: 'memory', id: message.id, usage: process.memoryUsage(), resources: process.getActiveResourcesInfo().length });
  });
  // The channel must not keep the server alive once it shuts down.
  process.channel?.unref();
}
