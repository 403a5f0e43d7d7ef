import {
  ChatKitCancelledError,
  ChatKitCustomStreamError,
  ChatKitInvalidRequestError,
  ChatKitNotFoundError,
  ChatKitNotSupportedError,
  ChatKitStreamError,
  ChatKitUnknownCursorError,
} from './errors';
import { Clock, IdGenerator, randomIdGenerator, systemClock } from './ids';
import { DEFAULT_PAGE_SIZE, validateChatKitRequest } from './request-validation';
import { markNewThread, type Runner, type RunnerResolver } from './runner';
import { omitNulls } from './sse';
import { offAbort, onAbort } from './stop-signal';
import type { ChatStore, NewThreadItem } from './store';
import {
  Attachment,
  ChatKitRequest,
  isHiddenItem,
  Order,
  Page,
  StreamEventOf,
  StructuredInputItem,
  StructuredInputSubmission,
  Thread,
  ThreadItem,
  ThreadMetadata,
  ThreadStreamEvent,
  UserMessageInput,
  UserMessageItem,
} from './types';

/** What `process` produced: one JSON body, or the events of a `text/event-stream` response. */
export type ChatKitResult =
  | { kind: 'json'; body: Record<string, unknown> }
  | { kind: 'stream'; events: AsyncIterable<ThreadStreamEvent> };

/** Two-phase attachment support; without it `attachments.*` answer `not_supported`. */
export interface ChatKitAttachmentOptions<Ctx> {
  /**
   * Called before an `attachments.create` is accepted: throw to refuse it (size, type, quota),
   * or return server-only metadata to keep with the attachment (never serialised).
   */
  prepare?(params: { name: string; size: number; mime_type: string }, ctx: Ctx): Promise<Record<string, unknown> | void> | Record<string, unknown> | void;
  /** Absolute URL the client PUTs the bytes to, e.g. `${base}/api/chatkit/uploads/${id}`. */
  uploadUrl(attachmentId: string, ctx: Ctx): string;
  /**
   * URL the hosted iframe loads an image preview from. When given, `image/*` uploads become
   * `image` attachments (which require `preview_url`); otherwise every upload is a `file`. It is
   * also called on every image attachment the processor reads back (attachments and user
   * messages), so stored `preview_url`s, which may have expired, are never served.
   */
  previewUrl?(attachmentId: string, ctx: Ctx): string;
  /** Deletes the stored bytes; called before the metadata is deleted. */
  deleteBytes?(attachment: Attachment, ctx: Ctx): Promise<void>;
}

/** Dependencies of `ChatKitProcessor`. */
export interface ChatKitProcessorOptions<Ctx> {
  store: ChatStore<Ctx>;
  runners: RunnerResolver<Ctx>;
  ids?: IdGenerator;
  clock?: Clock;
  attachments?: ChatKitAttachmentOptions<Ctx>;
  /** Called with exceptions turned into in-band `error` events, so the host can log them. */
  onStreamError?(error: unknown, ctx: Ctx): void;
  /** Monotonic milliseconds for answer timings (time to first token); default `performance.now`. */
  monotonicMs?: () => number;
}

/** Per-call options of `process`. */
export interface ProcessOptions {
  /** Aborted when the client disconnects; ends the stream with the cancellation cleanup. */
  signal?: AbortSignal;
}

/** The hidden note appended to a thread whose stream was cancelled (reference wording). */
export const CANCELLED_STREAM_NOTE = 'The user cancelled the stream. Stop responding to the prior request.';

const ABORTED = Symbol('chatkit.aborted');
const NEVER_ABORTED = new AbortController().signal;

/**
 * The ChatKit protocol engine (chatkit-python 1.6.5 `ChatKitServer.process`), without HTTP.
 *
 * Everything that can fail because of the request (validation, the thread, named items and
 * attachments, item-type and state checks) is checked before a stream result is returned, and
 * surfaces as a thrown `ChatKitRequestError`; the host answers it with a JSON error. Once a
 * stream is returned, runner failures become in-band `error` events. Mutations (thread creation,
 * tool-call completion, retry deletion) happen lazily when the stream is consumed, as in the
 * reference generator.
 *
 * JSON bodies are returned with unset fields already omitted; stream events should be written
 * with `encodeEvent`, which omits them.
 */
export class ChatKitProcessor<Ctx> {
  private readonly store: ChatStore<Ctx>;
  private readonly ids: IdGenerator;
  private readonly clock: Clock;
  private readonly monotonicMs: () => number;

  constructor(private readonly options: ChatKitProcessorOptions<Ctx>) {
    this.store = options.store;
    this.ids = options.ids ?? randomIdGenerator;
    this.clock = options.clock ?? systemClock;
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
  }

  /** Validates `body` (parsed JSON) and handles it for the principal `ctx`. */
  async process(body: unknown, ctx: Ctx, options: ProcessOptions = {}): Promise<ChatKitResult> {
    const request = validateChatKitRequest(body);
    const signal = options.signal ?? NEVER_ABORTED;
    switch (request.type) {
      case 'threads.create':
      case 'threads.add_user_message':
      case 'threads.add_client_tool_output':
      case 'threads.add_structured_input':
      case 'threads.retry_after_item':
      case 'threads.custom_action':
        return { kind: 'stream', events: await this.prepareStream(request, ctx, signal) };
      default:
        return { kind: 'json', body: omitNulls(await this.processJson(request, ctx, signal)) };
    }
  }

  // -------------------------------------------------------------------------------------------
  // Streaming requests: checks first, then a lazy event stream
  // -------------------------------------------------------------------------------------------

  private async prepareStream(request: ChatKitRequest, ctx: Ctx, signal: AbortSignal): Promise<AsyncIterable<ThreadStreamEvent>> {
    switch (request.type) {
      case 'threads.create': {
        const attachments = await this.loadAttachments(request.params.input, ctx);
        const thread: ThreadMetadata = {
          id: this.ids('thread'),
          created_at: this.now(),
          status: { type: 'active' },
          metadata: {},
        };
        const runner = await this.options.runners(ctx, thread);
        return this.createStream(thread, request.params.input, attachments, runner, ctx, signal);
      }
      case 'threads.add_user_message': {
        const thread = await this.store.loadThread(request.params.thread_id, ctx);
        const attachments = await this.loadAttachments(request.params.input, ctx);
        const runner = await this.options.runners(ctx, thread);
        return this.userMessageStream(thread, request.params.input, attachments, runner, ctx, signal);
      }
      case 'threads.add_client_tool_output': {
        const thread = await this.store.loadThread(request.params.thread_id, ctx);
        // Only the newest item counts (hidden ones included), exactly as the reference.
        const newest = (await this.loadThreadItems(thread.id, undefined, 1, 'desc', ctx)).data[0];
        if (newest?.type !== 'client_tool_call' || newest.status !== 'pending') {
          throw new ChatKitInvalidRequestError('The newest item of the thread is not a pending client tool call.');
        }
        const runner = await this.options.runners(ctx, thread);
        const completed = { ...newest, status: 'completed' as const, output: request.params.result };
        return this.toolOutputStream(thread, completed, runner, ctx, signal);
      }
      case 'threads.add_structured_input': {
        const thread = await this.store.loadThread(request.params.thread_id, ctx);
        const item = await this.loadItem(thread.id, request.params.item_id, ctx);
        if (item.type !== 'structured_input' || item.status !== 'pending') {
          throw new ChatKitInvalidRequestError(`Item ${item.id} is not a pending structured input.`);
        }
        const answered = applyStructuredInput(item, request.params.input);
        const runner = await this.options.runners(ctx, thread);
        return this.runnerStream(thread, runner, ctx, signal, () => answeredThenRespond(answered, runner, thread, ctx, signal));
      }
      case 'threads.retry_after_item': {
        const thread = await this.store.loadThread(request.params.thread_id, ctx);
        const item = await this.loadItem(thread.id, request.params.item_id, ctx);
        if (item.type !== 'user_message') throw new ChatKitInvalidRequestError(`Item ${item.id} is not a user message.`);
        const runner = await this.options.runners(ctx, thread);
        return this.retryStream(thread, item, runner, ctx, signal);
      }
      case 'threads.custom_action': {
        const thread = await this.store.loadThread(request.params.thread_id, ctx);
        const sender = request.params.item_id === undefined ? null : await this.loadItem(thread.id, request.params.item_id, ctx);
        if (sender && sender.type !== 'widget') {
          // Not a deviation: the reference answers a 200 stream with exactly this one event.
          return singleEvent({ type: 'error', code: 'stream.error', allow_retry: false });
        }
        const runner = await this.options.runners(ctx, thread);
        const action = request.params.action;
        await runner.prepareAction?.(thread, action, sender, ctx);
        return this.runnerStream(thread, runner, ctx, signal, () => runner.action(thread, action, sender, ctx, signal));
      }
      default:
        throw new Error(`Not a streaming request: ${request.type}`);
    }
  }

  /**
   * `threads.create`. Not a generator of its own: the stream is the runner stream, with the thread's and the
   * message's writes and events as its prelude, so a stream waiting for its model holds one suspended frame here
   * (`runnerStream`), not one per layer (docs/performance.md, idle open streams). Decided when the consumer
   * starts iterating, as a generator body would be.
   */
  private createStream(
    thread: ThreadMetadata,
    input: UserMessageInput,
    attachments: Attachment[],
    runner: Runner<Ctx>,
    ctx: Ctx,
    signal: AbortSignal,
  ): AsyncIterable<ThreadStreamEvent> {
    return lazyStream(() => {
      markNewThread(thread);
      const turn: { message?: UserMessageItem } = {};
      const respond = (): AsyncIterable<ThreadStreamEvent> => runner.respond(thread, turn.message!, ctx, signal);
      if (attachments.length > 0 || signal.aborted) {
        // The thread first: attachments are stamped with it before the message is written.
        return this.runnerStream(thread, runner, ctx, signal, respond, undefined, undefined, this.threadFirstPrelude(thread, input, attachments, ctx, signal, turn));
      }
      const message = (turn.message = this.userMessage(thread, input, []));
      const created: ThreadStreamEvent = { type: 'thread.created', thread: toThreadResponse(thread) };
      if (runner.startsBeforeStored) {
        // The thread and its message are written with what the runner has ready (Preface).
        const early = this.startEarly(thread, message, runner, ctx, signal);
        const preface: Preface = { newThread: true, message, events: [created, { type: 'thread.item.done', item: message }], written: false };
        return this.runnerStream(thread, runner, ctx, signal, null, early, preface);
      }
      // The thread and its first message in one call (one statement on PostgreSQL), both stored
      // before either event is sent.
      return this.runnerStream(thread, runner, ctx, signal, respond, undefined, undefined, this.createdPrelude(thread, message, created, ctx, signal));
    });
  }

  /** `threads.create` with attachments (or a client already gone): the thread, then the message with its attachments. */
  private async *threadFirstPrelude(
    thread: ThreadMetadata,
    input: UserMessageInput,
    attachments: Attachment[],
    ctx: Ctx,
    signal: AbortSignal,
    turn: { message?: UserMessageItem },
  ): AsyncGenerator<ThreadStreamEvent, boolean> {
    await this.store.saveThread(thread, ctx);
    yield { type: 'thread.created', thread: toThreadResponse(thread) };
    if (signal.aborted) return false;
    return yield* this.userMessagePrelude(thread, input, attachments, ctx, turn);
  }

  /** `threads.create`: the thread and its first message in one call, both stored before either event is sent. */
  private async *createdPrelude(
    thread: ThreadMetadata,
    message: UserMessageItem,
    created: ThreadStreamEvent,
    ctx: Ctx,
    signal: AbortSignal,
  ): AsyncGenerator<ThreadStreamEvent, boolean> {
    await this.createThreadWith(thread, [{ item: message }], ctx);
    yield created;
    if (signal.aborted) return false;
    yield { type: 'thread.item.done', item: message };
    return true;
  }

  /** Starts `runner.respond` (its first step) before the turn's own writes; see `Runner.startsBeforeStored`. */
  private startEarly(thread: ThreadMetadata, message: UserMessageItem, runner: Runner<Ctx>, ctx: Ctx, signal: AbortSignal): EarlyRunner {
    const snapshot = snapshotOf(thread);
    const startedAt = this.monotonicMs();
    // The runner's own signal: the request's, and also aborted when the turn's first write fails.
    const stop = new AbortController();
    const forward = (): void => stop.abort(signal.reason);
    if (signal.aborted) stop.abort(signal.reason);
    else onAbort(signal, forward);
    const iterator = runner.respond(thread, message, ctx, stop.signal)[Symbol.asyncIterator]();
    const first = iterator.next();
    first.catch(() => undefined);
    return { iterator, first, snapshot, startedAt, stop, release: () => offAbort(signal, forward) };
  }

  /** `threads.add_user_message`: the runner stream with the message's writes as its prelude (see `createStream`). */
  private userMessageStream(
    thread: ThreadMetadata,
    input: UserMessageInput,
    attachments: Attachment[],
    runner: Runner<Ctx>,
    ctx: Ctx,
    signal: AbortSignal,
  ): AsyncIterable<ThreadStreamEvent> {
    return lazyStream(() => {
      if (signal.aborted) return noEvents();
      if (attachments.length === 0 && runner.startsBeforeStored) {
        const message = this.userMessage(thread, input, []);
        const early = this.startEarly(thread, message, runner, ctx, signal);
        const preface: Preface = { newThread: false, message, events: [{ type: 'thread.item.done', item: message }], written: false };
        return this.runnerStream(thread, runner, ctx, signal, null, early, preface);
      }
      const turn: { message?: UserMessageItem } = {};
      return this.runnerStream(
        thread,
        runner,
        ctx,
        signal,
        () => runner.respond(thread, turn.message!, ctx, signal),
        undefined,
        undefined,
        this.userMessagePrelude(thread, input, attachments, ctx, turn),
      );
    });
  }

  /** The user message of a turn stored (its attachments stamped with the thread first), then sent; sets `turn.message`. */
  private async *userMessagePrelude(
    thread: ThreadMetadata,
    input: UserMessageInput,
    attachments: Attachment[],
    ctx: Ctx,
    turn: { message?: UserMessageItem },
  ): AsyncGenerator<ThreadStreamEvent, boolean> {
    const stamped: Attachment[] = [];
    for (const attachment of attachments) {
      const withThread = { ...attachment, thread_id: thread.id };
      await this.store.saveAttachment(withThread, ctx);
      stamped.push(toAttachmentResponse(withThread));
    }
    const message = (turn.message = this.userMessage(thread, input, stamped));
    await this.store.addThreadItem(thread.id, message, ctx);
    yield { type: 'thread.item.done', item: message };
    return true;
  }

  private userMessage(thread: ThreadMetadata, input: UserMessageInput, attachments: Attachment[]): UserMessageItem {
    return {
      id: this.ids('message'),
      thread_id: thread.id,
      created_at: this.now(),
      type: 'user_message',
      content: input.content,
      attachments,
      ...(input.quoted_text !== undefined ? { quoted_text: input.quoted_text } : {}),
      inference_options: input.inference_options,
    };
  }

  /** A new thread with its first items: one store call when the store can (`createThreadWithItems`). */
  private async createThreadWith(thread: ThreadMetadata, items: NewThreadItem[], ctx: Ctx): Promise<void> {
    if (this.store.createThreadWithItems) return this.store.createThreadWithItems(thread, items, ctx);
    await this.store.saveThread(thread, ctx);
    await this.addItems(thread, items, false, ctx);
  }

  /** Items in order, then the thread when `withThread`: one store call when the store can (`addThreadItems`). */
  private async addItems(thread: ThreadMetadata, items: NewThreadItem[], withThread: boolean, ctx: Ctx): Promise<void> {
    if (this.store.addThreadItems) return this.store.addThreadItems(thread.id, items, withThread ? thread : null, ctx);
    for (const { item, facts } of items) await (facts ? this.store.addThreadItem(thread.id, item, ctx, facts) : this.store.addThreadItem(thread.id, item, ctx));
    if (withThread) await this.store.saveThread(thread, ctx);
  }

  /**
   * Writes the turn's own items (and new thread) if still pending, followed by `items` (then the thread when
   * `withThread`) in the same call; a failure ends the stream without sending them. Whether it wrote.
   */
  private async writePreface(
    thread: ThreadMetadata,
    preface: Preface | undefined,
    ctx: Ctx,
    early: EarlyRunner | undefined,
    items?: NewThreadItem[],
    withThread = false,
  ): Promise<boolean> {
    if (!preface || preface.written) return false;
    preface.written = true;
    const all: NewThreadItem[] = items ? [{ item: preface.message }, ...items] : [{ item: preface.message }];
    try {
      // A new thread is created in its current state.
      if (preface.newThread) await this.createThreadWith(thread, all, ctx);
      else await this.addItems(thread, all, withThread, ctx);
    } catch (error) {
      early?.stop.abort();
      throw new PrefaceFailed(error);
    }
    return true;
  }

  private toolOutputStream(
    thread: ThreadMetadata,
    completed: ThreadItem,
    runner: Runner<Ctx>,
    ctx: Ctx,
    signal: AbortSignal,
  ): AsyncIterable<ThreadStreamEvent> {
    const prelude = async (): Promise<boolean> => {
      // Saved silently: the reference emits no event for the completed call.
      await this.store.saveItem(thread.id, completed, ctx);
      // Reference safety net: drop any other pending client tool call among the newest 20 items.
      const recent = await this.loadThreadItems(thread.id, undefined, DEFAULT_PAGE_SIZE, 'desc', ctx);
      for (const item of recent.data) {
        if (item.type === 'client_tool_call' && item.status === 'pending') await this.store.deleteThreadItem(thread.id, item.id, ctx);
      }
      return true;
    };
    return this.runnerStream(thread, runner, ctx, signal, () => runner.respond(thread, null, ctx, signal), undefined, undefined, prelude);
  }

  private retryStream(
    thread: ThreadMetadata,
    message: UserMessageItem,
    runner: Runner<Ctx>,
    ctx: Ctx,
    signal: AbortSignal,
  ): AsyncIterable<ThreadStreamEvent> {
    const prelude = async (): Promise<boolean> => {
      // No `thread.item.removed` events: the client prunes its own view.
      await this.store.deleteThreadItemsAfter(thread.id, message.id, ctx);
      return true;
    };
    return this.runnerStream(thread, runner, ctx, signal, () => runner.respond(thread, message, ctx, signal), undefined, undefined, prelude);
  }

  /**
   * The reference `_process_events`: `stream_options` first, then the runner's events with
   * persistence (done → insert, replaced → upsert, removed → delete), hidden done items
   * swallowed, `thread.updated` after any event that changed the thread and once more at the
   * end, exceptions turned into one `error` event, and the cancellation cleanup on abort.
   *
   * Fewer round trips, same events on the wire: what the runner produces in one go (without
   * waiting for I/O) is stored together and sent together — done items back to back in one store
   * call with the thread when it changed (`storeDoneItems`), and, with a `preface` (a runner that
   * `startsBeforeStored`), the turn's own user message (and new thread) with them. Nothing is sent
   * before it is stored. `produce` starts the runner; null when `early` already started it.
   */
  private async *runnerStream(
    thread: ThreadMetadata,
    runner: Runner<Ctx>,
    ctx: Ctx,
    signal: AbortSignal,
    produce: (() => AsyncIterable<ThreadStreamEvent>) | null,
    early?: EarlyRunner,
    preface?: Preface,
    prelude?: AsyncGenerator<ThreadStreamEvent, boolean> | (() => Promise<boolean>),
  ): AsyncGenerator<ThreadStreamEvent> {
    let iterator: AsyncIterator<ThreadStreamEvent> | undefined = early?.iterator;
    let finished = false;
    let prefaceFailed = false;
    const pending = new PendingItems();
    let steps: AbortableSteps<ThreadStreamEvent> | undefined;
    try {
      if (prelude) {
        // The turn's own writes and events before the runner starts (its frame ends with them); a stream that stops
        // here has nothing to clean up. `false`: the stream ends there (the client left meanwhile).
        finished = true;
        const go = typeof prelude === 'function' ? await prelude() : yield* prelude;
        // Not held while the runner runs (a waiting frame keeps what its variables point to).
        prelude = undefined;
        if (!go) return;
        finished = false;
      }
      if (signal.aborted) {
        finished = true;
        stopQuietly(iterator);
        await this.writePreface(thread, preface, ctx, early);
        return;
      }
      const options: ThreadStreamEvent = { type: 'stream_options', stream_options: runner.streamOptions?.(thread, ctx) ?? { allow_cancel: true } };
      // Events stored but not yet sent: everything the runner produced in one go leaves in one piece.
      const held: ThreadStreamEvent[] = preface ? [...preface.events, options] : [];
      if (!preface) yield options;
      const turn: TurnState = { snapshot: early?.snapshot ?? snapshotOf(thread), ahead: early?.first };
      const answer: AnswerTiming = { startedAt: early?.startedAt ?? this.monotonicMs(), firstTextAt: null, recorded: false, errored: false };
      const flush = async (): Promise<ThreadStreamEvent[]> => {
        await this.writePreface(thread, preface, ctx, early);
        return held.splice(0);
      };
      try {
        if (turn.ahead) turn.ready = (await settledThisTurn(turn.ahead)) ?? undefined;
        // The runner waits for I/O first (an engine request): the turn's own items go now.
        if (preface && !turn.ready) for (const sent of await flush()) yield sent;
        iterator ??= produce!()[Symbol.asyncIterator]();
        // Used once: what it closes over is not held while the runner runs.
        produce = null;
        for (;;) {
          let step: IteratorResult<ThreadStreamEvent>;
          if (turn.ready) {
            // Already settled (seen while looking ahead): no need to wait for it again.
            const ready = turn.ready;
            turn.ready = undefined;
            turn.ahead = undefined;
            if (signal.aborted) throw ABORTED;
            if ('error' in ready) throw ready.error;
            step = ready.value;
          } else {
            if (signal.aborted && !turn.ahead) throw ABORTED;
            const next = turn.ahead ?? iterator.next();
            turn.ahead = undefined;
            steps ??= new AbortableSteps(signal);
            step = await steps.next(next);
          }
          if (step.done) break;
          const event = step.value;
          if (event.type === 'thread.item.done') {
            held.push(...(await this.storeDoneItems(thread, event, iterator, turn, pending, answer, ctx, signal, preface, early)));
          } else {
            if (answer.firstTextAt === null && carriesText(event)) answer.firstTextAt = this.monotonicMs();
            if (event.type === 'error' || event.type === 'thread.item.replaced' || event.type === 'thread.item.removed') {
              await this.writePreface(thread, preface, ctx, early);
            }
            if (event.type === 'error') await this.recordError(thread.id, event.code, answer, ctx);
            await this.persistEvent(thread.id, event, pending, ctx);
            held.push(toEventResponse(event));
            if (!sameThread(thread, turn.snapshot)) {
              turn.snapshot = snapshotOf(thread);
              await this.writePreface(thread, preface, ctx, early);
              await this.store.saveThread(thread, ctx);
              held.push({ type: 'thread.updated', thread: toThreadResponse(thread) });
            }
            if (!signal.aborted) {
              turn.ahead = iterator.next();
              turn.ready = (await settledThisTurn(turn.ahead)) ?? undefined;
            }
          }
          if (signal.aborted) throw ABORTED;
          // The runner has more ready (it produced several events without waiting): they leave together.
          if (turn.ahead && turn.ready) continue;
          for (const sent of await flush()) yield sent;
        }
        for (const sent of await flush()) yield sent;
      } catch (error) {
        if (error === ABORTED || error instanceof PrefaceFailed) throw error;
        // A runner step already asked for (a failed store write): the runner stops there.
        if (turn.ahead) stopQuietly(iterator);
        // What was stored before the failure is sent before the error.
        for (const sent of await flush()) yield sent;
        this.options.onStreamError?.(error, ctx);
        const event = errorEventFor(error);
        await this.recordError(thread.id, error instanceof ChatKitCustomStreamError && error.reason ? error.reason : event.code, answer, ctx);
        yield event;
      }
      finished = true;
      if (!sameThread(thread, turn.snapshot)) {
        await this.store.saveThread(thread, ctx);
        yield { type: 'thread.updated', thread: toThreadResponse(thread) };
      }
    } catch (error) {
      if (error instanceof PrefaceFailed) {
        // Nothing of the turn was stored or sent: fail the stream as a failed first write always did.
        prefaceFailed = true;
        throw error.cause;
      }
      if (error !== ABORTED) throw error;
    } finally {
      early?.release();
      steps?.dispose();
      // Reached unfinished on abort, or when the consumer stopped iterating (a disconnect).
      if (!finished) {
        early?.stop.abort();
        stopQuietly(iterator);
        if (!prefaceFailed) await this.handleCancelled(thread, pending, ctx, preface, early);
      }
    }
  }

  /**
   * Stores `first` and every `thread.item.done` the runner has ready right after it (already
   * produced, within the same turn of the event loop: nothing waits on I/O) in one store call,
   * together with the thread when the runner changed it meanwhile — typically the answer's last
   * items and the title set as the runner returns, in one statement — and the turn's own items
   * when still pending (`preface`). Returns the events to send, in the reference's order
   * (`thread.updated` after the event that revealed the change); nothing is sent before everything
   * is stored. The step that ended the batch (another event, the end, an error) is left in
   * `turn.ahead` for the caller. On abort the batch is stored all the same (the items are done),
   * and the caller runs the cancellation cleanup.
   */
  private async storeDoneItems(
    thread: ThreadMetadata,
    first: StreamEventOf<'thread.item.done'>,
    iterator: AsyncIterator<ThreadStreamEvent>,
    turn: TurnState,
    pending: PendingItems,
    answer: AnswerTiming,
    ctx: Ctx,
    signal: AbortSignal,
    preface: Preface | undefined,
    early: EarlyRunner | undefined,
  ): Promise<ThreadStreamEvent[]> {
    const out: ThreadStreamEvent[] = [];
    const items: NewThreadItem[] = [];
    let threadChanged = false;
    const noteThread = (): void => {
      if (sameThread(thread, turn.snapshot)) return;
      turn.snapshot = snapshotOf(thread);
      threadChanged = true;
      out.push({ type: 'thread.updated', thread: toThreadResponse(thread) });
    };
    let event: StreamEventOf<'thread.item.done'> | null = first;
    while (event) {
      if (answer.firstTextAt === null && carriesText(event)) answer.firstTextAt = this.monotonicMs();
      items.push(this.newItem(event.item, answer));
      pending.delete(event.item.id);
      if (!isHiddenItem(event.item)) out.push(toEventResponse(event));
      noteThread();
      event = null;
      if (signal.aborted) break;
      turn.ahead = iterator.next();
      const ready = await settledThisTurn(turn.ahead);
      turn.ready = ready ?? undefined;
      // Aborted meanwhile: like the reference, nothing the runner produced after the abort is kept.
      if (!ready || 'error' in ready || signal.aborted) break;
      if (ready.value.done) {
        // The runner returned: the reference's end-of-stream `thread.updated` comes from here.
        noteThread();
      } else if (ready.value.value.type === 'thread.item.done') {
        event = ready.value.value;
        turn.ahead = undefined;
        turn.ready = undefined;
      }
    }
    // The user message (and new thread), when still pending, go in the same call.
    if (!(await this.writePreface(thread, preface, ctx, early, items, threadChanged))) await this.addItems(thread, items, threadChanged, ctx);
    return out;
  }

  /** A done item to store; the answer's first assistant message carries its time to first token. */
  private newItem(item: ThreadItem, answer: AnswerTiming): NewThreadItem {
    if (answer.recorded || item.type !== 'assistant_message') return { item };
    answer.recorded = true;
    const firstText = answer.firstTextAt ?? this.monotonicMs();
    return { item, facts: { ttftMs: Math.max(0, Math.round(firstText - answer.startedAt)) } };
  }

  /** Notes the first error of an answer with the store (analytics); never fails the stream. */
  private async recordError(threadId: string, code: string, answer: AnswerTiming, ctx: Ctx): Promise<void> {
    if (answer.errored || !this.store.recordAnswerError) return;
    answer.errored = true;
    try {
      await this.store.recordAnswerError(threadId, code, ctx);
    } catch (error) {
      this.options.onStreamError?.(error, ctx);
    }
  }

  /** Persists a runner event other than `thread.item.done` (those go through `storeDoneItems`). */
  private async persistEvent(threadId: string, event: ThreadStreamEvent, pending: PendingItems, ctx: Ctx): Promise<void> {
    switch (event.type) {
      case 'thread.item.added':
        pending.set(event.item.id, pendingCopy(event.item));
        return;
      case 'thread.item.updated':
        applyPendingUpdate(pending, event);
        return;
      case 'thread.item.replaced':
        await this.store.saveItem(threadId, event.item, ctx);
        pending.delete(event.item.id);
        return;
      case 'thread.item.removed':
        await this.store.deleteThreadItem(threadId, event.item_id, ctx);
        pending.delete(event.item_id);
        return;
      default:
        return;
    }
  }

  /**
   * The reference `handle_stream_cancelled`: keep pending assistant messages that have
   * non-blank text (deltas applied), drop other pending items, and note the cancellation in a
   * hidden item so the next response does not continue the cancelled one.
   */
  private async handleCancelled(thread: ThreadMetadata, pending: PendingItems, ctx: Ctx, preface?: Preface, early?: EarlyRunner): Promise<void> {
    try {
      // The user's message is kept, as when it was stored before the runner started.
      await this.writePreface(thread, preface, ctx, early);
      const items: NewThreadItem[] = [];
      for (const item of pending.values()) {
        if (item.type === 'assistant_message' && item.content.some((part) => part.text.trim() !== '')) items.push({ item });
      }
      items.push({
        item: { id: this.ids('sdk_hidden_context'), thread_id: thread.id, created_at: this.now(), type: 'sdk_hidden_context', content: CANCELLED_STREAM_NOTE },
      });
      // One call (one statement on PostgreSQL) when the store can.
      await this.addItems(thread, items, false, ctx);
    } catch (error) {
      // Nobody is listening any more; report and end quietly.
      this.options.onStreamError?.(error, ctx);
    }
  }

  // -------------------------------------------------------------------------------------------
  // JSON requests
  // -------------------------------------------------------------------------------------------

  private async processJson(request: ChatKitRequest, ctx: Ctx, signal: AbortSignal): Promise<Record<string, unknown>> {
    // A client that left while its request waited (a queue of heavy requests) gets no work done for it.
    if (signal.aborted) throw new ChatKitCancelledError();
    switch (request.type) {
      case 'threads.get_by_id': {
        const thread = await this.store.loadThread(request.params.thread_id, ctx);
        // The oldest 20 items, ascending; hidden ones filtered after paging, like the reference.
        const items = await this.loadThreadItems(thread.id, undefined, DEFAULT_PAGE_SIZE, 'asc', ctx);
        return { ...toThreadResponse(thread, items) };
      }
      case 'threads.list': {
        const { limit, after, order } = request.params;
        const page = await withCursor(() => this.store.loadThreads(limit, after, order, ctx));
        return { ...page, data: page.data.map((thread) => toThreadResponse(thread)) };
      }
      case 'threads.update': {
        const thread = await this.store.loadThread(request.params.thread_id, ctx);
        thread.title = request.params.title;
        await this.store.saveThread(thread, ctx);
        return { ...toThreadResponse(thread) };
      }
      case 'threads.delete': {
        // Deviation for consistency: an unknown thread is a 404, as for every other thread op.
        await this.store.loadThread(request.params.thread_id, ctx);
        await this.store.deleteThread(request.params.thread_id, ctx);
        return {};
      }
      case 'items.list': {
        const { thread_id: threadId, limit, after, order } = request.params;
        await this.store.loadThread(threadId, ctx);
        const page = await withCursor(() => this.loadThreadItems(threadId, after, limit, order, ctx));
        return { ...page, data: page.data.filter((item) => !isHiddenItem(item)).map(toItemResponse) };
      }
      case 'items.feedback': {
        // The store checks the thread and every id and records the batch in one call (one statement on Postgres).
        const { thread_id: threadId, item_ids: itemIds, kind } = request.params;
        await this.store.addFeedback(threadId, itemIds, kind, ctx);
        return {};
      }
      case 'attachments.create': {
        const options = this.attachmentOptions();
        const { name, mime_type: mimeType } = request.params;
        const metadata = (await options.prepare?.(request.params, ctx)) ?? undefined;
        const id = this.ids('attachment');
        const uploadDescriptor = { url: options.uploadUrl(id, ctx), method: 'PUT' as const, headers: {} };
        const previewUrl = mimeType.startsWith('image/') ? options.previewUrl?.(id, ctx) : undefined;
        const serverOnly = metadata ? { metadata } : {};
        const attachment: Attachment =
          previewUrl !== undefined
            ? { id, type: 'image', name, mime_type: mimeType, upload_descriptor: uploadDescriptor, preview_url: previewUrl, ...serverOnly }
            : { id, type: 'file', name, mime_type: mimeType, upload_descriptor: uploadDescriptor, ...serverOnly };
        await this.store.saveAttachment(attachment, ctx);
        return { ...toAttachmentResponse(attachment) };
      }
      case 'attachments.delete': {
        const options = this.attachmentOptions();
        let attachment: Attachment;
        try {
          attachment = await this.loadAttachment(request.params.attachment_id, ctx);
        } catch (error) {
          // Idempotent like the reference store, and loading first means bytes are only ever
          // deleted for an attachment the caller owns.
          if (error instanceof ChatKitNotFoundError) return {};
          throw error;
        }
        await options.deleteBytes?.(attachment, ctx);
        await this.store.deleteAttachment(attachment.id, ctx);
        return {};
      }
      case 'input.transcribe': {
        const runner = await this.options.runners(ctx, null);
        if (!runner.transcribe) throw new ChatKitNotSupportedError("Dictation (input.transcribe) is not supported by this workflow's runner.");
        const audio = { data: Buffer.from(request.params.audio_base64, 'base64'), mime_type: request.params.mime_type };
        const result = await runner.transcribe(audio, ctx);
        return { text: result.text };
      }
      case 'threads.sync_custom_action': {
        const thread = await this.store.loadThread(request.params.thread_id, ctx);
        const sender = request.params.item_id === undefined ? null : await this.loadItem(thread.id, request.params.item_id, ctx);
        if (sender && sender.type !== 'widget') throw new ChatKitInvalidRequestError(`Item ${sender.id} is not a widget.`);
        const runner = await this.options.runners(ctx, thread);
        const result = await runner.syncAction(thread, request.params.action, sender, ctx);
        if (!result.updated_item) return {};
        // Parley deviation: the SDK leaves persisting `updated_item` to the integrator; we do it.
        await this.store.saveItem(thread.id, result.updated_item, ctx);
        return { updated_item: toItemResponse(result.updated_item) };
      }
      default:
        throw new Error(`Not a JSON request: ${request.type}`);
    }
  }

  private async loadAttachments(input: UserMessageInput, ctx: Ctx): Promise<Attachment[]> {
    const attachments: Attachment[] = [];
    for (const id of input.attachments) attachments.push(await this.loadAttachment(id, ctx));
    return attachments;
  }

  // Reads that present image attachments with a fresh `preview_url` (see `ChatKitAttachmentOptions.previewUrl`).

  private async loadThreadItems(threadId: string, after: string | undefined, limit: number, order: Order, ctx: Ctx): Promise<Page<ThreadItem>> {
    const page = await this.store.loadThreadItems(threadId, after, limit, order, ctx);
    return this.options.attachments?.previewUrl ? { ...page, data: page.data.map((item) => this.presentItem(item, ctx)) } : page;
  }

  private async loadItem(threadId: string, itemId: string, ctx: Ctx): Promise<ThreadItem> {
    return this.presentItem(await this.store.loadItem(threadId, itemId, ctx), ctx);
  }

  private async loadAttachment(attachmentId: string, ctx: Ctx): Promise<Attachment> {
    return this.presentAttachment(await this.store.loadAttachment(attachmentId, ctx), ctx);
  }

  private presentAttachment(attachment: Attachment, ctx: Ctx): Attachment {
    const options = this.options.attachments;
    return options?.previewUrl && attachment.type === 'image' ? { ...attachment, preview_url: options.previewUrl(attachment.id, ctx) } : attachment;
  }

  private presentItem(item: ThreadItem, ctx: Ctx): ThreadItem {
    if (item.type !== 'user_message' || !item.attachments.some((attachment) => attachment.type === 'image')) return item;
    return { ...item, attachments: item.attachments.map((attachment) => this.presentAttachment(attachment, ctx)) };
  }

  private attachmentOptions(): ChatKitAttachmentOptions<Ctx> {
    if (!this.options.attachments) throw new ChatKitNotSupportedError('Attachments are not supported here.');
    return this.options.attachments;
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers (exported where unit tests exercise them directly)
// ---------------------------------------------------------------------------------------------

/**
 * The reference structured-input rules: a missing, empty or skipped answer (or status `skipped`)
 * becomes `{values: [], skipped: true}`; single-choice answers keep their first value; answers
 * for unknown input ids are ignored.
 */
export function applyStructuredInput(item: StructuredInputItem, submission: StructuredInputSubmission): StructuredInputItem {
  const inputs = item.inputs.map((input) => {
    const submitted =
      submission.status === 'answered' && Object.prototype.hasOwnProperty.call(submission.answers, input.id)
        ? submission.answers[input.id]
        : undefined;
    if (!submitted || submitted.skipped || submitted.values.length === 0) return { ...input, answer: { values: [], skipped: true } };
    const values = input.type === 'multiple_choice' && !input.multiple ? submitted.values.slice(0, 1) : [...submitted.values];
    return { ...input, answer: { values, skipped: false } };
  });
  return { ...item, status: submission.status, inputs };
}

/** A thread as sent: `metadata` always `{}`, items page filtered of hidden items (or empty). */
export function toThreadResponse(thread: ThreadMetadata, items?: Page<ThreadItem>): Thread {
  return {
    id: thread.id,
    ...(thread.title !== undefined && thread.title !== null ? { title: thread.title } : {}),
    created_at: thread.created_at,
    status: thread.status,
    ...(thread.allowed_image_domains ? { allowed_image_domains: thread.allowed_image_domains } : {}),
    metadata: {},
    items: items ? { ...items, data: items.data.filter((item) => !isHiddenItem(item)).map(toItemResponse) } : { data: [], has_more: false },
  };
}

/** An attachment as sent: the server-only `metadata` is never serialised. */
export function toAttachmentResponse(attachment: Attachment): Attachment {
  const { metadata: _serverOnly, ...visible } = attachment;
  return visible;
}

function toItemResponse(item: ThreadItem): ThreadItem {
  return item.type === 'user_message' ? { ...item, attachments: item.attachments.map(toAttachmentResponse) } : item;
}

function toEventResponse(event: ThreadStreamEvent): ThreadStreamEvent {
  if (event.type === 'thread.item.added' || event.type === 'thread.item.done' || event.type === 'thread.item.replaced') {
    return { ...event, item: toItemResponse(event.item) };
  }
  return event;
}

function errorEventFor(error: unknown): StreamEventOf<'error'> {
  if (error instanceof ChatKitCustomStreamError) return { type: 'error', code: 'custom', message: error.message, allow_retry: error.allowRetry };
  if (error instanceof ChatKitStreamError) return { type: 'error', code: error.code, allow_retry: error.allowRetry };
  // No message: the client shows its own localized text, as for the reference.
  return { type: 'error', code: 'stream.error', allow_retry: true };
}

/**
 * The processor's own copy of an added item, which `applyPendingUpdate` then changes: an assistant message (the common
 * case) copied down to what the updates change (its content parts and their annotation lists) — a copy built ~70×
 * faster than `structuredClone`'s; any other item deep-copied.
 */
function pendingCopy(item: ThreadItem): ThreadItem {
  if (item.type !== 'assistant_message') return structuredClone(item);
  return { ...item, content: item.content.map((part) => ({ ...part, annotations: [...part.annotations] })) };
}

/**
 * The items a runner added and has not finished yet (for the cancel cleanup), in the order added. The map is made
 * with the first one: a stream waiting for its model's first byte holds none (an empty `Map` is ~0.2 KB).
 */
class PendingItems {
  private map: Map<string, ThreadItem> | null = null;

  get(id: string): ThreadItem | undefined {
    return this.map?.get(id);
  }

  set(id: string, item: ThreadItem): void {
    (this.map ??= new Map()).set(id, item);
  }

  delete(id: string): void {
    this.map?.delete(id);
  }

  values(): Iterable<ThreadItem> {
    return this.map ? this.map.values() : [];
  }
}

/** The reference `_update_pending_items`: keep pending items current for the cancel cleanup. */
function applyPendingUpdate(pending: PendingItems, event: StreamEventOf<'thread.item.updated'>): void {
  const item = pending.get(event.item_id);
  const update = event.update;
  if (item?.type === 'assistant_message') {
    const content = item.content;
    if (!('content_index' in update) || !update.type.startsWith('assistant_message.')) return;
    // Updates may address an index that has not been announced yet: pad first.
    while (content.length <= update.content_index) content.push({ type: 'output_text', text: '', annotations: [] });
    const part = content[update.content_index];
    switch (update.type) {
      case 'assistant_message.content_part.added':
      case 'assistant_message.content_part.done':
        content[update.content_index] = structuredClone(update.content);
        break;
      case 'assistant_message.content_part.text_delta':
        part.text += update.delta;
        break;
      case 'assistant_message.content_part.annotation_added':
        part.annotations.splice(Math.min(update.annotation_index, part.annotations.length), 0, structuredClone(update.annotation));
        break;
    }
  } else if (item?.type === 'workflow') {
    if (update.type === 'workflow.task.updated') item.workflow.tasks[update.task_index] = structuredClone(update.task);
    else if (update.type === 'workflow.task.added') item.workflow.tasks.push(structuredClone(update.task));
  }
}

/** Timing and outcome of one answer (a runner stream), for the store's analytics facts. */
interface AnswerTiming {
  startedAt: number;
  /** When the first text of an assistant message arrived. */
  firstTextAt: number | null;
  /** Whether the answer's first assistant message was stored (with its TTFT). */
  recorded: boolean;
  /** Whether an error of this answer was recorded. */
  errored: boolean;
}

/** Whether an event brings the first visible text of an answer. */
function carriesText(event: ThreadStreamEvent): boolean {
  if (event.type === 'thread.item.updated') return event.update.type === 'assistant_message.content_part.text_delta' && event.update.delta !== '';
  if (event.type === 'thread.item.added' || event.type === 'thread.item.done') {
    return event.item.type === 'assistant_message' && event.item.content.some((part) => part.text !== '');
  }
  return false;
}

/** The thread as it was: its plain JSON, and the canonical form computed only when that differs. */
interface ThreadSnapshot {
  raw: string;
  canonical?: string;
}

/** Canonical JSON (sorted keys, unset fields omitted), so key order and null/absent don't count. */
function canonicalJson(thread: ThreadMetadata): string {
  return JSON.stringify(canonical(omitNulls(thread)));
}

function snapshotOf(thread: ThreadMetadata): ThreadSnapshot {
  const raw = JSON.stringify(thread);
  // Held for the stream's life: one flat string, not the tree of pieces V8 may have built it as.
  raw.charCodeAt(0);
  return { raw };
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
  }
  return value;
}

/**
 * Checked after every event, so the common case (nothing touched the thread) is one small
 * `JSON.stringify`; only when that text differs is the canonical form compared.
 */
function sameThread(thread: ThreadMetadata, snapshot: ThreadSnapshot): boolean {
  const raw = JSON.stringify(thread);
  if (raw === snapshot.raw) return true;
  snapshot.canonical ??= canonicalJson(JSON.parse(snapshot.raw) as ThreadMetadata);
  return canonicalJson(thread) === snapshot.canonical;
}

async function withCursor<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof ChatKitUnknownCursorError) {
      throw new ChatKitInvalidRequestError('The after cursor does not name an element of this list.', {
        fields: { 'params.after': ['does not name an element of this list'] },
      });
    }
    throw error;
  }
}

/**
 * The runner's steps of one stream, each resolving with the step or rejecting with ABORTED as soon as the signal
 * fires: one abort listener for the whole stream (this object, through `onAbort`: no closure), instead of a listener
 * added and removed and four closures per step; per step, the result promise the step settles directly. Steps are
 * asked one at a time; a step still running when the signal fired settles unheard.
 */
class AbortableSteps<T> {
  private reject: ((error: unknown) => void) | null = null;
  private listening = false;

  constructor(private readonly signal: AbortSignal) {}

  next(step: Promise<IteratorResult<T>>): Promise<IteratorResult<T>> {
    if (this.signal.aborted) {
      step.catch(() => undefined);
      return Promise.reject(ABORTED);
    }
    if (!this.listening) {
      this.listening = true;
      onAbort(this.signal, this);
    }
    // The step settles the result directly (after an abort rejected it: unheard).
    const result = new Promise<IteratorResult<T>>((resolve, reject) => {
      this.reject = reject;
      step.then(resolve, reject);
    });
    return result;
  }

  dispose(): void {
    if (this.listening) offAbort(this.signal, this);
    this.reject = null;
  }

  /** The signal fired: the step being waited for rejects with ABORTED (a settled one stays as it was). */
  handleEvent(): void {
    const reject = this.reject;
    this.reject = null;
    reject?.(ABORTED);
  }
}

/** The answered structured input, then the runner's continuation. */
async function* answeredThenRespond<Ctx>(
  answered: StructuredInputItem,
  runner: Runner<Ctx>,
  thread: ThreadMetadata,
  ctx: Ctx,
  signal: AbortSignal,
): AsyncGenerator<ThreadStreamEvent> {
  yield { type: 'thread.item.replaced', item: answered };
  yield* runner.respond(thread, null, ctx, signal);
}

/** An event stream decided when its consumer starts iterating (as a generator's body would run then). */
function lazyStream(open: () => AsyncIterable<ThreadStreamEvent>): AsyncIterable<ThreadStreamEvent> {
  return { [Symbol.asyncIterator]: () => open()[Symbol.asyncIterator]() };
}

async function* noEvents(): AsyncGenerator<ThreadStreamEvent> {}

/** A runner started before the thread was stored (`Runner.startsBeforeStored`). */
interface EarlyRunner {
  iterator: AsyncIterator<ThreadStreamEvent>;
  /** Its first step, already asked for. */
  first: Promise<IteratorResult<ThreadStreamEvent>>;
  /** The thread before the runner could change it. */
  snapshot: ThreadSnapshot;
  startedAt: number;
  /** Aborts the runner's signal (the write failed, or the stream ended before it took over). */
  stop: AbortController;
  /** Stops forwarding the request's abort. */
  release(): void;
}

/**
 * The turn's own writes (the user message, and the thread on `threads.create`) when the runner
 * `startsBeforeStored`: stored with the runner's first done items when it has them ready at once
 * (the echo runner: one statement for the whole turn), otherwise as soon as it waits for I/O; its
 * events are sent first, and only once stored.
 */
interface Preface {
  newThread: boolean;
  message: UserMessageItem;
  events: ThreadStreamEvent[];
  written: boolean;
}

/** The turn's own write failed: nothing was sent, the stream fails as a failed write always did. */
class PrefaceFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('The turn could not be stored.');
  }
}

/** A runner stream in progress: the thread as last saved, and a step already asked of the runner. */
interface TurnState {
  snapshot: ThreadSnapshot;
  ahead: Promise<IteratorResult<ThreadStreamEvent>> | undefined;
  /** How `ahead` had settled when last looked at, if it had (the runner had it ready without waiting). */
  ready?: { value: IteratorResult<ThreadStreamEvent> } | { error: unknown };
}

/**
 * How `promise` settled, if it does within this turn of the event loop (its continuations are
 * promise jobs only: code that runs on without waiting for I/O or timers); null otherwise. Marks
 * the promise handled either way.
 */
function settledThisTurn<T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown } | null> {
  return new Promise((resolve) => {
    const later = setImmediate(resolve, null);
    promise.then(
      (value) => {
        clearImmediate(later);
        resolve({ value });
      },
      (error: unknown) => {
        clearImmediate(later);
        resolve({ error });
      },
    );
  });
}

/**
 * Asks the runner's iterator to finish without waiting: a runner blocked on I/O would otherwise
 * hold the cleanup hostage. Runners observe the AbortSignal to stop their own work.
 */
function stopQuietly(iterator: AsyncIterator<unknown> | undefined): void {
  try {
    iterator?.return?.()?.catch(() => undefined);
  } catch {
    // A synchronous throw from return() changes nothing: the stream is over.
  }
}

async function* singleEvent(event: ThreadStreamEvent): AsyncGenerator<ThreadStreamEvent> {
  yield event;
}
