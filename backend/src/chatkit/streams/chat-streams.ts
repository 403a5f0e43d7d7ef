import { Injectable, OnModuleInit } from '@nestjs/common';
import { ContextLogger, RequestLog } from '../../common/logging/request-log';
import { ClusterEvent, ClusterEvents } from '../../operations/cluster-events';
import { Drainable, GracefulShutdown } from '../../operations/graceful-shutdown';
import { ChatAuthModeLabel, ParleyMetrics, StreamEndReason } from '../../metrics/parley-metrics';
import type { StreamEventOf } from '../../chat-protocol/types';

/** A protocol `error` event. */
export type ErrorEvent = StreamEventOf<'error'>;

/** One open SSE stream, as the registry knows it. */
export interface OpenStream {
  workflowId: string;
  /** The share link a public stream came through; null for canvas (chat JWT) streams. */
  linkId: string | null;
  authMode: ChatAuthModeLabel;
  /** The end-user (host) session a host-app stream runs in; null for every other principal. */
  hostSessionId?: string | null;
  /** Ends the stream with `event` as its last frame (the partial answer is kept, as on a cancel). */
  end(event: ErrorEvent): void;
}

/** The last frame of a stream the server ends itself: what the chat client shows. */
export const END_EVENTS: Record<StreamEndReason, ErrorEvent> = {
  shutdown: {
    type: 'error',
    code: 'custom',
    message: 'The chat server is restarting. Retry to continue.',
    allow_retry: true,
  },
  workflow_revoked: {
    type: 'error',
    code: 'custom',
    message: 'This chat is no longer available: its owner turned it off.',
    allow_retry: false,
  },
  session_revoked: {
    type: 'error',
    code: 'custom',
    message: 'This chat session was ended. Reload the page to continue.',
    allow_retry: false,
  },
};

/** How long streams that were told to end get to write their last frame and clean up. */
const WRAP_UP_MS = 3_000;

/**
 * Every ChatKit stream open on this instance. Ends the public ones of a workflow revoked on any
 * instance (streams of a rotated link run to completion, by design), and on shutdown, after the
 * grace period, ends what is left with a retryable error event.
 */
@Injectable()
export class ChatStreams implements OnModuleInit, Drainable {
  private readonly logger = new ContextLogger('ChatStreams');
  private readonly open = new Set<OpenStream>();
  private readonly emptied = new Set<() => void>();
  /** Streams told to end that are still winding down: a repeated event (local + NOTIFY) must not count them twice. */
  private readonly ending = new WeakSet<OpenStream>();

  constructor(
    private readonly metrics: ParleyMetrics,
    private readonly cluster: ClusterEvents,
    private readonly shutdown: GracefulShutdown,
  ) {}

  onModuleInit(): void {
    this.cluster.subscribe((event, log) => this.onClusterEvent(event, log));
    this.shutdown.register(this);
  }

  /** Whether new streams must be refused (the instance is shutting down). */
  get refusing(): boolean {
    return this.shutdown.draining;
  }

  get size(): number {
    return this.open.size;
  }

  /** Tracks `stream` until the returned function is called (when the response closed). */
  add(stream: OpenStream): () => void {
    this.open.add(stream);
    this.metrics.openStreams.inc({ auth_mode: stream.authMode });
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.open.delete(stream);
      this.metrics.openStreams.dec({ auth_mode: stream.authMode });
      if (this.open.size === 0) for (const resolve of this.emptied) resolve();
    };
  }

  /** Ends every open stream `matches` selects; returns how many. */
  endWhere(matches: (stream: OpenStream) => boolean, reason: StreamEndReason): number {
    let n = 0;
    for (const stream of [...this.open]) {
      if (this.ending.has(stream) || !matches(stream)) continue;
      this.ending.add(stream);
      n += 1;
      stream.end(END_EVENTS[reason]);
    }
    if (n) this.metrics.streamsEnded.inc({ reason }, n);
    return n;
  }

  async drain(graceMs: number): Promise<void> {
    if (this.open.size === 0) return;
    this.logger.log(`Waiting up to ${graceMs / 1000} s for ${this.open.size} open chat stream(s) to finish.`);
    if (await this.untilEmpty(graceMs)) return;
    const ended = this.endWhere(() => true, 'shutdown');
    this.logger.warn(`Grace period over: ended ${ended} chat stream(s) with a retryable error event.`);
    if (!(await this.untilEmpty(WRAP_UP_MS))) this.logger.warn(`${this.open.size} chat stream(s) did not end in time.`);
  }

  private onClusterEvent(event: ClusterEvent, log: RequestLog | undefined): void {
    if (event.kind === 'host_session_revoked') {
      const ended = this.endWhere((s) => s.workflowId === event.workflowId && s.hostSessionId === event.sessionId, 'session_revoked');
      if (ended) this.logger.in(log).log({ workflowId: event.workflowId, ended }, `Ended ${ended} chat stream(s): end-user session revoked.`);
      return;
    }
    // Public streams only (they came through a share link); the owner's canvas chats go on.
    const n = this.endWhere((s) => s.workflowId === event.workflowId && s.linkId !== null, 'workflow_revoked');
    if (n) this.logger.in(log).log({ workflowId: event.workflowId, ended: n }, `Ended ${n} public chat stream(s): workflow revoked.`);
  }

  /** Resolves true when no stream is open, false after `ms`. */
  private untilEmpty(ms: number): Promise<boolean> {
    if (this.open.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.emptied.delete(done);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.emptied.delete(done);
        resolve(false);
      }, ms);
      this.emptied.add(done);
    });
  }
}
