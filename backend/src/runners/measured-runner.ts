import type { ParleyMetrics } from '../metrics/parley-metrics';
import type { Runner } from '../chat-protocol/runner';
import type {
  Action,
  AudioInput,
  StreamOptions,
  SyncCustomActionResponse,
  ThreadMetadata,
  ThreadStreamEvent,
  TranscriptionResult,
  UserMessageItem,
  WidgetItem,
} from '../chat-protocol/types';

/** The runner label: `echo`, `agent`, `webhook`, or the provider of a model runner (`openai`, `gemini`, `compatible`). */
export type RunnerLabel = 'echo' | 'openai' | 'gemini' | 'compatible' | 'agent' | 'webhook';

/**
 * Wraps a runner's streaming calls to record latency (first event, whole run) and failures —
 * an exception, or an `error` event the runner yields itself (how model runners report provider
 * errors). Events pass through unchanged, in order; nothing is buffered. `startsBeforeStored`: the
 * wrapped runner's promise (`Runner.startsBeforeStored`), kept through the wrapper (the runner's own by default).
 */
export function measuredRunner<Ctx>(
  runner: Runner<Ctx>,
  label: RunnerLabel,
  metrics: ParleyMetrics,
  startsBeforeStored = runner.startsBeforeStored === true,
): Runner<Ctx> {
  return new MeasuredRunner(runner, label, metrics, startsBeforeStored);
}

/**
 * The wrapper: methods on its prototype (built for each request's runner, it is one small object, not an object
 * and a closure per method). Optional methods the wrapped runner lacks read as absent here too.
 */
class MeasuredRunner<Ctx> implements Runner<Ctx> {
  constructor(
    private readonly runner: Runner<Ctx>,
    private readonly label: RunnerLabel,
    private readonly metrics: ParleyMetrics,
    readonly startsBeforeStored: boolean,
  ) {}

  respond(thread: ThreadMetadata, userMessage: UserMessageItem | null, ctx: Ctx, signal: AbortSignal): AsyncIterable<ThreadStreamEvent> {
    return this.measure(() => this.runner.respond(thread, userMessage, ctx, signal));
  }

  action(thread: ThreadMetadata, action: Action, sender: WidgetItem | null, ctx: Ctx, signal: AbortSignal): AsyncIterable<ThreadStreamEvent> {
    return this.measure(() => this.runner.action(thread, action, sender, ctx, signal));
  }

  syncAction(thread: ThreadMetadata, action: Action, sender: WidgetItem | null, ctx: Ctx): Promise<SyncCustomActionResponse> {
    return this.runner.syncAction(thread, action, sender, ctx);
  }

  get prepareAction(): Runner<Ctx>['prepareAction'] {
    return this.runner.prepareAction ? this.prepareWrapped : undefined;
  }

  get transcribe(): Runner<Ctx>['transcribe'] {
    return this.runner.transcribe ? this.transcribeWrapped : undefined;
  }

  get streamOptions(): Runner<Ctx>['streamOptions'] {
    return this.runner.streamOptions ? this.streamOptionsWrapped : undefined;
  }

  private prepareWrapped(thread: ThreadMetadata, action: Action, sender: WidgetItem | null, ctx: Ctx): Promise<void> {
    return this.runner.prepareAction!(thread, action, sender, ctx);
  }

  private transcribeWrapped(audio: AudioInput, ctx: Ctx): Promise<TranscriptionResult> {
    return this.runner.transcribe!(audio, ctx);
  }

  private streamOptionsWrapped(thread: ThreadMetadata, ctx: Ctx): StreamOptions {
    return this.runner.streamOptions!(thread, ctx);
  }

  private measure(produce: () => AsyncIterable<ThreadStreamEvent>): AsyncIterable<ThreadStreamEvent> {
    return new MeasuredRun(produce, this.label, this.metrics);
  }
}

/**
 * One measured run: the runner's iterator, passed through. A plain iterator object rather than an async generator
 * around a `for await`: an idle stream (the runner waiting for its model) then holds this object, not a generator
 * frame and its pending promises (docs/performance.md, idle open streams). Same accounting as that generator had:
 * the clock starts at the first `next()`; the first event, then the end (`ok`), an exception or an `error` event
 * (`error`), or `return()` before the end (`cancelled`, after the runner's own `return()` settled) are recorded once.
 */
class MeasuredRun implements AsyncIterator<ThreadStreamEvent>, AsyncIterable<ThreadStreamEvent> {
  private inner: AsyncIterator<ThreadStreamEvent> | null = null;
  private start = 0n;
  private first = true;
  private sawError = false;
  private finished = false;

  constructor(
    private readonly produce: () => AsyncIterable<ThreadStreamEvent>,
    private readonly runner: RunnerLabel,
    private readonly metrics: ParleyMetrics,
  ) {}

  /** Iterated once, by the processor: the run is its own iterator (one object fewer per run). */
  [Symbol.asyncIterator](): AsyncIterator<ThreadStreamEvent> {
    return this;
  }

  next(): Promise<IteratorResult<ThreadStreamEvent>> {
    if (this.finished) return Promise.resolve({ done: true, value: undefined });
    let step: Promise<IteratorResult<ThreadStreamEvent>>;
    try {
      if (!this.inner) {
        this.start = process.hrtime.bigint();
        this.inner = this.produce()[Symbol.asyncIterator]();
      }
      step = this.inner.next();
    } catch (error) {
      this.finish('error');
      return Promise.reject(error);
    }
    return step.then(
      (result) => this.onStep(result),
      (error: unknown) => {
        this.finish('error');
        throw error;
      },
    );
  }

  return(value?: unknown): Promise<IteratorResult<ThreadStreamEvent>> {
    const inner = this.inner;
    const done: IteratorResult<ThreadStreamEvent> = { done: true, value };
    if (!inner || this.finished) {
      this.finished = true;
      return Promise.resolve(done);
    }
    const closed = (): IteratorResult<ThreadStreamEvent> => {
      // Left unfinished (the consumer stopped: a cancel or a server-ended stream) stays `cancelled`.
      this.finish(this.sawError ? 'error' : 'cancelled');
      return done;
    };
    let closing: Promise<unknown>;
    try {
      closing = Promise.resolve(inner.return?.());
    } catch (error) {
      closing = Promise.reject(error);
    }
    return closing.then(closed, (error: unknown) => {
      closed();
      throw error;
    });
  }

  private onStep(result: IteratorResult<ThreadStreamEvent>): IteratorResult<ThreadStreamEvent> {
    if (this.finished) return result;
    if (result.done) {
      this.finish(this.sawError ? 'error' : 'ok');
      return result;
    }
    if (this.first) {
      this.first = false;
      this.metrics.runnerFirstEvent.observe({ runner: this.runner }, this.elapsed());
    }
    if (result.value.type === 'error') this.sawError = true;
    return result;
  }

  private finish(outcome: 'ok' | 'error' | 'cancelled'): void {
    if (this.finished) return;
    this.finished = true;
    this.metrics.runnerDuration.observe({ runner: this.runner, outcome }, this.elapsed());
    if (outcome === 'error') this.metrics.runnerErrors.inc({ runner: this.runner });
  }

  private elapsed(): number {
    return Number(process.hrtime.bigint() - this.start) / 1e9;
  }
}
