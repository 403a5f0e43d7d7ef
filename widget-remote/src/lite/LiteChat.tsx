import {
  type FormEvent,
  type KeyboardEvent,
  useCallback,
  useEffect,
  useId,
  useReducer,
  useRef,
  useState,
} from 'react';
import { type ApiErrorInfo, type ErrorView, isAbortError, WidgetApiError } from '../api/errors';
import { runClientTool } from '../clientTools';
import type { ClientToolHandler, StarterPrompt } from '../contract';
import { ErrorBanner, Skeleton } from '../ui/status';
import type { FeedbackKind, LiteClient } from './client';
import { itemText } from './items';
import { type ActionConfig, type StreamEvent, type Task, textInput, type ThreadItem, type Workflow } from './protocol';
import { initialLiteState, liteReducer } from './reducer';
import { WidgetView } from './WidgetView';

export interface LiteChatProps {
  client: LiteClient;
  greeting: string;
  starterPrompts: StarterPrompt[];
  /** The chat is rate limited: sending waits until the host's countdown ends. */
  blocked: boolean;
  describe: (info: ApiErrorInfo) => ErrorView;
  /** Runs `client_tool_call`s that arrive while streaming; without it they are shown as unsupported. */
  onClientTool?: ClientToolHandler | undefined;
}

interface RequestError {
  view: ErrorView;
  retry?: () => void;
}

/**
 * The built-in renderer: speaks the ChatKit protocol itself (thread list, streamed answers, retry, stop, feedback,
 * widget buttons) with plain DOM, for browsers that cannot load OpenAI's ChatKit script.
 */
export function LiteChat({ client, greeting, starterPrompts, blocked, describe, onClientTool }: LiteChatProps) {
  const [state, dispatch] = useReducer(liteReducer, initialLiteState);
  const [draft, setDraft] = useState('');
  const [historyOpen, setHistoryOpen] = useState(false);
  const [requestError, setRequestError] = useState<RequestError | null>(null);
  const stateRef = useRef(state);
  stateRef.current = state;

  const composerRef = useRef<HTMLTextAreaElement>(null);
  const historyToggleRef = useRef<HTMLButtonElement>(null);
  const historyRef = useRef<HTMLElement>(null);
  const streamAbort = useRef<AbortController | null>(null);
  const threadAbort = useRef<AbortController | null>(null);
  const streamGeneration = useRef(0);
  const clientToolRef = useRef(onClientTool);
  clientToolRef.current = onClientTool;
  /** Set once per render below: answers a client tool call a finished stream left pending. */
  const answerToolRef = useRef<(threadId: string, call: PendingToolCall) => void>(() => {});
  const historyId = useId();
  const composerId = useId();

  /** Recoverable failures get a banner with a retry; fatal ones and rate limits are shown by the widget shell. */
  const fail = useCallback(
    (error: unknown, retry?: () => void) => {
      if (isAbortError(error)) return;
      const info =
        error instanceof WidgetApiError
          ? error.info
          : { status: 0, code: 'network_error', message: error instanceof Error ? error.message : String(error) };
      const view = describe(info);
      if (view.fatal || view.kind === 'rate_limited') return;
      setRequestError({ view, ...(retry ? { retry } : {}) });
    },
    [describe],
  );

  const stopStream = useCallback(() => {
    streamGeneration.current += 1;
    streamAbort.current?.abort();
    streamAbort.current = null;
    dispatch({ type: 'stream_finished' });
  }, []);

  const runStream = useCallback(
    async (
      start: (signal: AbortSignal) => AsyncGenerator<StreamEvent>,
      options: { outgoing?: string; onFail?: () => void; retry?: () => void } = {},
    ) => {
      streamAbort.current?.abort();
      const controller = new AbortController();
      streamAbort.current = controller;
      const generation = ++streamGeneration.current;
      setRequestError(null);
      dispatch({ type: 'stream_started', ...(options.outgoing ? { outgoing: options.outgoing } : {}) });
      // A client tool call the stream ends on: the page runs it, then the turn goes on (docs/chatkit-protocol.md, Client tools).
      let toolCall: { threadId: string; call: PendingToolCall } | null = null;
      try {
        for await (const event of start(controller.signal)) {
          if (generation !== streamGeneration.current) break;
          dispatch({ type: 'stream_event', event });
          if (event.type === 'thread.item.done' && event.item.type === 'client_tool_call' && event.item.status === 'pending') {
            toolCall = { threadId: event.item.thread_id, call: event.item };
          } else if (event.type === 'thread.item.done' || event.type === 'thread.item.added') {
            toolCall = null;
          }
        }
      } catch (error) {
        toolCall = null;
        if (generation === streamGeneration.current && !isAbortError(error)) {
          options.onFail?.();
          fail(error, options.retry);
        }
      } finally {
        // A newer stream (or a thread switch) owns the state now.
        if (generation === streamGeneration.current) {
          streamAbort.current = null;
          dispatch({ type: 'stream_finished' });
        } else {
          toolCall = null;
        }
      }
      if (toolCall && !controller.signal.aborted && clientToolRef.current) answerToolRef.current(toolCall.threadId, toolCall.call);
    },
    [fail],
  );

  const openThread = useCallback(
    async (threadId: string) => {
      if (stateRef.current.streaming) stopStream();
      threadAbort.current?.abort();
      const controller = new AbortController();
      threadAbort.current = controller;
      setRequestError(null);
      dispatch({ type: 'thread_opening', threadId });
      try {
        const thread = await client.getThread(threadId, controller.signal);
        dispatch({ type: 'thread_loaded', thread });
        let after = thread.items.has_more ? thread.items.after : undefined;
        for (let pages = 0; after && pages < 20; pages += 1) {
          const page = await client.listItems(threadId, after, controller.signal);
          dispatch({ type: 'items_loaded', threadId, page });
          after = page.has_more ? page.after : undefined;
        }
      } catch (error) {
        if (isAbortError(error)) return;
        dispatch({ type: 'thread_failed' });
        fail(error, () => void openThread(threadId));
      }
    },
    [client, fail, stopStream],
  );

  const loadThreads = useCallback(
    async (signal: AbortSignal | undefined, options: { append?: boolean; openNewest?: boolean } = {}) => {
      dispatch({ type: 'threads_loading' });
      try {
        const after = options.append ? stateRef.current.threadsAfter : undefined;
        const page = await client.listThreads(signal, after);
        dispatch({ type: 'threads_loaded', page, append: !!options.append });
        const newest = page.data[0];
        // A returning visitor lands on their latest conversation.
        if (options.openNewest && newest && stateRef.current.activeThreadId === null && !stateRef.current.streaming) {
          void openThread(newest.id);
        }
      } catch (error) {
        if (isAbortError(error)) return;
        dispatch({ type: 'threads_failed' });
        fail(error, () => void loadThreads(undefined, options));
      }
    },
    [client, fail, openThread],
  );

  useEffect(() => {
    const controller = new AbortController();
    void loadThreads(controller.signal, { openNewest: true });
    return () => {
      controller.abort();
      threadAbort.current?.abort();
      streamAbort.current?.abort();
    };
  }, [loadThreads]);

  const send = (text: string) => {
    const message = text.trim();
    const current = stateRef.current;
    if (!message || current.streaming || blocked) return;
    const threadId = current.activeThreadId;
    setDraft('');
    composerRef.current?.focus();
    void runStream(
      (signal) =>
        threadId
          ? client.addUserMessage(threadId, textInput(message), signal)
          : client.createThread(textInput(message), signal),
      {
        outgoing: message,
        // Never lose what the person typed: put it back unless they already started a new draft.
        onFail: () => setDraft((value) => (value === '' ? message : value)),
        retry: () => send(message),
      },
    );
  };

  const retryFrom = (userItemId: string) => {
    const threadId = stateRef.current.activeThreadId;
    if (!threadId || stateRef.current.streaming) return;
    dispatch({ type: 'retry_from', itemId: userItemId });
    void runStream((signal) => client.retryAfterItem(threadId, userItemId, signal), {
      retry: () => retryFrom(userItemId),
    });
  };

  const runAction = (itemId: string, action: ActionConfig) => {
    const threadId = stateRef.current.activeThreadId;
    if (!threadId || stateRef.current.streaming) return;
    const body = { type: action.type, ...(action.payload !== undefined ? { payload: action.payload } : {}) };
    void runStream((signal) => client.customAction(threadId, itemId, body, signal), {
      retry: () => runAction(itemId, action),
    });
  };

  const answerTool = (threadId: string, call: PendingToolCall) => {
    const handler = clientToolRef.current;
    if (!handler) return;
    let result: Record<string, unknown> | null = null;
    const start = async function* (signal: AbortSignal): AsyncGenerator<StreamEvent> {
      // Run the tool once, even when sending its output has to be retried.
      result ??= await runClientTool(handler, { name: call.name, arguments: asArguments(call.arguments) });
      if (signal.aborted) return;
      dispatch({ type: 'client_tool_answered', itemId: call.id, output: result });
      yield* client.addClientToolOutput(threadId, result, signal);
    };
    void runStream(start, { retry: () => void runStream(start) });
  };
  answerToolRef.current = answerTool;

  const giveFeedback = async (itemId: string, kind: FeedbackKind) => {
    const threadId = stateRef.current.activeThreadId;
    if (!threadId) return;
    dispatch({ type: 'feedback_given', itemId, kind });
    try {
      await client.feedback(threadId, [itemId], kind);
    } catch (error) {
      fail(error, () => void giveFeedback(itemId, kind));
    }
  };

  const deleteThread = async (threadId: string) => {
    if (stateRef.current.activeThreadId === threadId && stateRef.current.streaming) stopStream();
    try {
      await client.deleteThread(threadId);
      dispatch({ type: 'thread_deleted', threadId });
      historyRef.current?.querySelector<HTMLElement>('[data-testid="parley-thread-item"]')?.focus();
    } catch (error) {
      fail(error);
    }
  };

  const newThread = () => {
    if (stateRef.current.streaming) stopStream();
    threadAbort.current?.abort();
    dispatch({ type: 'new_thread' });
    setRequestError(null);
    setHistoryOpen(false);
    composerRef.current?.focus();
  };

  const selectThread = (threadId: string) => {
    setHistoryOpen(false);
    composerRef.current?.focus();
    if (threadId !== stateRef.current.activeThreadId) void openThread(threadId);
  };

  // Opening the history moves focus into it; the thread list is then driven with the arrow keys.
  useEffect(() => {
    if (!historyOpen) return;
    const list = historyRef.current;
    const current =
      list?.querySelector<HTMLElement>('[aria-current="true"]') ??
      list?.querySelector<HTMLElement>('[data-testid="parley-thread-item"]');
    current?.focus();
  }, [historyOpen]);

  const onHistoryKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      setHistoryOpen(false);
      historyToggleRef.current?.focus();
      return;
    }
    const buttons = Array.from(
      historyRef.current?.querySelectorAll<HTMLElement>('[data-testid="parley-thread-item"]') ?? [],
    );
    const index = buttons.indexOf(document.activeElement as HTMLElement);
    const target =
      event.key === 'ArrowDown'
        ? buttons[Math.min(buttons.length - 1, index + 1)]
        : event.key === 'ArrowUp'
          ? buttons[Math.max(0, index - 1)]
          : event.key === 'Home'
            ? buttons[0]
            : event.key === 'End'
              ? buttons[buttons.length - 1]
              : undefined;
    if (target) {
      event.preventDefault();
      target.focus();
    }
  };

  const onComposerKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send(draft);
    } else if (event.key === 'Escape' && stateRef.current.streaming && stateRef.current.allowCancel) {
      event.preventDefault();
      stopStream();
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    send(draft);
  };

  const { items, streaming } = state;
  const lastUserIndex = findLastIndex(items, (i) => i.type === 'user_message');
  const lastUser = items[lastUserIndex];
  const loading =
    state.threadStatus === 'loading' ||
    (state.threadsStatus === 'loading' && state.threads.length === 0 && state.activeThreadId === null);
  const showStart = !loading && state.activeThreadId === null && items.length === 0 && !streaming;
  const closedReason =
    state.thread && state.thread.status.type !== 'active'
      ? (state.thread.status.reason ?? (state.thread.status.type === 'locked' ? 'This conversation is locked.' : 'This conversation is closed.'))
      : null;

  return (
    <div className="pw-lite" data-testid="parley-lite">
      <div className="pw-toolbar">
        <button
          ref={historyToggleRef}
          type="button"
          aria-expanded={historyOpen}
          aria-controls={historyId}
          data-testid="parley-history-toggle"
          onClick={() => setHistoryOpen((open) => !open)}
        >
          Conversations
        </button>
        <span className="pw-thread-title" data-testid="parley-thread-title">
          {state.thread?.title ?? (state.activeThreadId ? 'Conversation' : 'New conversation')}
        </span>
        <button type="button" data-testid="parley-new-thread" onClick={newThread}>
          New chat
        </button>
      </div>

      <nav
        id={historyId}
        ref={historyRef}
        className="pw-history"
        aria-label="Conversations"
        data-testid="parley-thread-list"
        hidden={!historyOpen}
        onKeyDown={onHistoryKeyDown}
      >
        {state.threadsStatus === 'ready' && state.threads.length === 0 && <p className="pw-muted">No conversations yet.</p>}
        <ul>
          {state.threads.map((thread) => (
            <li key={thread.id}>
              <button
                type="button"
                className="pw-thread"
                data-testid="parley-thread-item"
                data-thread-id={thread.id}
                aria-current={thread.id === state.activeThreadId ? 'true' : undefined}
                onClick={() => selectThread(thread.id)}
              >
                {thread.title || 'Untitled conversation'}
              </button>
              <button
                type="button"
                className="pw-icon"
                data-testid="parley-thread-delete"
                aria-label={`Delete conversation “${thread.title || 'Untitled conversation'}”`}
                onClick={() => void deleteThread(thread.id)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
        {state.threadsAfter && (
          <button type="button" onClick={() => void loadThreads(undefined, { append: true })}>
            More conversations
          </button>
        )}
      </nav>

      {state.notices.map((notice) => (
        <div key={notice.id} className={`pw-banner pw-${notice.level}`} data-testid="parley-notice" role="status">
          {notice.title && <strong>{notice.title} </strong>}
          {notice.message}
          <button
            type="button"
            className="pw-icon"
            aria-label="Dismiss notice"
            onClick={() => dispatch({ type: 'notice_dismissed', id: notice.id })}
          >
            ×
          </button>
        </div>
      ))}

      <div
        className="pw-log"
        role="log"
        aria-live="polite"
        aria-busy={streaming || loading}
        aria-label="Conversation"
        data-testid="parley-log"
        tabIndex={0}
      >
        {loading && <Skeleton />}
        {showStart && (
          <div className="pw-start" data-testid="parley-start">
            <p className="pw-greeting">{greeting}</p>
            {starterPrompts.map((prompt) => (
              <button
                key={prompt.label}
                type="button"
                data-testid="parley-starter-prompt"
                disabled={blocked}
                onClick={() => send(prompt.prompt)}
              >
                {prompt.label}
              </button>
            ))}
          </div>
        )}
        {!loading &&
          items.map((item, index) => (
            <Message
              key={item.id}
              item={item}
              pending={state.pendingItemIds.includes(item.id)}
              streaming={streaming}
              feedback={state.feedback[item.id]}
              canRetry={!streaming && index > lastUserIndex && lastUser !== undefined}
              onRetry={() => lastUser && retryFrom(lastUser.id)}
              onFeedback={(kind) => void giveFeedback(item.id, kind)}
              onAction={(action) => runAction(item.id, action)}
              canRunTools={onClientTool !== undefined}
            />
          ))}
        {state.outgoing !== null && (
          <article className="pw-msg pw-user" data-testid="parley-message" data-role="user" data-pending="true">
            <div className="pw-text">{state.outgoing}</div>
          </article>
        )}
        {state.progress && (
          <p className="pw-progress" data-testid="parley-progress">
            {state.progress.text}
          </p>
        )}
        {state.streamError && (
          <div className="pw-banner pw-danger" data-testid="parley-stream-error" role="alert">
            {state.streamError.message ?? 'Something went wrong while answering.'}
            {state.streamError.allowRetry && lastUser && (
              <button type="button" data-testid="parley-stream-retry" onClick={() => retryFrom(lastUser.id)}>
                Retry
              </button>
            )}
          </div>
        )}
      </div>

      {requestError && (
        <ErrorBanner
          view={requestError.view}
          {...(requestError.retry
            ? {
                onRetry: () => {
                  const retry = requestError.retry;
                  setRequestError(null);
                  retry?.();
                },
              }
            : {})}
        />
      )}

      <form className="pw-composer" onSubmit={onSubmit} data-testid="parley-composer-form">
        <label htmlFor={composerId} className="pw-sr">
          Message
        </label>
        <textarea
          id={composerId}
          ref={composerRef}
          rows={2}
          value={draft}
          placeholder={closedReason ?? 'Message'}
          disabled={closedReason !== null}
          data-testid="parley-composer"
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={onComposerKeyDown}
        />
        {streaming && state.allowCancel ? (
          <button type="button" data-testid="parley-stop" onClick={stopStream}>
            Stop
          </button>
        ) : (
          <button
            type="submit"
            className="pw-primary"
            data-testid="parley-send"
            disabled={streaming || blocked || closedReason !== null || draft.trim() === ''}
          >
            Send
          </button>
        )}
      </form>
    </div>
  );
}

interface MessageProps {
  item: ThreadItem;
  pending: boolean;
  streaming: boolean;
  feedback: FeedbackKind | undefined;
  canRetry: boolean;
  onRetry: () => void;
  onFeedback: (kind: FeedbackKind) => void;
  onAction: (action: ActionConfig) => void;
  /** The host passed `onClientTool`. */
  canRunTools: boolean;
}

function Message({ item, pending, streaming, feedback, canRetry, onRetry, onFeedback, onAction, canRunTools }: MessageProps) {
  const common = {
    'data-testid': 'parley-message',
    'data-role': item.type === 'user_message' ? 'user' : item.type === 'assistant_message' ? 'assistant' : item.type,
    'data-item-id': item.id,
    ...(pending ? { 'data-pending': 'true' } : {}),
  };
  switch (item.type) {
    case 'user_message':
      return (
        <article className="pw-msg pw-user" aria-label="You" {...common}>
          {item.quoted_text && <blockquote>{item.quoted_text}</blockquote>}
          <div className="pw-text">{itemText(item)}</div>
          {item.attachments.length > 0 && (
            <p className="pw-muted">{item.attachments.map((a) => a.name).join(', ')}</p>
          )}
        </article>
      );
    case 'assistant_message':
      return (
        <article className="pw-msg pw-assistant" aria-label="Assistant" {...common}>
          <div className="pw-text">{itemText(item)}</div>
          {!pending && !streaming && (
            <div className="pw-actions" role="group" aria-label="Response actions">
              <button
                type="button"
                className="pw-icon"
                aria-label="Good response"
                aria-pressed={feedback === 'positive'}
                data-testid="parley-feedback-positive"
                onClick={() => onFeedback('positive')}
              >
                <Thumb />
              </button>
              <button
                type="button"
                className="pw-icon"
                aria-label="Bad response"
                aria-pressed={feedback === 'negative'}
                data-testid="parley-feedback-negative"
                onClick={() => onFeedback('negative')}
              >
                <Thumb down />
              </button>
              {canRetry && (
                <button type="button" data-testid="parley-retry" onClick={onRetry}>
                  Retry
                </button>
              )}
            </div>
          )}
        </article>
      );
    case 'widget':
      return (
        <article className="pw-msg pw-assistant" aria-label="Assistant" {...common}>
          <WidgetView node={item.widget} disabled={streaming} onAction={onAction} />
        </article>
      );
    case 'workflow':
      return (
        <details className="pw-msg pw-workflow" {...common} open={pending}>
          <summary>{summaryTitle(item.workflow.summary) ?? (pending ? 'Working…' : stepsSummary(item.workflow.tasks))}</summary>
          <ul>
            {item.workflow.tasks.map((task, index) => (
              <li key={index} data-testid="parley-task" data-status={task.status_indicator ?? 'none'}>
                {task.status_indicator === 'loading' ? '… ' : task.status_indicator === 'complete' ? '✓ ' : ''}
                {task.title ?? task.type}
                {task.title && taskContent(task) ? <span className="pw-muted"> — {taskContent(task)}</span> : !task.title ? taskContent(task) : null}
              </li>
            ))}
          </ul>
        </details>
      );
    case 'task':
      return (
        <p className="pw-msg pw-muted" {...common}>
          {item.task.title ?? taskContent(item.task) ?? item.task.type}
        </p>
      );
    case 'generated_image':
      return (
        <article className="pw-msg pw-assistant" aria-label="Assistant" {...common}>
          {item.image ? <img className="pw-w-image" src={item.image.url} alt="Generated image" /> : <Skeleton label="Generating image…" />}
        </article>
      );
    case 'client_tool_call':
      return (
        <p className="pw-msg pw-muted" data-status={item.status} {...common}>
          {item.status === 'completed'
            ? `Ran “${item.name}”.`
            : canRunTools
              ? `Running “${item.name}”…`
              : `The assistant asked to run “${item.name}”, which this chat cannot do.`}
        </p>
      );
    case 'structured_input':
      return (
        <p className="pw-msg pw-muted" {...common}>
          {item.inputs.map((input) => input.question).join(' ')}
        </p>
      );
    default:
      return null;
  }
}

/** Inline icon: emoji glyphs are missing from many system fonts. */
function Thumb({ down = false }: { down?: boolean }) {
  return (
    <svg aria-hidden="true" viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round" style={down ? { transform: 'scale(1,-1)' } : undefined}>
      <path d="M7 10v11H3V10h4zm0 0l4-8a3 3 0 0 1 3 3v4h6a2 2 0 0 1 2 2.3l-1.4 8A2 2 0 0 1 18.6 21H7" />
    </svg>
  );
}

/** The title of a workflow's summary (a reasoning summary carries a duration instead). */
function summaryTitle(summary: Workflow['summary']): string | undefined {
  return summary && 'title' in summary ? summary.title : undefined;
}

/** The text of a task, for the kinds that have one (custom, thought). */
function taskContent(task: Task): string | undefined {
  return 'content' in task && typeof task.content === 'string' && task.content ? task.content : undefined;
}

/** "Used refund_order" / "Used 3 tools": what a finished workflow item did, at a glance. */
function stepsSummary(tasks: ReadonlyArray<{ title?: string }>): string {
  const titles = tasks.map((t) => t.title).filter((t): t is string => !!t);
  if (titles.length === 0) return 'Steps';
  return titles.length === 1 ? `Used ${titles[0]}` : `Used ${titles.length} tools`;
}

type PendingToolCall = Extract<ThreadItem, { type: 'client_tool_call' }>;

/** Tool arguments as the contract promises them: an object (a model's odd value is wrapped, never dropped). */
function asArguments(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
}

function findLastIndex<T>(list: readonly T[], test: (value: T) => boolean): number {
  for (let i = list.length - 1; i >= 0; i -= 1) if (test(list[i] as T)) return i;
  return -1;
}
