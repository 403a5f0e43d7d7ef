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
} from './types';

/**
 * What produces the assistant side of a conversation (a model workflow, or the echo runner in
 * tests). The processor owns persistence and the wire; a runner only yields events.
 *
 * Contract (as chatkit-python's `ChatKitServer.respond`/`action`):
 * - `thread` is live: mutate `title`, `status`, `allowed_image_domains` or `metadata` and the
 *   processor saves the thread and emits `thread.updated` after the current event.
 * - `thread.item.done` items are persisted as new items, `thread.item.replaced` upserted,
 *   `thread.item.removed` deleted; hidden items are persisted but never sent. Every item is stored
 *   before its event is sent. Done items are stored together when the runner produces them back to
 *   back (the processor asks for the next event before storing a done item), so a runner may be
 *   resumed before its last done item is stored: read the turn's own items from memory, not back
 *   from the store.
 * - Throwing inside the iteration ends the stream with an `error` event
 *   (`ChatKitCustomStreamError` → `custom` with its message; anything else → `stream.error`).
 * - `signal` aborts when the client disconnects; stop work promptly. The processor persists
 *   the non-blank pending assistant messages itself.
 */
export interface Runner<Ctx> {
  /** Answers `userMessage`, or continues after a tool output / structured input when it is null. */
  respond(thread: ThreadMetadata, userMessage: UserMessageItem | null, ctx: Ctx, signal: AbortSignal): AsyncIterable<ThreadStreamEvent>;

  /**
   * Optional check of a `threads.custom_action` before its stream opens: throw a request error
   * (or a host domain error) to answer with a plain 4xx instead of an in-band `error` event.
   */
  prepareAction?(thread: ThreadMetadata, action: Action, sender: WidgetItem | null, ctx: Ctx): Promise<void>;

  /** Reacts to `threads.custom_action`; `sender` is the widget that dispatched it, if any. */
  action(thread: ThreadMetadata, action: Action, sender: WidgetItem | null, ctx: Ctx, signal: AbortSignal): AsyncIterable<ThreadStreamEvent>;

  /**
   * Reacts to `threads.sync_custom_action` (a widget action with `streaming: false`). The returned
   * `updated_item` is persisted by the processor (Parley deviation: the SDK leaves that to you).
   */
  syncAction(thread: ThreadMetadata, action: Action, sender: WidgetItem | null, ctx: Ctx): Promise<SyncCustomActionResponse>;

  /** Speech to text for `input.transcribe`; absent means dictation is not supported. */
  transcribe?(audio: AudioInput, ctx: Ctx): Promise<TranscriptionResult>;

  /** Stream options for a runner-driven stream; default `{allow_cancel: true}`. */
  streamOptions?(thread: ThreadMetadata, ctx: Ctx): StreamOptions;

  /**
   * Optional promise about `respond` with a user message: it never reads that message back from
   * the store, nor anything of a new thread (`isNewThread`). Then the processor starts it before
   * the turn's own writes (the user message; the thread on `threads.create`) and stores those
   * together with the runner's first done items when the runner has them ready at once, or as soon
   * as it waits for I/O (its request to an engine then overlaps the write). Events are still sent in
   * the reference's order, each only once stored. If that write fails, or the stream ends before
   * the runner's events are read, the runner's `signal` aborts.
   */
  readonly startsBeforeStored?: boolean;
}

/**
 * Picks the runner for a request: the principal (and the thread, when the request names one)
 * decide which workflow answers. `thread` is null for `input.transcribe`.
 */
export type RunnerResolver<Ctx> = (ctx: Ctx, thread: ThreadMetadata | null) => Runner<Ctx> | Promise<Runner<Ctx>>;

/** The live thread objects of `threads.create` requests (held weakly: they go with their request). */
const newThreads = new WeakSet<ThreadMetadata>();

/** Marks the live `thread` of a `threads.create` request; the processor calls it before the runner runs. */
export function markNewThread(thread: ThreadMetadata): void {
  newThreads.add(thread);
}

/**
 * Whether `thread` (the live object a runner was handed) was created by this very request
 * (`threads.create`): then its only item is the user message being answered, and a runner that
 * sends history can skip reading it (the history is empty).
 */
export function isNewThread(thread: ThreadMetadata): boolean {
  return newThreads.has(thread);
}
