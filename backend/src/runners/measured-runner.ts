import type { ParleyMetrics } from '../metrics/parley-metrics';
import type { Runner } from '../chat-protocol/runner';
import type { ThreadStreamEvent } from '../chat-protocol/types';

/** The runner label: `echo`, `agent`, `webhook`, or the provider of a model runner (`openai`, `gemini`, `compatible`). */
export type RunnerLabel = 'echo' | 'openai' | 'gemini' | 'compatible' | 'agent' | 'webhook';

/**
 * Wraps a runner's streaming calls to record latency (first event, whole run) and failures —
 * an exception, or an `error` event the runner yields itself (how model runners report provider
 * errors). Events pass through unchanged, in order; nothing is buffered.
 */
export function measuredRunner<Ctx>(runner: Runner<Ctx>, label: RunnerLabel, metrics: ParleyMetrics): Runner<Ctx> {
  const measure = (produce: () => AsyncIterable<ThreadStreamEvent>): AsyncIterable<ThreadStreamEvent> => ({
    [Symbol.asyncIterator]: () => measureRun(produce, label, metrics),
  });
  const wrapped: Runner<Ctx> = {
    respond: (thread, userMessage, ctx, signal) => measure(() => runner.respond(thread, userMessage, ctx, signal)),
    action: (thread, action, sender, ctx, signal) => measure(() => runner.action(thread, action, sender, ctx, signal)),
    syncAction: (thread, action, sender, ctx) => runner.syncAction(thread, action, sender, ctx),
  };
  if (runner.prepareAction) wrapped.prepareAction = (thread, action, sender, ctx) => runner.prepareAction!(thread, action, sender, ctx);
  if (runner.transcribe) wrapped.transcribe = (audio, ctx) => runner.transcribe!(audio, ctx);
  if (runner.streamOptions) wrapped.streamOptions = (thread, ctx) => runner.streamOptions!(thread, ctx);
  return wrapped;
}

async function* measureRun(produce: () => AsyncIterable<ThreadStreamEvent>, runner: RunnerLabel, metrics: ParleyMetrics): AsyncGenerator<ThreadStreamEvent> {
  const start = process.hrtime.bigint();
  const elapsed = (): number => Number(process.hrtime.bigint() - start) / 1e9;
  let first = true;
  let outcome: 'ok' | 'error' | 'cancelled' = 'cancelled';
  try {
    for await (const event of produce()) {
      if (first) {
        first = false;
        metrics.runnerFirstEvent.observe({ runner }, elapsed());
      }
      if (event.type === 'error') outcome = 'error';
      yield event;
    }
    if (outcome !== 'error') outcome = 'ok';
  } catch (error) {
    outcome = 'error';
    throw error;
  } finally {
    // Left unfinished (the consumer stopped: a cancel or a server-ended stream) stays `cancelled`.
    metrics.runnerDuration.observe({ runner, outcome }, elapsed());
    if (outcome === 'error') metrics.runnerErrors.inc({ runner });
  }
}
