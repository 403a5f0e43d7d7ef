import { type ApiErrorInfo, isAbortError, networkErrorInfo, readApiError, WidgetApiError } from '../api/errors';
import type { Page, StreamEvent, Thread, ThreadItem, ThreadMeta, UserMessageInput } from './protocol';
import { readSseJson } from './sse';

export type FeedbackKind = 'positive' | 'negative';

/**
 * The lite renderer's ChatKit protocol client: one `POST` per operation to `/api/chatkit` with `{type, params}`,
 * through the widget's auth fetch. JSON operations resolve to the body; streaming ones yield each SSE event.
 * Failures reject with a {@link WidgetApiError} (the server's error body, or `network_error`); aborts with the
 * caller's AbortError.
 */
export function createLiteClient(
  url: string,
  authFetch: typeof fetch,
  /** A stream that broke after it started: the auth fetch saw a 200, so it reported nothing. */
  onStreamFailure?: (info: ApiErrorInfo) => void,
) {
  async function post(type: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await authFetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ type, params }),
        signal,
      });
    } catch (error) {
      throw asWidgetError(error);
    }
    if (!response.ok) throw new WidgetApiError(await readApiError(response));
    return response;
  }

  async function json<T>(type: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const response = await post(type, params, signal);
    try {
      return (await response.json()) as T;
    } catch (error) {
      if (isAbortError(error)) throw error;
      throw unexpected(response.status);
    }
  }

  async function* stream(
    type: string,
    params: Record<string, unknown>,
    signal?: AbortSignal,
  ): AsyncGenerator<StreamEvent> {
    const response = await post(type, params, signal);
    const contentType = response.headers.get('Content-Type') ?? '';
    if (!contentType.includes('text/event-stream') || !response.body) throw unexpected(response.status);
    try {
      yield* readSseJson<StreamEvent>(response.body);
    } catch (error) {
      const failure = asWidgetError(error);
      if (failure instanceof WidgetApiError) onStreamFailure?.(failure.info);
      throw failure;
    }
  }

  return {
    listThreads: (signal?: AbortSignal, after?: string) =>
      json<Page<ThreadMeta>>('threads.list', { limit: 20, order: 'desc', ...(after ? { after } : {}) }, signal),
    /** The thread with its oldest 20 items in ascending order. */
    getThread: (threadId: string, signal?: AbortSignal) =>
      json<Thread>('threads.get_by_id', { thread_id: threadId }, signal),
    /** The items after `after`, oldest first: the next page after `getThread`'s embedded one. */
    listItems: (threadId: string, after: string, signal?: AbortSignal) =>
      json<Page<ThreadItem>>('items.list', { thread_id: threadId, after, order: 'asc', limit: 50 }, signal),
    deleteThread: (threadId: string) => json<object>('threads.delete', { thread_id: threadId }),
    feedback: (threadId: string, itemIds: string[], kind: FeedbackKind) =>
      json<object>('items.feedback', { thread_id: threadId, item_ids: itemIds, kind }),
    createThread: (input: UserMessageInput, signal?: AbortSignal) => stream('threads.create', { input }, signal),
    addUserMessage: (threadId: string, input: UserMessageInput, signal?: AbortSignal) =>
      stream('threads.add_user_message', { thread_id: threadId, input }, signal),
    retryAfterItem: (threadId: string, userItemId: string, signal?: AbortSignal) =>
      stream('threads.retry_after_item', { thread_id: threadId, item_id: userItemId }, signal),
    /** Answers the thread's pending client tool call and streams the assistant's continuation. */
    addClientToolOutput: (threadId: string, result: unknown, signal?: AbortSignal) =>
      stream('threads.add_client_tool_output', { thread_id: threadId, result }, signal),
    customAction: (
      threadId: string,
      itemId: string | undefined,
      action: { type: string; payload?: unknown },
      signal?: AbortSignal,
    ) =>
      stream(
        'threads.custom_action',
        { thread_id: threadId, ...(itemId ? { item_id: itemId } : {}), action },
        signal,
      ),
  };
}

export type LiteClient = ReturnType<typeof createLiteClient>;

function asWidgetError(error: unknown): unknown {
  if (error instanceof WidgetApiError || isAbortError(error)) return error;
  return new WidgetApiError(networkErrorInfo(error));
}

function unexpected(status: number): WidgetApiError {
  return new WidgetApiError({
    status,
    code: 'unexpected_response',
    message: 'The chat service sent a response the widget cannot read',
  });
}
