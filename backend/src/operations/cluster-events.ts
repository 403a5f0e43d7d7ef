import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { isUUID } from 'class-validator';
import { Client } from 'pg';
import { ContextLogger, RequestLog } from '../common/logging/request-log';
import { databaseConfig } from '../database/database.config';
import { ResolvedDatabase } from '../database/resolved-database';
import { notifyOnCommit, Tx } from '../database/transactions';

/** The PostgreSQL channel every Parley instance listens on. */
export const CLUSTER_CHANNEL = 'parley_stream_events';

/**
 * Something every instance must act on at once. Today: a workflow was revoked, so its live public
 * streams end. (A rotation does not end streams: those already in flight run to completion.)
 */
export type ClusterEvent =
  | { kind: 'workflow_revoked'; workflowId: string }
  /** An end-user (host) session was revoked by the workflow's owner: its live streams end. */
  | { kind: 'host_session_revoked'; workflowId: string; sessionId: string };

/** `log`: the logger of the request that published the event on this instance, for what handling it logs. */
type Handler = (event: ClusterEvent, log: RequestLog | undefined) => void;

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;

/**
 * A cluster-wide broadcast over PostgreSQL `LISTEN/NOTIFY`. Instances already share the
 * database, so no other moving part is needed, and `pg_notify` sent inside the transaction that
 * makes the change is delivered exactly when (and only if) that transaction commits.
 *
 * Publishers call `notify(tx, event)` inside their transaction and `deliverLocally(event)` after it
 * committed: the local delivery covers the embedded database (one process, no listener) and a
 * listener that is reconnecting; handlers must be idempotent, since the local instance usually
 * hears its own notification as well. Each instance keeps one dedicated connection that LISTENs,
 * and reconnects with backoff when PostgreSQL goes away (events sent meanwhile are missed, which
 * is acceptable for what they do: a request after reconnecting is checked against the database).
 */
@Injectable()
export class ClusterEvents implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new ContextLogger('ClusterEvents');
  private readonly handlers = new Set<Handler>();
  private client: Client | null = null;
  private stopped = false;
  private retryMs = RECONNECT_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private connectedOnce = false;
  private failingSince: number | null = null;

  constructor(
    private readonly db: ResolvedDatabase,
    @Inject(databaseConfig.KEY) private readonly config: ConfigType<typeof databaseConfig>,
  ) {}

  /** Registers a handler for every event, local or from another instance. Returns the unsubscribe. */
  subscribe(handler: Handler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Queues `event` for every instance; sent when the transaction `tx` commits. */
  async notify(tx: Tx, event: ClusterEvent): Promise<void> {
    await notifyOnCommit(tx, CLUSTER_CHANNEL, JSON.stringify(event));
  }

  /** Hands `event` to this instance's handlers now (call after the publishing transaction committed). */
  deliverLocally(event: ClusterEvent, log: RequestLog | undefined): void {
    this.dispatch(event, log);
  }

  /** Whether this instance currently hears other instances (always false on the embedded database). */
  get listening(): boolean {
    return this.client !== null;
  }

  onApplicationBootstrap(): void {
    // The embedded database serves one process: there is nobody to hear from.
    if (this.db.embedded) return;
    void this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({
      connectionString: this.db.url,
      ssl: this.config.ssl ? { rejectUnauthorized: true } : undefined,
      connectionTimeoutMillis: 10_000,
      // A dead peer (PostgreSQL killed, network gone) must surface as an error, not a silent socket.
      keepAlive: true,
      application_name: 'parley-cluster-events',
    });
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      if (this.client === client) this.client = null;
      client.end().catch(() => undefined);
      this.scheduleReconnect(err);
    };
    client.on('error', fail);
    client.on('end', () => fail(new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel !== CLUSTER_CHANNEL || !message.payload) return;
      const event = parseEvent(message.payload);
      if (event) this.dispatch(event, undefined);
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ version: string }>('SELECT version()');
      if (/PGlite/i.test(rows[0]?.version ?? '')) {
        // An embedded engine reached over a socket (tests, tools): one session shared by every
        // connection, one process — nobody else to hear from, and LISTEN would share the session.
        this.stopped = true;
        client.removeAllListeners('end');
        await client.end().catch(() => undefined);
        return;
      }
      await client.query(`LISTEN ${CLUSTER_CHANNEL}`);
    } catch (err) {
      fail(err);
      return;
    }
    if (this.stopped || failed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = RECONNECT_MIN_MS;
    if (this.failingSince !== null) {
      this.logger.log(`Listening on ${CLUSTER_CHANNEL} again after ${Math.round((Date.now() - this.failingSince) / 1000)} s.`);
      this.failingSince = null;
    } else if (!this.connectedOnce) this.logger.log(`Listening on ${CLUSTER_CHANNEL} for cluster events.`);
    this.connectedOnce = true;
  }

  private scheduleReconnect(err: unknown): void {
    if (this.stopped) return;
    if (this.failingSince === null) {
      this.failingSince = Date.now();
      const reason = err instanceof Error ? err.message : String(err);
      this.logger.warn(`Lost the ${CLUSTER_CHANNEL} listener (${reason}); reconnecting. Revocations from other instances are not heard meanwhile.`);
    }
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private dispatch(event: ClusterEvent, log: RequestLog | undefined): void {
    for (const handler of this.handlers) {
      try {
        handler(event, log);
      } catch (err) {
        this.logger.in(log).error({ err, event: event.kind }, 'A cluster event handler failed');
      }
    }
  }
}

/** Parses a notification payload; anything unexpected is ignored (the channel is not a trust boundary, but stay strict). */
export function parseEvent(payload: string): ClusterEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.workflowId !== 'string' || !isUUID(v.workflowId)) return null;
  if (v.kind === 'workflow_revoked') return { kind: 'workflow_revoked', workflowId: v.workflowId };
  if (v.kind === 'host_session_revoked' && typeof v.sessionId === 'string' && isUUID(v.sessionId)) {
    return { kind: 'host_session_revoked', workflowId: v.workflowId, sessionId: v.sessionId };
  }
  return null;
}
