import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Response } from 'express';
import type { AuthRequest } from '../auth/credentials';
import { DomainError } from '../common/errors/domain-error';
import { ContextLogger } from '../common/logging/request-log';
import { assignLogFields } from '../logging/log-fields';
import { ChatObservation, chatAuthMode, chatObservation, requestStart } from '../metrics/http-metrics.middleware';
import { ParleyMetrics } from '../metrics/parley-metrics';
import { RateLimitCounter } from '../ratelimit/ratelimit.counter';
import { TranscriptService } from '../transcript/transcript.service';
import { AttachmentUrls } from './attachments/attachment-urls';
import { ALLOWED_ATTACHMENT_TYPES, allowedType } from './attachments/mime-sniff';
import { chatkitConfig } from './chatkit.config';
import { toDomainError } from './chatkit.errors';
import type { ChatContext } from '../runners/chat-context';
import { EventPumpOptions, startEventStream, StreamOutcome } from './http/sse-writer';
import { ChatKitCancelledError } from '../chat-protocol/errors';
import { ChatKitProcessor } from '../chat-protocol/processor';
import { RequestStop } from '../chat-protocol/stop-signal';
import { CHATKIT_REQUEST_TYPES, parseJsonBody } from '../chat-protocol/request-validation';
import { ChatKitRequestType, STREAMING_REQUEST_TYPES, ThreadStreamEvent } from '../chat-protocol/types';
import { ChatStreams, ErrorEvent } from './streams/chat-streams';
import { RunnerFactory } from '../runners/runner.factory';

/**
 * The ChatKit protocol endpoint: validates and answers one request for a resolved context. All
 * checks (body, thread, items, attachments, state) run before anything is written, and failures
 * surface as domain errors for the global filter; only then does a stream open.
 */
@Injectable()
export class ChatKitService {
  private readonly logger = new ContextLogger('ChatKit');
  private readonly processor: ChatKitProcessor<ChatContext>;

  constructor(
    runners: RunnerFactory,
    urls: AttachmentUrls,
    @Inject(chatkitConfig.KEY) private readonly config: ConfigType<typeof chatkitConfig>,
    private readonly streams: ChatStreams,
    private readonly metrics: ParleyMetrics,
    private readonly rateLimits: RateLimitCounter,
    private readonly transcript: TranscriptService,
  ) {
    this.processor = new ChatKitProcessor<ChatContext>({
      store: transcript,
      runners: (ctx) => runners.create(ctx.workflow.runner, transcript, ctx.principal.kind === 'chat' || ctx.principal.kind === 'user' ? 'owner' : 'public'),
      attachments: {
        prepare: (params, ctx) => this.acceptAttachment(params, ctx),
        uploadUrl: (id) => urls.uploadUrl(id),
        previewUrl: (id) => urls.previewUrl(id),
      },
      onStreamError: (error, ctx) => this.logger.in(ctx.log).warn({ err: error }, 'ChatKit stream error reported in-band'),
    });
  }

  /**
   * Answers the raw request `body` on `res`: a JSON body, or an SSE stream that stops (and runs
   * the cancellation cleanup) when the client disconnects. Throws before writing anything when
   * the request is refused.
   */
  async handle(body: Buffer, ctx: ChatContext, res: Response): Promise<void> {
    const observation = chatObservation(res);
    // One signal per request: aborted when the client leaves (no reason) or when the server ends
    // the stream (`endEvent` set first: shutdown, revocation). The processor and the runner get it.
    const stop = new RequestStop();
    let endEvent: ErrorEvent | undefined;
    // `close` also follows a normal end; only an unfinished response means the client left.
    res.on('close', () => {
      if (!res.writableFinished) stop.abort();
    });
    // Gone before this handler ran (it waited behind other work): `close` will not fire again.
    if (res.destroyed || !res.socket || res.socket.destroyed) stop.abort();
    let result;
    // Registered before any work, so a revocation or shutdown from now on reaches this stream.
    let untrack: (() => void) | null = null;
    try {
      const request = parseJsonBody(body.toString('utf8'));
      const type = requestTypeOf(request);
      observation.type = type;
      assignLogFields(res.req, { workflowId: ctx.workflow.id, threadId: threadIdOf(request) });
      if (STREAMING_REQUEST_TYPES.has(type as ChatKitRequestType)) {
        if (this.streams.refusing) {
          throw new DomainError('service_unavailable', 'This server is shutting down; retry the request.', undefined, { 'Retry-After': '1' });
        }
        untrack = this.streams.add({
          workflowId: ctx.workflow.id,
          linkId: linkIdOf(ctx),
          authMode: chatAuthMode(res.req as AuthRequest),
          hostSessionId: ctx.principal.kind === 'host' ? ctx.principal.sessionId : null,
          end: (event) => {
            if (stop.signal.aborted) return;
            endEvent = event;
            stop.abort(event);
          },
        });
      }
      result = await this.processor.process(request, ctx, { signal: stop.signal });
    } catch (error) {
      untrack?.();
      // Nobody is waiting for an answer: drop it quietly instead of reporting a failure.
      if (error instanceof ChatKitCancelledError) return;
      throw toDomainError(error);
    }
    if (result.kind === 'json') {
      untrack?.();
      const text = JSON.stringify(result.body);
      res.status(200).setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(text));
      res.end(text);
      return;
    }
    // The stream runs on its own from here (nothing can be thrown to the caller any more: failures are in-band):
    // this handler, the controller's and Nest's router frames end now instead of waiting for the stream's whole
    // life (docs/performance.md, idle open streams).
    startEventStream(res, result.events, new StreamHooks(this, observation, requestStart(res), ctx, stop.signal, () => endEvent, untrack));
    releaseRequestState(res);
  }

  /** Reports a stream that failed after it opened (in-band for the client). */
  streamFailed(error: unknown, ctx: ChatContext): void {
    this.logger.in(ctx.log).error({ err: error, requestId: ctx.requestId }, 'ChatKit stream failed after it opened');
  }

  /** Time to the first event of a stream, by request type. */
  firstEvent(type: string, started: bigint): void {
    this.metrics.timeToFirstEvent.observe({ type }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  get keepAliveMs(): number {
    return this.config.keepAliveMs;
  }

  /**
   * `attachments.create` policy: an allowed type and a size the upload route will take, then the
   * `attachments` rate limit of the principal, then the pending quotas (attachments not yet sent in a
   * message, per principal and per workflow).
   */
  private async acceptAttachment(params: { name: string; size: number; mime_type: string }, ctx: ChatContext): Promise<Record<string, unknown>> {
    if (!allowedType(params.mime_type)) {
      throw new DomainError('unsupported_media_type', `Attachments of type ${params.mime_type} are not accepted.`, {
        allowed: [...ALLOWED_ATTACHMENT_TYPES],
      });
    }
    if (params.size > this.config.uploadLimitBytes) {
      throw new DomainError('payload_too_large', `Attachments may be at most ${this.config.uploadLimitBytes} bytes.`, {
        limitBytes: this.config.uploadLimitBytes,
      });
    }
    await this.rateLimits.attachmentCreated(ctx.principal, ctx.log);
    const pending = await this.transcript.pendingAttachmentCounts(ctx.scope, this.config.pendingAttachmentTtlSeconds);
    if (pending.principal >= this.config.pendingAttachmentsPerPrincipal) {
      throw new DomainError(
        'attachment_quota_exceeded',
        `You have ${pending.principal} attachments that were not sent yet; send or delete some first.`,
        { scope: 'principal', limit: this.config.pendingAttachmentsPerPrincipal },
      );
    }
    if (pending.workflow >= this.config.pendingAttachmentsPerWorkflow) {
      throw new DomainError('attachment_quota_exceeded', 'This chat holds too many attachments that were not sent yet; try again later.', {
        scope: 'workflow',
        limit: this.config.pendingAttachmentsPerWorkflow,
      });
    }
    return { size: params.size };
  }
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(CHATKIT_REQUEST_TYPES);

/** The metrics label of a parsed body's `type`: a known request type, or `invalid`. */
function requestTypeOf(request: unknown): string {
  const type = typeof request === 'object' && request !== null ? (request as { type?: unknown }).type : undefined;
  return typeof type === 'string' && KNOWN_TYPES.has(type) ? type : 'invalid';
}

/** The thread a request names, for the logs (only a plausible id: the body is not validated yet). */
function threadIdOf(request: unknown): string | undefined {
  const params = typeof request === 'object' && request !== null ? (request as { params?: unknown }).params : undefined;
  const id = typeof params === 'object' && params !== null ? (params as { thread_id?: unknown }).thread_id : undefined;
  return typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : undefined;
}

/** The share link a public stream came through (visitor, or OIDC user of a login-required link). */
function linkIdOf(ctx: ChatContext): string | null {
  const p = ctx.principal;
  if (p.kind === 'visitor') return p.publishLinkId;
  if (p.kind === 'oauth') return p.publishLinkId ?? null;
  return null;
}

/**
 * What the SSE writer calls back into for one stream: one object (instead of a closure per hook over this
 * handler's frame), held while the stream is open.
 */
class StreamHooks implements EventPumpOptions {
  private first = true;

  constructor(
    private readonly service: ChatKitService,
    private readonly observation: ChatObservation,
    private readonly started: bigint | undefined,
    private readonly ctx: ChatContext,
    readonly signal: AbortSignal,
    readonly endEvent: () => ThreadStreamEvent | undefined,
    private readonly untrack: (() => void) | null,
  ) {}

  get keepAliveMs(): number {
    return this.service.keepAliveMs;
  }

  onError(error: unknown): void {
    this.service.streamFailed(error, this.ctx);
  }

  onEvent(event: ThreadStreamEvent): void {
    if (this.first && this.started !== undefined) this.service.firstEvent(this.observation.type, this.started);
    this.first = false;
    if (event.type === 'thread.created') this.ctx.log?.assign({ threadId: event.thread.id });
  }

  onEnd(outcome: StreamOutcome): void {
    this.observation.outcome = outcome;
    this.untrack?.();
  }
}

/** Shared, frozen empties an open stream's request and response point at instead of objects of their own. */
const NO_RAW_HEADERS: string[] = Object.freeze([]) as unknown as string[];
const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NO_LOCALS: Record<string, unknown> = Object.freeze(Object.create(null) as Record<string, unknown>);

/**
 * Drops what an answered request keeps only for reading and routing it, once its stream has opened: Express's router
 * `next` (and the routing state it closes over), the body, the raw header list (`req.headers`, built from it on first
 * read, stays: the request-completed log line reads it), Express's parsed URL cache, route params and `res.locals`.
 * Nothing reads them afterwards; an idle open stream would hold ~1 KB of them (docs/performance.md, idle open
 * streams, "lead: release"). Properties are overwritten, not deleted, so the objects keep their shared hidden classes.
 */
function releaseRequestState(res: Response): void {
  const req = res.req as Response['req'] & { next?: unknown; body?: unknown; _parsedUrl?: unknown };
  req.next = undefined;
  req.body = undefined;
  // Node builds `req.headers` from the raw list on its first read: read before the list goes.
  if (req.headers !== undefined) req.rawHeaders = NO_RAW_HEADERS;
  req._parsedUrl = undefined;
  req.params = NO_PARAMS;
  res.locals = NO_LOCALS;
}

