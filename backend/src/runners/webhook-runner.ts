import type { Principal } from '../auth/principal';
import { IDENTITY_HEADER, identitySubjectOf, IdentitySubject } from '../auth/identity-token.service';
import { OutboundResponseTooLargeError, OutboundUrlRefusedError } from '../outbound/outbound.errors';
import { SIGNATURE_HEADER, signWebhook } from '../webhooks/webhook-signature';
import { ChatKitCustomStreamError } from '../chat-protocol/errors';
import { ECHO_TITLE_LENGTH } from '../chat-protocol/echo-runner';
import { Clock, IdGenerator, randomIdGenerator, systemClock } from '../chat-protocol/ids';
import { isNewThread, type Runner } from '../chat-protocol/runner';
import type { ChatStore } from '../chat-protocol/store';
import type {
  Action,
  AssistantMessageItem,
  SyncCustomActionResponse,
  Task,
  ThreadItem,
  ThreadMetadata,
  ThreadStreamEvent,
  UserMessageItem,
  WidgetItem,
  WorkflowItem,
} from '../chat-protocol/types';
import { IdleAbort } from './idle-abort';

/** How many earlier items (user and assistant messages) go to the engine as `history`. */
export const WEBHOOK_HISTORY_ITEMS = 20;

/** The longest single line (NDJSON) or event (SSE) accepted from an engine. */
const MAX_LINE_BYTES = 256 * 1024;

/** What the runner needs besides the definition; the factory wires Parley's services in. */
export interface WebhookRunnerOptions<Ctx> {
  url: string;
  /** Plain owner headers (already opened from the secret box). */
  headers: Record<string, string>;
  /** Longest silence: until the answer starts, and between streamed lines. */
  timeoutMs: number;
  /** The workflow's signing secret; null when the owner has not created one. */
  secret: (ctx: Ctx) => Promise<string | null>;
  /** Mints `X-Parley-Identity` for the engine's origin. */
  identity: (request: { workflowId: string; threadId: string; subject: IdentitySubject; audience: string }) => Promise<string>;
  /** `fetch` under the outbound policy (SSRF checks, byte cap). */
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  /** Who is chatting in `ctx`, and in which workflow. */
  who: (ctx: Ctx) => { workflowId: string; principal: Principal };
  store: ChatStore<Ctx>;
  /** Upstream failures, for the log (never shown to the user). */
  onError?(reason: string, detail: Record<string, unknown>, ctx: Ctx): void;
  ids?: IdGenerator;
  clock?: Clock;
}

/** Thrown by the idle timer, so a timeout can be told from other failures. */
class EngineTimeout extends Error {}
/** The engine answered something Parley cannot read. */
class MalformedAnswer extends Error {}

/** One line of a streamed answer. */
type EngineEvent = { type: 'text'; delta: string } | { type: 'task'; title: string; status: 'loading' | 'complete' | 'none' } | { type: 'done' };

/** The identity claims Parley also sends as `X-Parley-Identity` (docs/security.md, End-user identity for tools). */
export function identityClaimsOf(workflowId: string, threadId: string, subject: IdentitySubject): Record<string, unknown> {
  const claims: Record<string, unknown> = { wf: workflowId, thr: threadId, sub: subject.sub, kind: subject.kind };
  if (subject.email) claims.email = subject.email;
  if (subject.name) claims.name = subject.name;
  return claims;
}

/**
 * The `webhook` runner (docs/embedding.md, section 8): each turn is one signed POST to the owner's engine, whose
 * answer — JSON `{text}`, or an SSE / NDJSON stream of `{type:'text', delta}`,
 * `{type:'task', title, status}` and `{type:'done'}` lines — becomes ChatKit events: text deltas
 * into one assistant message, tasks into one `workflow` item. A timeout, a non-2xx status, an
 * unreadable or oversized answer ends the turn with a safe `custom` error (retry allowed) that says
 * nothing the engine said. Aborting `signal` (the user stopped, the stream was ended) aborts the
 * upstream request, so the engine sees its connection close.
 */
export class WebhookRunner<Ctx> implements Runner<Ctx> {
  /** A new thread's history is empty, known without reading: the engine request may overlap the thread's first write. */
  readonly startsBeforeStored = true;
  private readonly ids: IdGenerator;
  private readonly clock: Clock;

  constructor(private readonly options: WebhookRunnerOptions<Ctx>) {
    this.ids = options.ids ?? randomIdGenerator;
    this.clock = options.clock ?? systemClock;
  }

  async *respond(thread: ThreadMetadata, userMessage: UserMessageItem | null, ctx: Ctx, signal: AbortSignal): AsyncIterable<ThreadStreamEvent> {
    try {
      yield* this.turn(thread, userMessage, ctx, signal);
    } finally {
      if (userMessage && !thread.title) thread.title = Array.from(textOf(userMessage)).slice(0, ECHO_TITLE_LENGTH).join('');
    }
  }

  async *action(_thread: ThreadMetadata, action: Action): AsyncIterable<ThreadStreamEvent> {
    yield { type: 'notice', level: 'info', message: `This assistant does not handle the action \`${action.type}\`.` };
  }

  async syncAction(_thread: ThreadMetadata, _action: Action, _sender: WidgetItem | null): Promise<SyncCustomActionResponse> {
    return {};
  }

  private async *turn(thread: ThreadMetadata, userMessage: UserMessageItem | null, ctx: Ctx, signal: AbortSignal): AsyncIterable<ThreadStreamEvent> {
    const { workflowId, principal } = this.options.who(ctx);
    // Host users describe themselves: `id` is their workflow-namespaced id, with email and name.
    const subject = identitySubjectOf(principal);
    // Independent of one another: the history read's round trip overlaps the secret lookup and the
    // identity token's signature instead of following them. A missing secret still sends nothing.
    const secretOf = this.options.secret(ctx);
    const historyOf = this.history(thread, userMessage, ctx);
    const identityOf = this.options.identity({ workflowId, threadId: thread.id, subject, audience: this.options.url });
    // Settled together, so none of them can reject unhandled while another is awaited.
    const [secretResult, historyResult, identityResult] = await Promise.allSettled([secretOf, historyOf, identityOf]);
    const secret = settledValue(secretResult);
    if (!secret) throw new ChatKitCustomStreamError('This assistant is not set up yet: its owner has not created the webhook signing secret.', false);
    const history = settledValue(historyResult);
    const identity = settledValue(identityResult);
    const raw = JSON.stringify({
      workflowId,
      thread: { id: thread.id, title: thread.title ?? null },
      input: userMessage,
      history,
      identity: identityClaimsOf(workflowId, thread.id, subject),
    });

    if (signal.aborted) return;
    // One controller for the request: the client's abort and the idle timer both end it.
    const upstream = new IdleAbort(signal, this.options.timeoutMs, () => new EngineTimeout());

    const message: AssistantMessageItem = {
      id: this.ids('message'),
      thread_id: thread.id,
      created_at: this.clock().toISOString(),
      type: 'assistant_message',
      content: [{ type: 'output_text', text: '', annotations: [] }],
    };
    let text = '';
    let messageAdded = false;
    let workflow: WorkflowItem | null = null;
    const finish = function* (): Generator<ThreadStreamEvent> {
      if (workflow) yield { type: 'thread.item.done', item: { ...workflow, workflow: { ...workflow.workflow, expanded: false } } };
      if (messageAdded && text.trim() !== '') yield { type: 'thread.item.done', item: { ...message, content: [{ type: 'output_text', text, annotations: [] }] } };
    };

    try {
      upstream.arm();
      const res = await this.options.fetch(this.options.url, {
        method: 'POST',
        headers: {
          ...this.options.headers,
          'content-type': 'application/json',
          accept: 'text/event-stream, application/x-ndjson, application/json',
          'user-agent': 'Parley-Webhook/1',
          [SIGNATURE_HEADER]: signWebhook(secret, raw),
          [IDENTITY_HEADER]: identity,
        },
        body: raw,
        signal: upstream.signal,
      });
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        this.options.onError?.('engine answered an error status', { status: res.status }, ctx);
        throw new ChatKitCustomStreamError(`The workflow engine returned an error (HTTP ${res.status}). Please try again.`, true);
      }
      const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
      const events = type === 'application/json' ? jsonAnswer(res) : type === 'text/event-stream' ? sseLines(res) : type === 'application/x-ndjson' ? ndjsonLines(res) : null;
      if (!events) {
        await res.body?.cancel().catch(() => undefined);
        throw new MalformedAnswer(`unsupported content type ${type || '(none)'}`);
      }
      let done = false;
      // One batch per network read; text deltas of one read go out as one delta (fewer events, same text).
      batches: for await (const batch of events) {
        upstream.arm();
        for (const event of coalesce(batch)) {
          if (event.type === 'done') {
            done = true;
            break batches;
          }
          if (event.type === 'text') {
            if (event.delta === '') continue;
            if (!messageAdded) {
              messageAdded = true;
              yield { type: 'thread.item.added', item: structuredClone(message) };
            }
            text += event.delta;
            yield { type: 'thread.item.updated', item_id: message.id, update: { type: 'assistant_message.content_part.text_delta', content_index: 0, delta: event.delta } };
          } else {
            const task: Task = { type: 'custom', title: event.title, status_indicator: event.status };
            if (!workflow) {
              workflow = { id: this.ids('workflow'), thread_id: thread.id, created_at: this.clock().toISOString(), type: 'workflow', workflow: { type: 'custom', tasks: [task], expanded: true } };
              yield { type: 'thread.item.added', item: structuredClone(workflow) };
              continue;
            }
            const index = workflow.workflow.tasks.findIndex((t) => t.title === event.title);
            if (index === -1) {
              workflow.workflow.tasks.push(task);
              yield { type: 'thread.item.updated', item_id: workflow.id, update: { type: 'workflow.task.added', task_index: workflow.workflow.tasks.length - 1, task } };
            } else {
              workflow.workflow.tasks[index] = task;
              yield { type: 'thread.item.updated', item_id: workflow.id, update: { type: 'workflow.task.updated', task_index: index, task } };
            }
          }
        }
      }
      // After `done`, leaving the loop cancelled the body, which closes a request the engine keeps open
      // (e2e turn-statements); no abort of a finished request (an AbortError and its listeners per turn).
      if (upstream.timedOut && !signal.aborted) throw new EngineTimeout();
      if (!done && !messageAdded && !workflow && !signal.aborted) throw new MalformedAnswer('the answer had no text, task or done line');
    } catch (error) {
      if (signal.aborted) return;
      yield* finish();
      if (error instanceof ChatKitCustomStreamError) throw error;
      this.options.onError?.(reasonOf(error, upstream.timedOut), {}, ctx);
      throw new ChatKitCustomStreamError(safeMessage(error, upstream.timedOut), true);
    } finally {
      upstream.dispose();
    }
    if (signal.aborted) return;
    yield* finish();
  }

  /** Earlier user and assistant messages, oldest first, without the message being answered. */
  private async history(thread: ThreadMetadata, userMessage: UserMessageItem | null, ctx: Ctx): Promise<{ role: 'user' | 'assistant'; content: string }[]> {
    // A thread this request created holds only the message being answered: nothing to read.
    if (userMessage && isNewThread(thread)) return [];
    const page = await this.options.store.loadThreadItems(thread.id, undefined, WEBHOOK_HISTORY_ITEMS + 1, 'desc', ctx);
    const out: { role: 'user' | 'assistant'; content: string }[] = [];
    for (const item of [...page.data].reverse()) {
      if (item.id === userMessage?.id) continue;
      const message = toHistory(item);
      if (message) out.push(message);
    }
    return out.slice(-WEBHOOK_HISTORY_ITEMS);
  }
}

/** The value of a settled promise, or its rejection thrown. */
function settledValue<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

function toHistory(item: ThreadItem): { role: 'user' | 'assistant'; content: string } | null {
  if (item.type === 'user_message') return { role: 'user', content: textOf(item) };
  if (item.type === 'assistant_message') return { role: 'assistant', content: item.content.map((part) => part.text).join('') };
  return null;
}

function textOf(message: UserMessageItem): string {
  return message.content.map((part) => (part.type === 'input_text' ? part.text : '')).join('');
}

/** A user-facing description of the failure that reveals nothing the engine said. */
function safeMessage(error: unknown, timedOut: boolean): string {
  if (timedOut || error instanceof EngineTimeout) return 'The workflow engine did not respond in time. Please try again.';
  if (error instanceof OutboundResponseTooLargeError) return 'The workflow engine sent an answer that is too large. Please try again.';
  if (error instanceof OutboundUrlRefusedError) return 'The workflow engine’s address is not allowed by this server.';
  if (error instanceof MalformedAnswer) return 'The workflow engine sent an answer Parley could not read. Please try again.';
  return 'The workflow engine could not be reached. Please try again.';
}

function reasonOf(error: unknown, timedOut: boolean): string {
  if (timedOut || error instanceof EngineTimeout) return 'engine timed out';
  if (error instanceof OutboundResponseTooLargeError) return 'engine answer too large';
  if (error instanceof OutboundUrlRefusedError) return 'engine address refused by the outbound policy';
  if (error instanceof MalformedAnswer) return `malformed engine answer: ${error.message}`;
  return `engine unreachable: ${error instanceof Error ? error.name : 'unknown'}`;
}

/** One engine line, checked: anything else is a malformed answer. */
export function parseEngineEvent(value: unknown): EngineEvent {
  if (typeof value !== 'object' || value === null) throw new MalformedAnswer('a line is not a JSON object');
  const v = value as Record<string, unknown>;
  if (v.type === 'text' && typeof v.delta === 'string') return { type: 'text', delta: v.delta };
  if (v.type === 'task' && typeof v.title === 'string' && v.title.length <= 500) {
    const status = v.status === undefined ? 'loading' : v.status;
    if (status === 'loading' || status === 'complete' || status === 'none') return { type: 'task', title: v.title, status };
  }
  if (v.type === 'done') return { type: 'done' };
  throw new MalformedAnswer(`unknown line type ${JSON.stringify(String(v.type)).slice(0, 40)}`);
}

/** Merges consecutive text deltas of one batch; order and every other line are kept. */
export function coalesce(batch: EngineEvent[]): EngineEvent[] {
  const out: EngineEvent[] = [];
  for (const event of batch) {
    const last = out[out.length - 1];
    if (event.type === 'text' && last?.type === 'text') out[out.length - 1] = { type: 'text', delta: last.delta + event.delta };
    else out.push(event);
  }
  return out;
}

async function* jsonAnswer(res: Response): AsyncGenerator<EngineEvent[]> {
  let body: unknown;
  try {
    body = JSON.parse(await res.text());
  } catch (error) {
    if (error instanceof SyntaxError) throw new MalformedAnswer('the JSON answer does not parse');
    throw error;
  }
  const text = (body as { text?: unknown } | null)?.text;
  if (typeof text !== 'string') throw new MalformedAnswer('the JSON answer has no string `text`');
  yield [{ type: 'text', delta: text }, { type: 'done' }];
}

/** The complete lines of each network read of the body (bounded in length); the rest at the end. */
async function* lines(res: Response): AsyncGenerator<string[]> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    const end = buffer.lastIndexOf('\n');
    if (end !== -1) {
      const complete = buffer.slice(0, end).split('\n').map((line) => line.replace(/\r$/, ''));
      buffer = buffer.slice(end + 1);
      yield complete;
    }
    if (buffer.length > MAX_LINE_BYTES) throw new MalformedAnswer('a line is too long');
  }
  buffer += decoder.decode();
  if (buffer.trim() !== '') yield [buffer.replace(/\r$/, '')];
}

function parseLine(line: string): EngineEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new MalformedAnswer('a line is not JSON');
  }
  return parseEngineEvent(value);
}

async function* ndjsonLines(res: Response): AsyncGenerator<EngineEvent[]> {
  for await (const batch of lines(res)) yield batch.filter((line) => line.trim() !== '').map(parseLine);
}

/** SSE: `data:` lines of one event are joined; comments, `event:`, `id:` and `retry:` are ignored; `[DONE]` ends. */
async function* sseLines(res: Response): AsyncGenerator<EngineEvent[]> {
  let data: string[] = [];
  const flush = (): EngineEvent | null => {
    if (!data.length) return null;
    const payload = data.join('\n');
    data = [];
    if (payload.trim() === '[DONE]') return { type: 'done' };
    return parseLine(payload);
  };
  for await (const batch of lines(res)) {
    const events: EngineEvent[] = [];
    for (const line of batch) {
      if (line === '') {
        const event = flush();
        if (event) events.push(event);
      } else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    yield events;
  }
  const event = flush();
  if (event) yield [event];
}
