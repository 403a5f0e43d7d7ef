// The "direct" side of the auth benchmark, in its own process so its CPU is its own: the built
// Nest app loaded without HTTP (`NestFactory.createApplicationContext(AppModule)` from
// backend/dist, the same env and database as the server), answering `threads.list` exactly as the
// ChatKit controller does once a request is authenticated and its context resolved — the
// service's protocol processor with a ChatContext, then JSON.stringify — and, as a second
// reference, the repository's bare `listThreads` statement through the same `pg` pool.
//
// IPC: {type:'init', workflowId, visitorId} → {type:'ready'};
//      {type:'run', mode:'direct'|'sql', seconds, warmupSeconds, concurrency} →
//      {type:'result', latencies:[ms…], ops, cpuMs}.
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DIST, requireBackend } from '../load/harness.mjs';

const require = createRequire(import.meta.url);
const { NestFactory } = requireBackend('@nestjs/core');
const { AppModule } = require(join(DIST, 'app.module.js'));
const { ChatKitService } = require(join(DIST, 'chatkit/chatkit.service.js'));
const { WorkflowsService } = require(join(DIST, 'workflows/workflows.service.js'));
const { TranscriptRepository } = require(join(DIST, 'transcript/transcript.repository.js'));

const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
const chatkit = app.get(ChatKitService);
const workflows = app.get(WorkflowsService);
const repository = app.get(TranscriptRepository);
let ctx = null;

const BODY = { type: 'threads.list', params: { limit: 20 } };

/** What the controller runs after auth: the processor on a parsed body, then the JSON text. */
async function direct() {
  const result = await chatkit.processor.process(structuredClone(BODY), ctx, {});
  return JSON.stringify(result.body).length;
}

/** The store's statement alone (page of 20 + 1, newest first), through TypeORM's pg pool. */
async function sqlOnly() {
  return (await repository.listThreads(ctx.scope, 21, 'desc', null)).length;
}

async function run({ mode, seconds, warmupSeconds, concurrency }) {
  const op = mode === 'sql' ? sqlOnly : direct;
  const latencies = [];
  let ops = 0;
  const warmEnds = Date.now() + warmupSeconds * 1000;
  const ends = warmEnds + seconds * 1000;
  let cpuStart = null;
  setTimeout(() => (cpuStart = process.cpuUsage()), warmupSeconds * 1000);
  async function loop() {
    while (Date.now() < ends) {
      const started = process.hrtime.bigint();
      await op();
      const now = Date.now();
      if (now >= warmEnds && now < ends) {
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        ops++;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop));
  const cpu = process.cpuUsage(cpuStart);
  return { latencies, ops, cpuMs: (cpu.user + cpu.system) / 1000 };
}

process.on('message', async (message) => {
  try {
    if (message.type === 'init') {
      const workflow = await workflows.findById(message.workflowId);
      const principal = { kind: 'visitor', visitorId: message.visitorId, workflowId: message.workflowId, publishLinkId: 'bench-direct' };
      ctx = { workflow, scope: { workflowId: workflow.id, principal: { kind: 'visitor', id: message.visitorId } }, principal, requestId: 'bench-direct' };
      // One call of each, so a broken setup fails here, not in the middle of a measurement.
      if (!(await direct()) || !(await sqlOnly())) throw new Error('threads.list answered nothing');
      process.send({ type: 'ready' });
    } else if (message.type === 'run') {
      process.send({ type: 'result', ...(await run(message)) });
    }
  } catch (error) {
    process.send({ type: 'error', message: error instanceof Error ? error.stack : String(error) });
  }
});
process.on('disconnect', () => app.close().finally(() => process.exit(0)));
process.send({ type: 'loaded' });
