import { ParleyMetrics } from '../metrics/parley-metrics';
import type { Runner } from '../chat-protocol/runner';
import type { ThreadStreamEvent } from '../chat-protocol/types';
import { measuredRunner } from './measured-runner';

type Ctx = Record<string, never>;

function runnerOf(produce: () => AsyncIterable<ThreadStreamEvent>): Runner<Ctx> {
  return {
    respond: () => produce(),
    action: () => produce(),
    syncAction: () => Promise.resolve({ updated_item: null } as never),
  };
}

async function drain(events: AsyncIterable<ThreadStreamEvent>, stopAfter = Infinity): Promise<ThreadStreamEvent[]> {
  const seen: ThreadStreamEvent[] = [];
  for await (const event of events) {
    seen.push(event);
    if (seen.length >= stopAfter) break;
  }
  return seen;
}

const NOTICE: ThreadStreamEvent = { type: 'notice', level: 'info', message: 'hi' };
const ERROR: ThreadStreamEvent = { type: 'error', code: 'custom', message: 'upstream failed', allow_retry: true };
const signal = new AbortController().signal;
const thread = {} as never;

/** A counter's value, or a histogram's observation count, for the samples matching `labels`. */
async function count(metrics: ParleyMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)!.get();
  const isCount = (v: (typeof metric.values)[number]): boolean => !('metricName' in v) || String(v.metricName).endsWith('_count');
  return metric.values
    .filter((v) => isCount(v) && Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('measuredRunner', () => {
  it('passes events through unchanged and records latency with outcome ok', async () => {
    const metrics = new ParleyMetrics();
    const runner = measuredRunner(runnerOf(async function* () {
      yield NOTICE;
      yield NOTICE;
    }), 'echo', metrics);
    expect(await drain(runner.respond(thread, null, {}, signal))).toEqual([NOTICE, NOTICE]);
    expect(await count(metrics, 'parley_runner_duration_seconds', { runner: 'echo', outcome: 'ok' })).toBe(1);
    expect(await count(metrics, 'parley_runner_first_event_seconds', { runner: 'echo' })).toBe(1);
    expect(await count(metrics, 'parley_runner_errors_total', { runner: 'echo' })).toBe(0);
  });

  it('counts an error event the runner yields as a failure', async () => {
    const metrics = new ParleyMetrics();
    const runner = measuredRunner(runnerOf(async function* () {
      yield NOTICE;
      yield ERROR;
    }), 'openai', metrics);
    expect(await drain(runner.respond(thread, null, {}, signal))).toEqual([NOTICE, ERROR]);
    expect(await count(metrics, 'parley_runner_errors_total', { runner: 'openai' })).toBe(1);
    expect(await count(metrics, 'parley_runner_duration_seconds', { runner: 'openai', outcome: 'error' })).toBe(1);
  });

  it('counts an exception as a failure and rethrows it', async () => {
    const metrics = new ParleyMetrics();
    const runner = measuredRunner(runnerOf(async function* () {
      yield NOTICE;
      throw new Error('boom');
    }), 'compatible', metrics);
    await expect(drain(runner.action(thread, { type: 'x' } as never, null, {}, signal))).rejects.toThrow('boom');
    expect(await count(metrics, 'parley_runner_errors_total', { runner: 'compatible' })).toBe(1);
  });

  it('records a run the consumer abandoned as cancelled, not as an error', async () => {
    const metrics = new ParleyMetrics();
    const runner = measuredRunner(runnerOf(async function* () {
      for (;;) yield NOTICE;
    }), 'gemini', metrics);
    expect(await drain(runner.respond(thread, null, {}, signal), 3)).toHaveLength(3);
    expect(await count(metrics, 'parley_runner_duration_seconds', { runner: 'gemini', outcome: 'cancelled' })).toBe(1);
    expect(await count(metrics, 'parley_runner_errors_total', { runner: 'gemini' })).toBe(0);
  });

  it('keeps the optional methods the wrapped runner has (called on it), absent ones absent, and startsBeforeStored', async () => {
    const metrics = new ParleyMetrics();
    const calls: string[] = [];
    const full: Runner<Ctx> = {
      ...runnerOf(async function* () {
        yield NOTICE;
      }),
      prepareAction: async () => {
        calls.push('prepareAction');
      },
      transcribe: async () => {
        calls.push('transcribe');
        return { text: 'heard' };
      },
      streamOptions: () => ({ allow_cancel: false }),
    };
    const wrapped = measuredRunner(full, 'openai', metrics);
    await wrapped.prepareAction!(thread, { type: 'x' } as never, null, {});
    expect(await wrapped.transcribe!({ data: Buffer.alloc(1), mime_type: 'audio/webm' }, {})).toEqual({ text: 'heard' });
    expect(wrapped.streamOptions!(thread, {})).toEqual({ allow_cancel: false });
    expect(calls).toEqual(['prepareAction', 'transcribe']);
    expect(wrapped.startsBeforeStored).toBe(false);

    const bare = measuredRunner(runnerOf(async function* () {}), 'echo', metrics, true);
    expect([bare.prepareAction, bare.transcribe, bare.streamOptions]).toEqual([undefined, undefined, undefined]);
    expect(bare.startsBeforeStored).toBe(true);
  });
});
