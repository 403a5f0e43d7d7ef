import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ResolvedDatabase } from '../database/resolved-database';
import { PgDirect } from './pg-direct.repository';

/** A `chat_sessions` row (the canvas chat's durable sessions). */
export interface ChatSessionRow {
  id: string;
  user_id: string;
  workflow_id: string;
  device_id: string;
  metadata: Record<string, unknown>;
  created_at: Date;
  expires_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/**
 * The SQL of `chat_sessions`, a chat table like the transcript's: exported for the chat gateway's
 * session service, which holds the rules (reuse, revocation, token checks).
 */
@Injectable()
export class ChatSessionsRepository {
  /** The per-request `state` check goes straight to the pool, prepared (pg-direct.repository.ts). */
  private readonly direct: PgDirect;

  constructor(
    private readonly dataSource: DataSource,
    db: ResolvedDatabase,
  ) {
    this.direct = new PgDirect(dataSource, db);
  }

  /** The newest unrevoked session of the user, workflow and device that lives at least `minRemainingSeconds` more. */
  async findReusable(userId: string, workflowId: string, deviceId: string, minRemainingSeconds: number): Promise<ChatSessionRow | undefined> {
    const [row] = await this.dataSource.query<ChatSessionRow[]>(
      `SELECT * FROM chat_sessions
        WHERE user_id = $1 AND workflow_id = $2 AND device_id = $3 AND revoked_at IS NULL
          AND expires_at > now() + make_interval(secs => $4)
        ORDER BY expires_at DESC LIMIT 1`,
      [userId, workflowId, deviceId, minRemainingSeconds],
    );
    return row;
  }

  async updateMetadata(sessionId: string, metadata: Record<string, unknown>): Promise<void> {
    await this.dataSource.query(`UPDATE chat_sessions SET metadata = $2 WHERE id = $1`, [sessionId, JSON.stringify(metadata)]);
  }

  async insert(userId: string, workflowId: string, deviceId: string, metadata: Record<string, unknown>, ttlSeconds: number): Promise<ChatSessionRow> {
    const [row] = await this.dataSource.query<ChatSessionRow[]>(
      `INSERT INTO chat_sessions (user_id, workflow_id, device_id, metadata, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING *`,
      [userId, workflowId, deviceId, JSON.stringify(metadata), ttlSeconds],
    );
    return row;
  }

  /**
   * Whether the session of that user and workflow is active, and whether its `last_used_at` is
   * older than `staleSeconds`; undefined when there is no such row.
   */
  async state(sessionId: string, userId: string, workflowId: string, staleSeconds: number): Promise<{ active: boolean; stale: boolean } | undefined> {
    const [row] = await this.direct.query<{ active: boolean; stale: boolean }>(
      `SELECT (revoked_at IS NULL AND expires_at > now()) AS active,
              (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $4)) AS stale
         FROM chat_sessions WHERE id = $1 AND user_id = $2 AND workflow_id = $3`,
      [sessionId, userId, workflowId, staleSeconds],
      true,
    );
    return row;
  }

  /** Sets `last_used_at` unless another request did within `staleSeconds`. */
  async touch(sessionId: string, staleSeconds: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE chat_sessions SET last_used_at = now()
          WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
      [sessionId, staleSeconds],
    );
  }

  /** The user's sessions: active ones first (newest first), then revoked or expired ones; at most 500. */
  listForUser(userId: string): Promise<ChatSessionRow[]> {
    return this.dataSource.query<ChatSessionRow[]>(
      `SELECT * FROM chat_sessions WHERE user_id = $1
        ORDER BY (revoked_at IS NULL AND expires_at > now()) DESC, created_at DESC, id DESC
        LIMIT 500`,
      [userId],
    );
  }

  /** Revokes one session of the user (keeps an earlier revocation time); returns whether it exists. */
  async revoke(sessionId: string, userId: string): Promise<boolean> {
    const result = await this.dataSource.query<[unknown[], number]>(
      `UPDATE chat_sessions SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND user_id = $2`,
      [sessionId, userId],
    );
    return affected(result) > 0;
  }

  /** Revokes every active session of the user; returns how many. */
  async revokeAll(userId: string): Promise<number> {
    const result = await this.dataSource.query<[unknown[], number]>(
      `UPDATE chat_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()`,
      [userId],
    );
    return affected(result);
  }

  /** Deletes sessions past their expiry (revoked or not); returns how many. */
  async deleteExpired(now: Date): Promise<number> {
    const result = await this.dataSource.query<[unknown[], number]>(`DELETE FROM chat_sessions WHERE expires_at <= $1`, [now.toISOString()]);
    return affected(result);
  }
}

/** TypeORM's Postgres driver answers UPDATE and DELETE with `[rows, rowCount]`. */
function affected(result: unknown): number {
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}
