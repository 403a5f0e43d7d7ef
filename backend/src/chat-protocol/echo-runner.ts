import { Clock, IdGenerator, randomIdGenerator, systemClock } from './ids';
import type { Runner } from './runner';
import type { ChatStore } from './store';
import {
  Action,
  AssistantMessageItem,
  isHiddenItem,
  JsonValue,
  SyncCustomActionResponse,
  ThreadItem,
  ThreadMetadata,
  ThreadStreamEvent,
  UserMessageItem,
  WidgetItem,
  WidgetRoot,
} from './types';

/** The widget `/widget` emits, exactly as the conformance vectors expect it. */
export const ECHO_WIDGET: WidgetRoot = {
  type: 'Card',
  children: [
    { type: 'Text', value: 'Pick one' },
    {
      type: 'Button',
      label: 'Approve',
      onClickAction: { type: 'echo.approve', payload: { choice: 'yes' }, handler: 'server', loadingBehavior: 'auto', streaming: true },
    },
  ],
};

/** Title length the echo runner derives from the first message, in code points. */
export const ECHO_TITLE_LENGTH = 40;

/**
 * A thread title from the first message: at most {@link ECHO_TITLE_LENGTH} code points
 * (never splitting a surrogate pair), cut at the last word boundary that fits and ended with "…" when shortened.
 */
export function titleFrom(text: string, max: number = ECHO_TITLE_LENGTH): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const head = chars.slice(0, max - 1);
  const atBoundary = /\s/.test(chars[max - 1]);
  const lastSpace = head.findLastIndex((c) => /\s/.test(c));
  // A single very long word (a URL, a code) is cut where it must be.
  const cut = atBoundary ? head : lastSpace >= max / 2 ? head.slice(0, lastSpace) : head;
  return `${cut.join('').replace(/[\s.,;:!?-]+$/, '')}…`;
}

/** Options of `EchoRunner`. */
export interface EchoRunnerOptions<Ctx> {
  /** Read to find the newest visible item when continuing after a tool output or answers. */
  store: ChatStore<Ctx>;
  ids?: IdGenerator;
  clock?: Clock;
}

/**
 * The deterministic runner of the conformance README ("The echo runner"). The vectors encode its
 * exact output, so any change here is a protocol change: keep it byte-for-byte as specified.
 */
export class EchoRunner<Ctx> implements Runner<Ctx> {
  /** With a user message it never touches the store: the whole turn can be stored in one write. */
  readonly startsBeforeStored = true;
  private readonly ids: IdGenerator;
  private readonly clock: Clock;

  constructor(private readonly options: EchoRunnerOptions<Ctx>) {
    this.ids = options.ids ?? randomIdGenerator;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Echoes the message per its prefix, or answers the newest tool call / structured input.
   * It never blocks, so it ignores the signal: the processor stops pulling on abort.
   */
  async *respond(thread: ThreadMetadata, userMessage: UserMessageItem | null, ctx: Ctx, _signal?: AbortSignal): AsyncIterable<ThreadStreamEvent> {
    if (!userMessage) {
      yield* this.continueAfterInput(thread, ctx);
      return;
    }
    const text = textOf(userMessage);
    // Built at once and yielded from this one generator (no nested generators to pass each event through).
    for (const event of this.answer(thread, text)) yield event;
    // After every row, `/error` included; the processor turns the change into `thread.updated`.
    if (!thread.title) thread.title = titleFrom(text);
  }

  /** `Action: <type> <JSON(payload)>`; a missing payload is `null`. */
  async *action(thread: ThreadMetadata, action: Action, _sender: WidgetItem | null, _ctx: Ctx, _signal?: AbortSignal): AsyncIterable<ThreadStreamEvent> {
    for (const event of this.stream(thread, `Action: ${action.type} ${json(action.payload)}`)) yield event;
  }

  /** Returns the unchanged sender widget, or nothing without a sender. */
  async syncAction(_thread: ThreadMetadata, _action: Action, sender: WidgetItem | null, _ctx: Ctx): Promise<SyncCustomActionResponse> {
    return sender ? { updated_item: sender } : {};
  }

  /** The events of an answer to `text`, in order (the ids and times taken in the order a generator would take them). */
  private answer(thread: ThreadMetadata, text: string): ThreadStreamEvent[] {
    if (text.startsWith('/widget')) {
      return [{ type: 'thread.item.done', item: { ...this.base(thread, 'message'), type: 'widget', widget: structuredClone(ECHO_WIDGET) } }];
    } else if (text.startsWith('/tool')) {
      return [
        {
          type: 'thread.item.done',
          item: { ...this.base(thread, 'tool_call'), type: 'client_tool_call', status: 'pending', call_id: 'call_1', name: 'echo_tool', arguments: { text } },
        },
      ];
    } else if (text.startsWith('/error')) {
      return [{ type: 'error', code: 'custom', message: 'Echo failure', allow_retry: true }];
    } else if (text.startsWith('/ask')) {
      return [
        {
          type: 'thread.item.done',
          item: {
            ...this.base(thread, 'message'),
            type: 'structured_input',
            status: 'pending',
            inputs: [
              { id: 'color', question: 'Pick a color', type: 'multiple_choice', options: [{ value: 'red' }, { value: 'blue' }], multiple: false },
              { id: 'note', question: 'Anything else?', type: 'freeform' },
            ],
          },
        },
      ];
    } else if (text.startsWith('/progress')) {
      return [{ type: 'progress_update', text: 'Thinking' }, ...this.stream(thread, `Echo: ${text}`)];
    } else if (text.startsWith('/hidden')) {
      const hidden: ThreadStreamEvent = { type: 'thread.item.done', item: { ...this.base(thread, 'message'), type: 'hidden_context_item', content: `hidden: ${text}` } };
      return [hidden, ...this.stream(thread, `Echo: ${text}`)];
    }
    return this.stream(thread, `Echo: ${text}`);
  }

  private async *continueAfterInput(thread: ThreadMetadata, ctx: Ctx): AsyncIterable<ThreadStreamEvent> {
    const newest = await this.newestVisibleItem(thread.id, ctx);
    if (newest?.type === 'client_tool_call') {
      for (const event of this.stream(thread, `Tool result: ${json(newest.output)}`)) yield event;
    } else if (newest?.type === 'structured_input') {
      const answers = Object.fromEntries(newest.inputs.map((input) => [input.id, input.answer?.values ?? []]));
      for (const event of this.stream(thread, `Answers: ${json(answers)}`)) yield event;
    }
  }

  private async newestVisibleItem(threadId: string, ctx: Ctx): Promise<ThreadItem | undefined> {
    let after: string | undefined;
    for (;;) {
      const page = await this.options.store.loadThreadItems(threadId, after, 20, 'desc', ctx);
      const visible = page.data.find((item) => !isHiddenItem(item));
      if (visible || !page.has_more) return visible;
      after = page.after;
    }
  }

  /** STREAM(text): added (empty part), one delta per whitespace token, done (full text). */
  private stream(thread: ThreadMetadata, text: string): ThreadStreamEvent[] {
    const item: AssistantMessageItem = {
      ...this.base(thread, 'message'),
      type: 'assistant_message',
      content: [{ type: 'output_text', text: '', annotations: [] }],
    };
    // A copy of the empty item (built, not `structuredClone`d: ~1.4 µs less per answer, same JSON).
    const events: ThreadStreamEvent[] = [{ type: 'thread.item.added', item: { ...item, content: [{ type: 'output_text', text: '', annotations: [] }] } }];
    const tokens = text.split(/\s+/).filter((token) => token.length > 0);
    for (const [index, token] of tokens.entries()) {
      events.push({
        type: 'thread.item.updated',
        item_id: item.id,
        update: { type: 'assistant_message.content_part.text_delta', content_index: 0, delta: index === 0 ? token : ` ${token}` },
      });
    }
    events.push({ type: 'thread.item.done', item: { ...item, content: [{ type: 'output_text', text, annotations: [] }] } });
    return events;
  }

  private base(thread: ThreadMetadata, kind: 'message' | 'tool_call'): { id: string; thread_id: string; created_at: string } {
    return { id: this.ids(kind), thread_id: thread.id, created_at: this.clock().toISOString() };
  }
}

/** T: the user message's `input_text` parts, concatenated in order (`input_tag` ignored). */
function textOf(message: UserMessageItem): string {
  return message.content.map((part) => (part.type === 'input_text' ? part.text : '')).join('');
}

/** JSON(x) of the README: compact, keys in received order, `undefined` as `null`. */
function json(value: JsonValue | undefined | Record<string, JsonValue>): string {
  return JSON.stringify(value === undefined ? null : value);
}
