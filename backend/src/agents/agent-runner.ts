import { randomBytes } from 'node:crypto';
import type OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { ChatKitInvalidRequestError, ChatKitCustomStreamError } from '../chat-protocol/errors';
import { ECHO_TITLE_LENGTH } from '../chat-protocol/echo-runner';
import { Clock, IdGenerator, randomIdGenerator, systemClock } from '../chat-protocol/ids';
import type { Runner } from '../chat-protocol/runner';
import type { ChatStore } from '../chat-protocol/store';
import type {
  Action,
  AssistantMessageItem,
  AudioInput,
  ClientToolCallItem,
  JsonObject,
  SyncCustomActionResponse,
  Task,
  ThreadItem,
  ThreadMetadata,
  ThreadStreamEvent,
  TranscriptionResult,
  UserMessageItem,
  WidgetItem,
  WorkflowItem,
} from '../chat-protocol/types';
import type { ChatContext } from '../runners/chat-context';
import { HISTORY_ITEMS, safeMessage, textOf, toMessage } from '../runners/openai-runner';
import { DomainError } from '../common/errors/domain-error';
import { AgentRunnerDefinition, ApprovalMode, DEFAULT_MAX_STEPS, ToolDefinition } from '../workflows/runner-definition';
import { argumentProblems, schemaProblem } from '../workflows/tool-schemas';
import { TOOL_NAME_PATTERN } from '../workflows/dto/agent-tool.dto';
import type { AgentRuntime } from './agent-runtime';
import { principalLabel } from './agent-runtime';
import type { NewToolCall, ToolCallRow } from './agent-tool-calls.repository';
import { APPROVAL_ACTION, approvalCard, decidedCard, parseApprovalPayload } from './approval-widgets';
import { capOutput, failure, ToolResult } from './tools/tool-output';
import { IdleAbort } from '../runners/idle-abort';

/** A tool as offered to the model in this turn. */
interface OfferedTool {
  name: string;
  type: 'http' | 'mcp' | 'client';
  approval: ApprovalMode;
  description?: string;
  parameters?: Record<string, unknown>;
  definition: ToolDefinition;
}

/** A call the model asked for in one step. */
interface ModelCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * A model request on its way: sent (or being sent), its stream not read yet. The loop opens the
 * next step's request early, while the processor stores the step's `workflow` item.
 */
interface OpenRequest {
  upstream: IdleAbort;
  response: Promise<AsyncIterable<ChatCompletionChunk>>;
}

/** One model step: the text it streamed and the calls it made. */
interface StepResult {
  text: string;
  calls: ModelCall[];
}

export interface AgentRunnerOptions {
  definition: AgentRunnerDefinition;
  /** Null when the provider is not usable: every answer is an error event. */
  client: OpenAI | null;
  unavailableReason?: string;
  /** Longest silence allowed from the model provider. */
  timeoutMs: number;
  store: ChatStore<ChatContext>;
  runtime: AgentRuntime;
  /** Dictation, as the `openai` runner of the same provider offers it (absent: not supported). */
  transcribe?: (audio: AudioInput, ctx?: ChatContext) => Promise<TranscriptionResult>;
  ids?: IdGenerator;
  clock?: Clock;
}

/** Sentinel thrown by the idle timer. */
class ProviderTimeout extends Error {}

const NOT_EXECUTED = 'Not executed.';

/** Per-answer caps besides `maxSteps` (docs/workflows.md, Limits): tool output the model receives, and tool wall time. */
export const TURN_OUTPUT_LIMIT_BYTES = 256 * 1024;
export const TURN_TOOL_TIME_LIMIT_MS = 120_000;

/**
 * The `agent` runner (docs/adr/0002-agent-loop.md): a model in a tool loop on Chat Completions,
 * streamed as ChatKit events. Each step streams the model's text as an assistant message; its
 * tool calls are validated against their schemas, recorded in `agent_tool_calls`, and then
 * - run at once (http, mcp), concurrently, shown as one `workflow` item whose tasks go
 *   loading → complete / error;
 * - held for a person (`approval: always`): an Approve / Deny card, and the turn ends until
 *   `threads.custom_action` `parley.approval` arrives — on any instance, after any restart;
 * - sent to the browser (client tools): a `client_tool_call` item, resumed by
 *   `threads.add_client_tool_output`.
 * The model's context is rebuilt from the thread's items and the call rows every step, so
 * nothing lives in memory between requests. Cancelling the stream aborts in-flight calls.
 */
export class AgentRunner implements Runner<ChatContext> {
  private readonly ids: IdGenerator;
  private readonly clock: Clock;
  private readonly maxSteps: number;
  /** Spent by this request (a runner serves one request). */
  private outputBytes = 0;
  private toolMs = 0;

  /** Speech to text for `input.transcribe`, when the provider offers it. */
  readonly transcribe?: (audio: AudioInput, ctx?: ChatContext) => Promise<TranscriptionResult>;

  constructor(private readonly options: AgentRunnerOptions) {
    if (options.transcribe) this.transcribe = options.transcribe;
    this.ids = options.ids ?? randomIdGenerator;
    this.clock = options.clock ?? systemClock;
    this.maxSteps = options.definition.maxSteps ?? DEFAULT_MAX_STEPS;
  }

  private get calls() {
    return this.options.runtime.calls;
  }

  async *respond(thread: ThreadMetadata, userMessage: UserMessageItem | null, ctx: ChatContext, signal: AbortSignal): AsyncIterable<ThreadStreamEvent> {
    try {
      if (!userMessage) await this.recordClientOutput(thread, ctx);
      const context = await this.context(thread, ctx);
      if (userMessage) yield* this.expireUnresolved(thread, ctx, context.rows);
      yield* this.loop(thread, ctx, signal, context);
    } finally {
      if (userMessage && !thread.title) thread.title = Array.from(textOf(userMessage)).slice(0, ECHO_TITLE_LENGTH).join('');
    }
  }

  /**
   * Checked before the stream opens, so a bad decision is a plain 4xx: the call must exist in
   * this thread (which the scope already proved is the caller's), the sender must be its card,
   * and a contrary decision on a settled call is `approval_not_pending`.
   */
  async prepareAction(thread: ThreadMetadata, action: Action, sender: WidgetItem | null, ctx: ChatContext): Promise<void> {
    if (action.type !== APPROVAL_ACTION) return;
    const payload = parseApprovalPayload(action.payload);
    if (!payload) {
      throw new ChatKitInvalidRequestError('A parley.approval action needs payload {callId, decision: "approve"|"deny"}.', {
        fields: { 'params.action.payload': ['must be {callId: string, decision: "approve"|"deny"}'] },
      });
    }
    const row = await this.calls.find(thread.id, payload.callId);
    if (!row || row.workflow_id !== ctx.workflow.id || row.approval === 'none' || (sender !== null && row.item_id !== sender.id)) {
      throw new DomainError('approval_call_unknown', 'This thread has no tool call awaiting that approval.');
    }
    const wanted = payload.decision === 'approve' ? 'approved' : 'denied';
    if (row.approval !== wanted && (row.approval !== 'pending' || row.status !== 'pending')) {
      throw new DomainError('approval_not_pending', row.approval === 'pending' ? 'This tool call expired: the conversation moved on.' : `This tool call was already ${row.approval}.`, {
        approval: row.approval,
        status: row.status,
      });
    }
  }

  async *action(thread: ThreadMetadata, action: Action, sender: WidgetItem | null, ctx: ChatContext, signal: AbortSignal): AsyncIterable<ThreadStreamEvent> {
    if (action.type !== APPROVAL_ACTION) {
      yield { type: 'notice', level: 'info', message: `This assistant does not handle the action \`${action.type}\`.` };
      return;
    }
    const payload = parseApprovalPayload(action.payload);
    if (!payload) throw new ChatKitCustomStreamError('This approval is malformed.', false);
    const outcome = await this.options.runtime.decide(ctx, thread.id, payload.callId, payload.decision, sender?.id ?? null);
    // Checked before the stream opened; a race with another decision lands here.
    if (outcome.kind === 'unknown') throw new ChatKitCustomStreamError('This thread has no tool call awaiting that approval.', false);
    if (outcome.kind === 'stale') throw new ChatKitCustomStreamError('This tool call was already decided or has expired.', false);
    const row = outcome.row;
    yield* this.replaceCard(thread, ctx, row, this.decisionLine(row, ctx));
    // A repeated decision only restates the card: the call ran (or is running) once.
    if (outcome.kind === 'repeat') return;
    if (row.approval === 'approved') {
      const offered = await this.toolset(thread, ctx, signal);
      yield* this.runCalls(thread, ctx, [row], offered, signal);
      if (signal.aborted) return;
    }
    // Another card of the same step may still wait, or another request may be finishing it: only
    // the request that settles the step's last call takes the answer on.
    if (!(await this.calls.claimContinuation(thread.id, row.batch_id))) {
      const rows = (await this.calls.forThread(thread.id)).filter((r) => r.batch_id === row.batch_id);
      // A client call of this step that waited for the decisions goes to the browser now.
      const clientCall = rows.find((r) => r.tool_type === 'client' && r.status === 'pending' && r.item_id === null);
      if (clientCall && !rows.some((r) => r.approval === 'pending' && r.status === 'pending')) yield* this.emitClientCall(thread, clientCall);
      return;
    }
    yield* this.loop(thread, ctx, signal);
  }

  async syncAction(): Promise<SyncCustomActionResponse> {
    return {};
  }

  // -------------------------------------------------------------------------------------------
  // The loop
  // -------------------------------------------------------------------------------------------

  /**
   * Model steps until an answer without tool calls, a pause (approval, client tool) or `maxSteps`.
   * The context is read once; each step's calls and outputs are appended in memory exactly as
   * `messages()` would rebuild them from the database.
   */
  private async *loop(thread: ThreadMetadata, ctx: ChatContext, signal: AbortSignal, preloaded?: { items: ThreadItem[]; rows: ToolCallRow[] }): AsyncGenerator<ThreadStreamEvent> {
    const client = this.options.client;
    if (!client) throw new ChatKitCustomStreamError(this.options.unavailableReason ?? 'This assistant is not available right now.', false);
    const { items, rows } = preloaded ?? (await this.context(thread, ctx));
    // Something still waits for a person or the browser: the turn stays paused.
    const waiting = rows.filter((r) => r.status === 'pending' || r.status === 'running');
    if (waiting.some((r) => r.approval === 'pending' || r.status === 'running')) return;
    const clientCall = waiting.find((r) => r.tool_type === 'client');
    if (clientCall) {
      if (clientCall.item_id === null) yield* this.emitClientCall(thread, clientCall);
      return;
    }
    const messages = this.messages(items, rows);
    let steps = this.stepsThisTurn(items, rows);
    let offered: OfferedTool[] | null = null;
    // The next step's request, opened while the processor stores this step's workflow item; ended
    // here if the loop stops before reading it (paused, cancelled, failed, or the consumer stopped
    // iterating: `return()` runs this `finally`).
    const early: { request: OpenRequest | null } = { request: null };
    try {
      for (;;) {
        if (signal.aborted) return;
        if (steps >= this.maxSteps) {
          yield* this.notice(thread, `I stopped after ${this.maxSteps} tool steps without a final answer (the workflow's limit). Ask me to continue, or narrow the request.`);
          return;
        }
        if (this.toolMs >= TURN_TOOL_TIME_LIMIT_MS) {
          yield* this.notice(thread, `I stopped: the tools of this answer ran for more than ${TURN_TOOL_TIME_LIMIT_MS / 1000} s in total. Ask me to continue.`);
          return;
        }
        offered ??= await this.toolset(thread, ctx, signal);
        let request = early.request;
        early.request = null;
        // Left unread longer than the idle timeout (a slow client held the stream): ask again.
        if (request?.upstream.timedOut) {
          request.upstream.dispose();
          request = null;
        }
        const step: StepResult = yield* this.step(thread, ctx, request ?? this.open(messages, offered, client, signal), signal);
        if (signal.aborted || step.calls.length === 0) return;
        if (step.text.trim() !== '') messages.push({ role: 'assistant', content: step.text });
        const taken = new Set(rows.map((r) => r.call_id));
        const toolset = offered;
        const next = steps + 1;
        // Called by runCalls once every call of the step has its output, just before the workflow
        // item is handed to the processor: the model request of the next step goes out while the
        // item (and the calls) are stored, instead of after.
        const openNext = (settled: ToolCallRow[]): void => {
          if (signal.aborted || next >= this.maxSteps || this.toolMs >= TURN_TOOL_TIME_LIMIT_MS) return;
          early.request = this.open([...messages, ...batchMessages(settled)], toolset, client, signal);
        };
        const outcome: { paused: boolean; rows: ToolCallRow[] } = yield* this.handleCalls(thread, ctx, step.calls, offered, signal, taken, openNext);
        if (outcome.paused || signal.aborted) return;
        rows.push(...outcome.rows);
        messages.push(...batchMessages(outcome.rows));
        steps = next;
      }
    } finally {
      if (early.request) {
        early.request.upstream.abort();
        early.request.upstream.dispose();
        early.request = null;
      }
    }
  }

  /** Model steps since the newest user message: batches of calls recorded after it. */
  private stepsThisTurn(items: ThreadItem[], rows: ToolCallRow[]): number {
    const lastUser = [...items].reverse().find((i) => i.type === 'user_message');
    const since = lastUser ? new Date(lastUser.created_at).getTime() : 0;
    return new Set(rows.filter((r) => new Date(r.created_at).getTime() >= since).map((r) => r.batch_id)).size;
  }

  /** The tools of this turn: http and client tools as defined, MCP tools as their servers list them. */
  private async toolset(thread: ThreadMetadata, ctx: ChatContext, signal: AbortSignal): Promise<OfferedTool[]> {
    const offered: OfferedTool[] = [];
    const taken = new Set<string>();
    const add = (tool: OfferedTool): void => {
      if (taken.has(tool.name)) return;
      taken.add(tool.name);
      offered.push(tool);
    };
    const listings = await Promise.all(
      this.options.definition.tools.map(async (tool) => (tool.type === 'mcp' ? { tool, listed: await this.options.runtime.listMcp(tool, ctx, thread.id, signal) } : { tool, listed: [] })),
    );
    for (const { tool, listed } of listings) {
      if (tool.type !== 'mcp') {
        add({ name: tool.name, type: tool.type, approval: tool.approval ?? 'never', description: tool.description, parameters: tool.parameters, definition: tool });
        continue;
      }
      for (const server of listed) {
        // Function names the model APIs accept; anything else cannot be offered.
        if (!TOOL_NAME_PATTERN.test(server.name)) continue;
        const parameters = schemaProblem(server.inputSchema) === null ? server.inputSchema : undefined;
        add({
          name: server.name,
          type: 'mcp',
          approval: tool.approvalOverrides?.[server.name] ?? tool.approval ?? 'never',
          description: server.description ?? tool.description,
          parameters,
          definition: tool,
        });
      }
    }
    return offered;
  }

  /**
   * Sends one streamed model request; the caller reads it with `step` (or ends it with
   * `upstream.abort()`). One controller per request: the client's abort and the idle timer (armed
   * now, so a request nobody reads ends after `timeoutMs`) both end it. `messages` must not change
   * afterwards (the SDK serialises it asynchronously): pass a copy you will not touch.
   */
  private open(messages: ChatCompletionMessageParam[], offered: OfferedTool[], client: OpenAI, signal: AbortSignal): OpenRequest {
    const { definition } = this.options;
    const tools: ChatCompletionTool[] = offered.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description ? { description: tool.description } : {}),
        parameters: tool.parameters ?? { type: 'object', properties: {} },
      },
    }));
    const upstream = new IdleAbort(signal, this.options.timeoutMs, () => new ProviderTimeout());
    upstream.arm();
    const response: Promise<AsyncIterable<ChatCompletionChunk>> = client.chat.completions.create(
      {
        model: definition.model,
        messages: [...messages],
        stream: true,
        ...(tools.length ? { tools } : {}),
        ...(definition.temperature !== undefined ? { temperature: definition.temperature } : {}),
      },
      { signal: upstream.signal, maxRetries: 0, timeout: this.options.timeoutMs },
    );
    // Awaited by `step`; a request opened early and then dropped must not reject unhandled.
    response.catch(() => undefined);
    return { upstream, response };
  }

  /** Reads one model request; text streams as an assistant message, tool calls are collected. */
  private async *step(thread: ThreadMetadata, ctx: ChatContext, request: OpenRequest, signal: AbortSignal): AsyncGenerator<ThreadStreamEvent, StepResult> {
    const { upstream } = request;
    let item: AssistantMessageItem | null = null;
    let text = '';
    const calls: Array<{ id: string; name: string; arguments: string }> = [];
    try {
      const stream = await request.response;
      for await (const chunk of stream) {
        upstream.arm();
        const delta = chunk.choices?.[0]?.delta;
        if (!delta) continue;
        for (const part of delta.tool_calls ?? []) {
          // Some compatible providers omit `index`: a part with a new id starts a call, others continue the last.
          const index = typeof part.index === 'number' ? part.index : part.id && !calls.some((c) => c?.id === part.id) ? calls.length : Math.max(0, calls.length - 1);
          const slot = (calls[index] ??= { id: '', name: '', arguments: '' });
          if (part.id) slot.id = part.id;
          if (part.function?.name) slot.name += part.function.name;
          if (part.function?.arguments) slot.arguments += part.function.arguments;
        }
        if (typeof delta.content === 'string' && delta.content !== '') {
          if (!item) {
            item = { id: this.ids('message'), thread_id: thread.id, created_at: this.now(), type: 'assistant_message', content: [{ type: 'output_text', text: '', annotations: [] }] };
            yield { type: 'thread.item.added', item: structuredClone(item) };
          }
          text += delta.content;
          yield { type: 'thread.item.updated', item_id: item.id, update: { type: 'assistant_message.content_part.text_delta', content_index: 0, delta: delta.content } };
        }
      }
      if (upstream.timedOut && !signal.aborted) throw new ProviderTimeout();
    } catch (error) {
      if (signal.aborted) return { text: '', calls: [] };
      if (item && text.trim() !== '') yield { type: 'thread.item.done', item: { ...item, content: [{ type: 'output_text', text, annotations: [] }] } };
      this.options.runtime.logger.in(ctx.log).warn({ err: { name: (error as Error)?.name, status: (error as { status?: number })?.status } }, 'Model provider request failed');
      throw new ChatKitCustomStreamError(safeMessage(error, upstream.timedOut), true);
    } finally {
      upstream.dispose();
    }
    if (signal.aborted) return { text: '', calls: [] };
    if (item) yield { type: 'thread.item.done', item: { ...item, content: [{ type: 'output_text', text, annotations: [] }] } };
    return { text, calls: calls.filter(Boolean).map((c) => ({ ...c, id: c.id || `call_${randomBytes(8).toString('hex')}` })) };
  }

  /**
   * Records a step's calls and acts on them: invalid ones fail at once, the rest run, wait for a
   * person, or go to the browser. Returns the step's rows (outputs filled in) and whether the turn
   * pauses (an approval or a client tool is pending).
   */
  private async *handleCalls(
    thread: ThreadMetadata,
    ctx: ChatContext,
    calls: ModelCall[],
    offered: OfferedTool[],
    signal: AbortSignal,
    taken: Set<string>,
    /** Opens the next model request once the step's outputs are known; only when nothing of the step waits. */
    openNext?: (settled: ToolCallRow[]) => void,
  ): AsyncGenerator<ThreadStreamEvent, { paused: boolean; rows: ToolCallRow[] }> {
    const batchId = `b_${randomBytes(8).toString('hex')}`;
    // The workflow item's id is known before the insert, so running calls are stored with it.
    const workflowId = this.ids('workflow');
    let hasImmediate = false;
    const fresh: NewToolCall[] = calls.map((call, position) => {
      const tool = offered.find((t) => t.name === call.name);
      let args: unknown = call.arguments;
      let problem: string | null = null;
      try {
        args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
      } catch {
        problem = 'the arguments are not valid JSON';
      }
      if (!tool) problem = `there is no tool named "${call.name}"`;
      else if (!problem) problem = argumentProblems(tool.parameters, args);
      // Call ids pair calls with results in the model's context: keep the model's unless reused.
      const callId = taken.has(call.id) || call.id.length > 200 ? `call_${randomBytes(8).toString('hex')}` : call.id;
      taken.add(callId);
      const base = {
        call_id: callId,
        batch_id: batchId,
        position,
        tool_name: call.name.slice(0, 200),
        tool_type: tool?.type ?? 'http',
        tool_source: tool?.type === 'mcp' ? tool.definition.name : null,
        arguments: args,
      } as const;
      if (problem) {
        hasImmediate = true;
        // Never executed: the model is told why and may try again.
        return { ...base, item_id: workflowId, approval: 'none', status: 'failed', output: failure(`invalid call, not executed: ${problem}`).output, error: 'invalid_arguments', completed_at: new Date() };
      }
      if (tool!.approval === 'always') return { ...base, approval: 'pending', status: 'pending' };
      if (tool!.type === 'client') return { ...base, approval: 'none', status: 'pending' };
      hasImmediate = true;
      return { ...base, item_id: workflowId, approval: 'none', status: 'running' };
    });
    // Calls that wait (approval, browser) are stored now, so a decision can find them anywhere;
    // calls that run now are stored once, settled, before their workflow item is (one write each way).
    const waits = fresh.filter((c) => c.item_id !== workflowId);
    const stored = await this.calls.insertBatch(ctx.workflow.id, thread.id, waits);
    if (hasImmediate) {
      const now = new Date();
      const running = fresh
        .filter((c) => c.item_id === workflowId)
        .map((c): ToolCallRow => ({ id: '', workflow_id: ctx.workflow.id, thread_id: thread.id, item_id: workflowId, output: null, error: null, duration_ms: null, created_at: now, completed_at: null, decided_by: null, decided_at: null, ...c }));
      yield* this.runCalls(thread, ctx, running, offered, signal, workflowId, true, waits.length === 0 ? openNext : undefined);
      stored.push(...running);
      stored.sort((a, b) => a.position - b.position);
    }
    if (signal.aborted) return { paused: true, rows: stored };
    const approvals = stored.filter((r) => r.approval === 'pending');
    for (const row of approvals) {
      const item: WidgetItem = { id: this.ids('message'), thread_id: thread.id, created_at: this.now(), type: 'widget', widget: approvalCard(row.call_id, row.tool_name, row.arguments) };
      await this.calls.update(thread.id, row.call_id, { item_id: item.id });
      yield { type: 'thread.item.done', item };
    }
    if (approvals.length) return { paused: true, rows: stored };
    const clientCalls = stored.filter((r) => r.tool_type === 'client' && r.status === 'pending');
    // ChatKit supports one pending client tool call per turn: the others are refused for the model.
    for (const extra of clientCalls.slice(1)) {
      await this.calls.update(thread.id, extra.call_id, { status: 'failed', output: failure('only one client tool can run per step; call it again after this one').output, completed_at: new Date() });
    }
    if (clientCalls.length) {
      yield* this.emitClientCall(thread, clientCalls[0]);
      return { paused: true, rows: stored };
    }
    return { paused: false, rows: stored };
  }

  /**
   * Runs server-side calls concurrently inside one `workflow` item: a task per call, loading
   * until its own result arrives (in completion order). Already-failed (invalid) calls show
   * their error at once. Each outcome is written to its row (and to `rows`) as it lands.
   */
  private async *runCalls(
    thread: ThreadMetadata,
    ctx: ChatContext,
    rows: ToolCallRow[],
    offered: OfferedTool[],
    signal: AbortSignal,
    itemId: string = this.ids('workflow'),
    /** True: the rows are not stored yet; insert them settled, before the item is done. */
    insertSettled = false,
    /** Called with the settled rows just before the item is done (the loop's early next request). */
    beforeDone?: (settled: ToolCallRow[]) => void,
  ): AsyncGenerator<ThreadStreamEvent> {
    const item: WorkflowItem = {
      id: itemId,
      thread_id: thread.id,
      created_at: this.now(),
      type: 'workflow',
      workflow: { type: 'custom', tasks: rows.map((row) => (row.status === 'failed' ? errorTask(row.tool_name, 'invalid call, not executed') : loadingTask(row.tool_name))), expanded: false },
    };
    const running = new Map<number, Promise<{ index: number; result: ToolResult; ms: number }>>();
    // The calls start before the item's `added` event is handed over, so their requests travel
    // while the processor and the SSE stream take the event. A consumer that stops iterating
    // before they settle (`return()`, a disconnect) ends them (the `finally` below).
    const stopped = new AbortController();
    const callSignal = AbortSignal.any([signal, stopped.signal]);
    const started = Date.now();
    for (const [index, row] of rows.entries()) {
      if (row.status === 'failed') continue;
      running.set(
        index,
        this.execute(row, offered, ctx, thread.id, callSignal).then((result) => ({ index, result, ms: Date.now() - started })),
      );
    }
    try {
      yield { type: 'thread.item.added', item: structuredClone(item) };
      yield* this.settle(thread, rows, item, running, started, signal, insertSettled);
    } finally {
      if (running.size) stopped.abort();
    }
    // Stored even when cancelled (analytics sees the aborted calls); the item is then dropped.
    // The insert runs while the processor stores the item on `thread.item.done` (two round trips
    // overlap); it is awaited before the turn goes on, so a failed insert still fails the turn.
    const inserted = insertSettled ? this.calls.insertBatch(ctx.workflow.id, thread.id, rows) : null;
    // Handled here too: a consumer that stops iterating at the yield must not leave it unhandled.
    inserted?.catch(() => undefined);
    if (signal.aborted) {
      await inserted;
      return;
    }
    beforeDone?.(rows);
    yield { type: 'thread.item.done', item };
    await inserted;
  }

  /** Waits for `running` calls in completion order: each outcome goes to its row (stored unless `insertSettled`) and its task. */
  private async *settle(
    thread: ThreadMetadata,
    rows: ToolCallRow[],
    item: WorkflowItem,
    running: Map<number, Promise<{ index: number; result: ToolResult; ms: number }>>,
    started: number,
    signal: AbortSignal,
    insertSettled: boolean,
  ): AsyncGenerator<ThreadStreamEvent> {
    while (running.size) {
      const settled = await Promise.race(running.values());
      const { index, ms } = settled;
      let { result } = settled;
      running.delete(index);
      const row = rows[index];
      const bytes = Buffer.byteLength(result.output);
      if (this.outputBytes + bytes > TURN_OUTPUT_LIMIT_BYTES) {
        result = failure(`the call ran, but this answer's tool output budget (${TURN_OUTPUT_LIMIT_BYTES / 1024} KB) is used up; answer with what you have`, 'output budget used up');
      }
      this.outputBytes += Buffer.byteLength(result.output);
      const patch = {
        status: result.ok ? ('completed' as const) : ('failed' as const),
        output: result.output,
        error: result.ok ? null : (result.summary ?? 'failed'),
        duration_ms: ms,
        completed_at: new Date(),
      };
      Object.assign(row, patch);
      if (!insertSettled) await this.calls.update(thread.id, row.call_id, patch);
      const task = result.ok ? completeTask(row.tool_name) : errorTask(row.tool_name, result.summary ?? 'failed');
      item.workflow.tasks[index] = task;
      if (signal.aborted) continue;
      yield { type: 'thread.item.updated', item_id: item.id, update: { type: 'workflow.task.updated', task_index: index, task } };
    }
    this.toolMs += Date.now() - started;
  }

  /** One call; never throws (every failure is a result the model sees). */
  private async execute(row: ToolCallRow, offered: OfferedTool[], ctx: ChatContext, threadId: string, signal: AbortSignal): Promise<ToolResult> {
    const args = (row.arguments ?? {}) as Record<string, unknown>;
    const tool = offered.find((t) => t.name === row.tool_name);
    try {
      if (!tool) {
        // An approved MCP tool the server no longer lists: try the server it came from.
        const source = this.options.definition.tools.find((t) => t.type === 'mcp' && t.name === row.tool_source);
        if (row.tool_type === 'mcp' && source?.type === 'mcp') return await this.options.runtime.callMcp(source, row.tool_name, args, ctx, threadId, signal);
        return failure(`the tool "${row.tool_name}" is no longer part of this workflow`, 'no longer available');
      }
      switch (tool.definition.type) {
        case 'http':
          return await this.options.runtime.callHttp(tool.definition, args, ctx, threadId, signal);
        case 'mcp':
          return await this.options.runtime.callMcp(tool.definition, tool.name, args, ctx, threadId, signal);
        default:
          return failure('client tools run in the browser', 'not a server tool');
      }
    } catch (error) {
      this.options.runtime.logger.in(ctx.log).warn({ err: { name: (error as Error)?.name }, tool: row.tool_name }, 'Tool call failed unexpectedly');
      return failure('the tool failed unexpectedly', 'failed');
    }
  }

  private async *emitClientCall(thread: ThreadMetadata, row: ToolCallRow): AsyncGenerator<ThreadStreamEvent> {
    const item: ClientToolCallItem = {
      id: this.ids('tool_call'),
      thread_id: thread.id,
      created_at: this.now(),
      type: 'client_tool_call',
      status: 'pending',
      call_id: row.call_id,
      name: row.tool_name,
      arguments: (row.arguments && typeof row.arguments === 'object' ? row.arguments : {}) as JsonObject,
    };
    await this.calls.update(thread.id, row.call_id, { item_id: item.id });
    yield { type: 'thread.item.done', item };
  }

  /** After `threads.add_client_tool_output`: the completed item's output becomes the call's result. */
  private async recordClientOutput(thread: ThreadMetadata, ctx: ChatContext): Promise<void> {
    const newest = (await this.options.store.loadThreadItems(thread.id, undefined, 1, 'desc', ctx)).data[0];
    if (newest?.type !== 'client_tool_call' || newest.status !== 'completed') return;
    const output = typeof newest.output === 'string' ? newest.output : JSON.stringify(newest.output ?? null);
    await this.calls.update(thread.id, newest.call_id, { status: 'completed', output: capOutput(output), completed_at: new Date() });
  }

  /**
   * A new user message settles whatever still waited: pending approvals expire (their cards say
   * so) and unanswered client calls lapse, so the model sees a consistent history.
   */
  private async *expireUnresolved(thread: ThreadMetadata, ctx: ChatContext, rows: ToolCallRow[]): AsyncGenerator<ThreadStreamEvent> {
    for (const row of rows.filter((r) => r.status === 'pending' || r.status === 'running')) {
      const reason =
        row.approval === 'pending' ? 'Not executed: the user sent a new message instead of deciding.' : row.status === 'running' ? 'Interrupted before it finished.' : 'Not executed: the user sent a new message instead.';
      const patch = { status: 'failed' as const, output: reason, error: 'expired', completed_at: new Date() };
      await this.calls.update(thread.id, row.call_id, patch);
      const wasPending = row.approval === 'pending';
      Object.assign(row, patch);
      if (wasPending) yield* this.replaceCard(thread, ctx, row, 'Expired: a new message was sent before a decision.');
    }
  }

  private async *replaceCard(thread: ThreadMetadata, ctx: ChatContext, row: ToolCallRow, line: string): AsyncGenerator<ThreadStreamEvent> {
    if (!row.item_id) return;
    let card: ThreadItem;
    try {
      card = await this.options.store.loadItem(thread.id, row.item_id, ctx);
    } catch {
      return;
    }
    if (card.type !== 'widget') return;
    yield { type: 'thread.item.replaced', item: { ...card, widget: decidedCard(row.tool_name, row.arguments, line) } };
  }

  private decisionLine(row: ToolCallRow, ctx: ChatContext): string {
    const at = (row.decided_at ? new Date(row.decided_at) : this.clock()).toISOString().replace('T', ' ').slice(0, 16);
    const who = principalLabel(ctx);
    return row.approval === 'approved' ? `Approved by ${who} at ${at} UTC` : `Denied by ${who} at ${at} UTC`;
  }

  private async *notice(thread: ThreadMetadata, text: string): AsyncGenerator<ThreadStreamEvent> {
    yield {
      type: 'thread.item.done',
      item: { id: this.ids('message'), thread_id: thread.id, created_at: this.now(), type: 'assistant_message', content: [{ type: 'output_text', text, annotations: [] }] },
    };
  }

  // -------------------------------------------------------------------------------------------
  // Model context
  // -------------------------------------------------------------------------------------------

  private async context(thread: ThreadMetadata, ctx: ChatContext): Promise<{ items: ThreadItem[]; rows: ToolCallRow[] }> {
    const [page, rows] = await Promise.all([this.options.store.loadThreadItems(thread.id, undefined, HISTORY_ITEMS, 'desc', ctx), this.calls.forThread(thread.id)]);
    return { items: [...page.data].reverse(), rows };
  }

  /**
   * Chat Completions messages: instructions, then the items in order, each batch of tool calls
   * placed where its first item (workflow, card or client call) sits, as an assistant message
   * with `tool_calls` followed by one `tool` message per call.
   */
  private messages(items: ThreadItem[], rows: ToolCallRow[]): ChatCompletionMessageParam[] {
    const messages: ChatCompletionMessageParam[] = [];
    if (this.options.definition.instructions) messages.push({ role: 'system', content: this.options.definition.instructions });
    const batches = new Map<string, ToolCallRow[]>();
    const batchOfItem = new Map<string, string>();
    for (const row of rows) {
      const list = batches.get(row.batch_id) ?? [];
      list.push(row);
      batches.set(row.batch_id, list);
      if (row.item_id) batchOfItem.set(row.item_id, row.batch_id);
    }
    const emitted = new Set<string>();
    for (const item of items) {
      const batchId = batchOfItem.get(item.id);
      if (batchId && !emitted.has(batchId)) {
        emitted.add(batchId);
        messages.push(...batchMessages(batches.get(batchId)!));
        continue;
      }
      const message = toMessage(item);
      if (message) messages.push(message);
    }
    return messages;
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

/** One step's calls as the model saw them: an assistant message with `tool_calls`, then one `tool` message each. */
function batchMessages(rows: ToolCallRow[]): ChatCompletionMessageParam[] {
  const calls = [...rows].sort((a, b) => a.position - b.position);
  return [
    {
      role: 'assistant',
      content: null,
      tool_calls: calls.map((c) => ({
        id: c.call_id,
        type: 'function' as const,
        function: { name: c.tool_name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {}) },
      })),
    },
    ...calls.map((c): ChatCompletionMessageParam => ({ role: 'tool', tool_call_id: c.call_id, content: c.output ?? NOT_EXECUTED })),
  ];
}

function loadingTask(title: string): Task {
  return { type: 'custom', title, status_indicator: 'loading' };
}

function completeTask(title: string): Task {
  return { type: 'custom', title, status_indicator: 'complete' };
}

function errorTask(title: string, line: string): Task {
  return { type: 'custom', title, status_indicator: 'none', content: `Error: ${line}` };
}
