import type OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { DomainError } from '../common/errors/domain-error';
import { ChatKitCustomStreamError, ChatKitInvalidRequestError, ChatKitNotSupportedError } from '../chat-protocol/errors';
import { titleFrom } from '../chat-protocol/echo-runner';
import { Clock, IdGenerator, randomIdGenerator, systemClock } from '../chat-protocol/ids';
import type { Runner } from '../chat-protocol/runner';
import type { ChatStore } from '../chat-protocol/store';
import type {
  Action,
  AssistantMessageItem,
  AudioInput,
  SyncCustomActionResponse,
  ThreadItem,
  ThreadMetadata,
  ThreadStreamEvent,
  TranscriptionResult,
  UserMessageItem,
  WidgetItem,
} from '../chat-protocol/types';
import { IdleAbort } from './idle-abort';
import { openaiSdk, openaiStreaming, openaiUserAgent } from './openai-sdk';

/** How many of the newest items (hidden ones included) become the model's conversation history. */
export const HISTORY_ITEMS = 60;

/** Provider presets of the `openai` runner definition. */
export type OpenAIProvider = 'openai' | 'gemini' | 'compatible';

/** Everything the runner needs from the workflow definition and the server configuration. */
export interface OpenAIRunnerOptions<Ctx> {
  provider: OpenAIProvider;
  model: string;
  instructions?: string;
  temperature?: number;
  /** Null when the provider is not usable (no key, no base URL): every answer is an error event. */
  client: OpenAI | null;
  /**
   * The transport `client` was built with (its `fetch` option), for the streamed completions the runner sends
   * itself (`completions`); default the global fetch, the SDK's default.
   */
  fetch?: typeof fetch;
  /** Why `client` is null, shown to the user. */
  unavailableReason?: string;
  /** Longest silence allowed from the provider, before the first token and between tokens. */
  timeoutMs: number;
  /** Speech-to-text model (provider `openai` only). */
  transcribeModel: string;
  /** Read for the conversation history. */
  store: ChatStore<Ctx>;
  /** Receives upstream failures that do not reach the stream (transcription), for the log. */
  onError?(error: unknown, ctx: Ctx | undefined): void;
  ids?: IdGenerator;
  clock?: Clock;
}

/** Sentinel thrown by the idle timer, so the catch can tell a timeout from other failures. */
class ProviderTimeout extends Error {}
const providerTimeout = (): Error => new ProviderTimeout();

/**
 * Answers with a model behind any OpenAI-compatible Chat Completions endpoint, streamed. Emits
 * the same event shapes as the echo runner's STREAM (`thread.item.added`, one `text_delta` per
 * chunk, `thread.item.done`) and titles a new thread like it. Upstream failures become a
 * `custom` error event with a safe message and `allow_retry: true`; the provider's own error text
 * is never shown (it can echo request details). Aborting `signal` cancels the HTTP request.
 */
export class OpenAIRunner<Ctx> implements Runner<Ctx> {
  private readonly ids: IdGenerator;
  private readonly clock: Clock;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: OpenAIRunnerOptions<Ctx>) {
    this.ids = options.ids ?? randomIdGenerator;
    this.clock = options.clock ?? systemClock;
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /**
   * One generator for the whole answer (no inner one to delegate to): an idle stream waiting for the model's
   * first byte holds this frame, the request's `IdleAbort` and the pending request, nothing else of the runner.
   */
  async *respond(thread: ThreadMetadata, userMessage: UserMessageItem | null, ctx: Ctx, signal: AbortSignal): AsyncIterable<ThreadStreamEvent> {
    let messages: ChatCompletionMessageParam[] | null = await this.history(thread, ctx);
    try {
      const client = this.options.client;
      if (!client) throw new ChatKitCustomStreamError(this.options.unavailableReason ?? 'This assistant is not available right now.', false, 'provider_not_configured');
      // The answer's fixed fields; every event builds its own content (a waiting stream holds no empty parts).
      const item: Omit<AssistantMessageItem, 'content'> = {
        id: this.ids('message'),
        thread_id: thread.id,
        created_at: this.clock().toISOString(),
        type: 'assistant_message',
      };
      if (signal.aborted) return;
      // One abort for the request: the client's abort and the idle timer both end it (over `nodeHttpFetch`, without
      // an AbortSignal of its own).
      const upstream = new IdleAbort(signal, this.options.timeoutMs, providerTimeout);

      let text = '';
      let added = false;
      try {
        upstream.arm();
        // `POST /chat/completions` as the SDK sends it, answered with the SDK's own SSE stream and error classes,
        // but not through its request machinery: while the model had not answered yet, that held three more async
        // frames, a second abort controller and timer, a `Headers` object and copies of the request per stream
        // (docs/performance.md, idle open streams).
        let response: Response;
        try {
          const sent = this.post(client, messages, upstream.signalFor(this.fetch));
          // In the request's body now: not held by this frame while the model is waited for.
          messages = null;
          response = await sent;
        } catch (error) {
          // Aborted (the idle timer, the client leaving): the reason; otherwise what the SDK calls a failed request.
          throw upstream.aborted ? error : connectionError(error);
        }
        if (!response.ok) throw await statusError(response);
        const stream = openaiStreaming().Stream.fromSSEResponse<ChatCompletionChunk>(response, upstream.controller, client);
        // A copy of the still empty item (built rather than `structuredClone`d).
        yield { type: 'thread.item.added', item: { ...item, content: [{ type: 'output_text', text: '', annotations: [] }] } };
        added = true;
        for await (const chunk of stream) {
          upstream.arm();
          const delta = chunk.choices?.[0]?.delta?.content;
          if (typeof delta !== 'string' || delta === '') continue;
          text += delta;
          yield { type: 'thread.item.updated', item_id: item.id, update: { type: 'assistant_message.content_part.text_delta', content_index: 0, delta } };
        }
        // The SDK's stream ends quietly when its request is aborted: tell a timeout from a real end.
        if (upstream.timedOut && !signal.aborted) throw new ProviderTimeout();
      } catch (error) {
        // The client went away: stop quietly, the processor keeps the partial text.
        if (signal.aborted) return;
        // Keep what the user already saw, then report the failure.
        if (added && text.trim() !== '') yield { type: 'thread.item.done', item: { ...item, content: [{ type: 'output_text', text, annotations: [] }] } };
        throw new ChatKitCustomStreamError(safeMessage(error, upstream.timedOut), true, reasonOf(error, upstream.timedOut));
      } finally {
        upstream.dispose();
      }
      if (signal.aborted) return;
      yield { type: 'thread.item.done', item: { ...item, content: [{ type: 'output_text', text, annotations: [] }] } };
    } finally {
      // Like the echo runner: after every answer, failed ones included.
      if (userMessage && !thread.title) thread.title = titleFrom(textOf(userMessage));
    }
  }

  /** Widget actions are not part of a model conversation: answer with a short notice. */
  async *action(_thread: ThreadMetadata, action: Action): AsyncIterable<ThreadStreamEvent> {
    yield { type: 'notice', level: 'info', message: `This assistant does not handle the action \`${action.type}\`.` };
  }

  async syncAction(_thread: ThreadMetadata, _action: Action, _sender: WidgetItem | null): Promise<SyncCustomActionResponse> {
    return {};
  }

  /** Speech to text through the provider's `/audio/transcriptions`; only the `openai` preset offers it. */
  async transcribe(audio: AudioInput, ctx?: Ctx): Promise<TranscriptionResult> {
    if (this.options.provider !== 'openai') {
      throw new ChatKitNotSupportedError(
        `Dictation is not available for this workflow: its model provider (${this.options.provider}) does not offer transcription through Parley.`,
      );
    }
    if (!this.options.client) throw new ChatKitNotSupportedError(`Dictation is not available: ${this.options.unavailableReason ?? 'the provider is not configured'}.`);
    const base = audio.mime_type.split(';')[0].trim().toLowerCase();
    if (!base.startsWith('audio/')) {
      throw new ChatKitInvalidRequestError('mime_type must be an audio type.', { fields: { 'params.mime_type': ['must be an audio/* type'] } });
    }
    if (audio.data.length === 0) {
      throw new ChatKitInvalidRequestError('audio_base64 is empty.', { fields: { 'params.audio_base64': ['must contain audio'] } });
    }
    try {
      const file = await openaiSdk().toFile(audio.data, `dictation.${audioExtension(base)}`, { type: base });
      const result = await this.options.client.audio.transcriptions.create(
        { file, model: this.options.transcribeModel },
        { timeout: this.options.timeoutMs, maxRetries: 0 },
      );
      return { text: result.text };
    } catch (error) {
      this.options.onError?.(error, ctx);
      throw new DomainError('service_unavailable', 'The transcription service failed; please try again.');
    }
  }

  /** The conversation as Chat Completions messages: instructions, then the thread's newest items in order. */
  private async history(thread: ThreadMetadata, ctx: Ctx): Promise<ChatCompletionMessageParam[]> {
    const messages: ChatCompletionMessageParam[] = [];
    if (this.options.instructions) messages.push({ role: 'system', content: this.options.instructions });
    const page = await this.options.store.loadThreadItems(thread.id, undefined, HISTORY_ITEMS, 'desc', ctx);
    for (const item of [...page.data].reverse()) {
      const message = toMessage(item);
      if (message) messages.push(message);
    }
    return messages;
  }

  /**
   * Starts `POST /chat/completions` with `stream: true`, as the SDK sends it (its URL, bearer key, JSON body,
   * User-Agent), over the endpoint's transport. Not async, so nothing it builds (body, headers) stays in a
   * waiting frame.
   */
  private post(client: OpenAI, messages: ChatCompletionMessageParam[], signal: AbortSignal): Promise<Response> {
    const body = JSON.stringify({
      model: this.options.model,
      messages,
      stream: true,
      ...(this.options.temperature !== undefined ? { temperature: this.options.temperature } : {}),
    });
    return this.fetch(client.buildURL('/chat/completions', undefined), {
      method: 'POST',
      headers: { authorization: `Bearer ${client.apiKey}`, 'content-type': 'application/json', accept: 'application/json', 'user-agent': openaiUserAgent() },
      body,
      signal,
    });
  }
}

/** What the SDK calls a failed request (its `makeRequest`): a timeout when the cause says so. */
function connectionError(error: unknown): Error {
  const { APIConnectionError, APIConnectionTimeoutError } = openaiSdk();
  const cause = error instanceof Error ? error : new Error(String(error));
  if (/timed? ?out/i.test(String(cause) + ('cause' in cause ? String(cause.cause) : ''))) return new APIConnectionTimeoutError();
  return new APIConnectionError({ cause });
}

/** The SDK's error for a refused request (its `makeRequest`): the body as JSON when it is JSON, else as text. */
async function statusError(response: Response): Promise<Error> {
  const text = await response.text().catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
  let json: object | undefined;
  try {
    json = JSON.parse(text) as object;
  } catch {
    json = undefined;
  }
  return openaiSdk().APIError.generate(response.status, json, json ? undefined : text, response.headers);
}

/** A user-facing description of an upstream failure that reveals nothing the provider said. */
export function safeMessage(error: unknown, timedOut: boolean): string {
  const { APIConnectionError, APIConnectionTimeoutError, APIError } = openaiSdk();
  if (timedOut || error instanceof APIConnectionTimeoutError) return 'The model provider did not respond in time. Please try again.';
  if (error instanceof APIConnectionError) return 'The model provider could not be reached. Please try again.';
  if (error instanceof APIError && typeof error.status === 'number') {
    if (error.status === 429) return 'The model provider is busy right now (rate limited). Please try again shortly.';
    if (error.status === 401 || error.status === 403) return 'The model provider refused the server’s credentials.';
    return `The model provider returned an error (HTTP ${error.status}). Please try again.`;
  }
  return 'The model provider returned an unexpected response. Please try again.';
}

/** The analytics code of an upstream failure (docs/analytics.md lists them). */
export function reasonOf(error: unknown, timedOut: boolean): string {
  const { APIConnectionError, APIConnectionTimeoutError, APIError } = openaiSdk();
  if (timedOut || error instanceof APIConnectionTimeoutError) return 'provider_timeout';
  if (error instanceof APIConnectionError) return 'provider_unreachable';
  if (error instanceof APIError && typeof error.status === 'number') {
    if (error.status === 429) return 'rate_limited';
    if (error.status === 401 || error.status === 403) return 'provider_auth';
    return error.status >= 500 ? 'provider_unavailable' : 'provider_error';
  }
  return 'provider_bad_response';
}

/** T of the echo runner: the message's `input_text` parts, concatenated. */
export function textOf(message: UserMessageItem): string {
  return message.content.map((part) => (part.type === 'input_text' ? part.text : '')).join('');
}

/** One history item as a chat message; items a text model cannot use (widgets, tool calls…) are skipped. */
export function toMessage(item: ThreadItem): ChatCompletionMessageParam | null {
  switch (item.type) {
    case 'user_message': {
      const text = textOf(item);
      const content = item.quoted_text ? `> ${item.quoted_text.replace(/\n/g, '\n> ')}\n\n${text}` : text;
      return content.trim() ? { role: 'user', content } : null;
    }
    case 'assistant_message': {
      const content = item.content.map((part) => part.text).join('');
      return content.trim() ? { role: 'assistant', content } : null;
    }
    case 'hidden_context_item':
      return { role: 'system', content: typeof item.content === 'string' ? item.content : JSON.stringify(item.content) };
    case 'sdk_hidden_context':
      // The cancellation note: tells the model not to continue the answer the user stopped.
      return { role: 'system', content: item.content };
    default:
      return null;
  }
}

/** The file extension the transcription API infers the container from. */
function audioExtension(mime: string): string {
  const known: Record<string, string> = {
    'audio/webm': 'webm',
    'audio/ogg': 'ogg',
    'audio/mp4': 'mp4',
    'audio/m4a': 'm4a',
    'audio/x-m4a': 'm4a',
    'audio/mpeg': 'mp3',
    'audio/mp3': 'mp3',
    'audio/wav': 'wav',
    'audio/x-wav': 'wav',
    'audio/wave': 'wav',
    'audio/flac': 'flac',
  };
  return known[mime] ?? 'webm';
}
