/**
 * Run by promise-hooks.e2e-spec.ts in a child process (jest itself runs every test inside an AsyncLocalStorage,
 * which turns promise hooks on in its own process): the real app serves requests — a 404, an owner's sign-up and
 * workflow, a chat stream, a refused refresh — with request logging on, and this reports the async id promise
 * reactions run in, before any request, inside a request handler and after the requests, as one JSON line.
 *
 * 0 means no async hook tracks promises: V8's promise hooks are off. Any `AsyncLocalStorage.run`/`enterWith` (or
 * an async hook with an `init` callback) turns them on for the rest of the process, for every promise. The last
 * figure, measured after the probe turns them on itself, shows the probe sees it.
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { AsyncLocalStorage, executionAsyncId } from 'node:async_hooks';
import { Writable } from 'node:stream';
import request from 'supertest';
import { Public } from '../../src/common/http/public.decorator';
import { LOG_DESTINATION } from '../../src/logging/log-destination';
import { chatkit, chatter, createThread } from '../chatkit/helpers';
import { createTestApp } from '../setup/test-app';

/** The async id a promise reaction runs in (non-zero only when promise hooks assign promises ids). */
function promiseReactionAsyncId(): Promise<number> {
  return new Promise((resolve) => {
    void Promise.resolve().then(() => resolve(executionAsyncId()));
  });
}

@Controller('promise-hooks-probe')
class ProbeController {
  @Public()
  @Get()
  async probe(): Promise<{ asyncId: number }> {
    return { asyncId: await promiseReactionAsyncId() };
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

async function main(): Promise<void> {
  const beforeRequests = await promiseReactionAsyncId();
  let lines = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines += chunk.toString().split('\n').length - 1;
      done();
    },
  });
  const t = await createTestApp({ env: { LOG_LEVEL: 'debug' }, imports: [ProbeModule], override: (b) => b.overrideProvider(LOG_DESTINATION).useValue(sink) });
  const http = () => request(t.app.getHttpServer());
  const inRequest: number[] = [];
  try {
    inRequest.push(((await http().get('/promise-hooks-probe').expect(200)).body as { asyncId: number }).asyncId);
    await http().get('/no-such-route').expect(404);
    const { token } = await chatter(t);
    const { threadId } = await createThread(t.baseUrl, token, 'probe');
    await chatkit(t.baseUrl, token, { type: 'items.list', params: { thread_id: threadId } });
    await http().post('/api/auth/refresh').set('Cookie', 'parley_refresh=rt_unknown').expect((res) => res.status >= 400);
    inRequest.push(((await http().get('/promise-hooks-probe').expect(200)).body as { asyncId: number }).asyncId);
  } finally {
    await t.close();
  }
  const afterRequests = await promiseReactionAsyncId();
  new AsyncLocalStorage().run(null, () => undefined);
  const afterAsyncLocalStorage = await promiseReactionAsyncId();
  process.stdout.write(`${JSON.stringify({ beforeRequests, inRequest, afterRequests, afterAsyncLocalStorage, logLines: lines })}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
