import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { managerOf, Tx } from '../database/transactions';

/** One row of `host_sessions`, with the host user's newest email and name (`host_users`) when joined. */
export interface HostSessionRow {
  id: string;
  workflow_id: string;
  host_user_id: string;
  device_id: string;
  created_at: Date;
  expires_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  email?: string | null;
  name?: string | null;
}

/** What the mint statement is given. */
export interface MintSession {
  workflowId: string;
  keyId: string;
  hostUserId: string;
  email: string | null;
  name: string | null;
  deviceId: string;
  /** A session is reused only while it has at least this long to live. */
  reuseMinRemainingSeconds: number;
  ttlSeconds: number;
  /** The key's `last_used_at` is written at most this often. */
  keyLastUsedResolutionSeconds: number;
}

/** The mint's answer: the session id, or why the server key refused (`id` null). */
export interface MintedSession {
  id: string | null;
  key: 'ok' | 'revoked' | 'invalid';
}

/** The SQL of `host_sessions` and `host_users` (docs/embedding.md, section 7). */
@Injectable()
export class HostSessionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async deleteExpired(): Promise<void> {
    await this.dataSource.query(`DELETE FROM host_sessions WHERE expires_at <= now()`);
  }

  /**
   * ONE statement: the server key is checked again (live, of this workflow) atomically with the session, so the
   * verifier may vouch for a key it read recently (`RechecksServerKey`) and a revocation on any instance still refuses
   * the next mint; the key's `last_used_at` is touched at most once per resolution; then the host user's profile
   * upsert and the reused (same user and device, long enough to live) or new session. No row: the key was not found.
   */
  async mint(m: MintSession): Promise<MintedSession | null> {
    const [session] = await this.dataSource.query<MintedSession[]>(
      `WITH key AS (
         SELECT revoked_at IS NULL AS live FROM workflow_server_keys WHERE id = $7 AND workflow_id = $1
       ), ok AS (
         SELECT 1 FROM key WHERE live
       ), touch AS (
         UPDATE workflow_server_keys SET last_used_at = now()
          WHERE id = $7 AND EXISTS (SELECT 1 FROM ok) AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $9))
       ), profile AS (
         INSERT INTO host_users (workflow_id, host_user_id, email, name) SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM ok)
         ON CONFLICT (workflow_id, host_user_id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, updated_at = now()
           WHERE host_users.email IS DISTINCT FROM EXCLUDED.email OR host_users.name IS DISTINCT FROM EXCLUDED.name
       ), reusable AS (
         SELECT id FROM host_sessions
          WHERE workflow_id = $1 AND host_user_id = $2 AND device_id = $5 AND revoked_at IS NULL
            AND expires_at > now() + make_interval(secs => $6) AND EXISTS (SELECT 1 FROM ok)
          ORDER BY expires_at DESC LIMIT 1
       ), created AS (
         INSERT INTO host_sessions (workflow_id, host_user_id, device_id, server_key_id, expires_at)
         SELECT $1, $2, $5, $7, now() + make_interval(secs => $8) WHERE EXISTS (SELECT 1 FROM ok) AND NOT EXISTS (SELECT 1 FROM reusable)
         RETURNING id
       )
       SELECT id, 'ok' AS key FROM reusable
       UNION ALL SELECT id, 'ok' FROM created
       UNION ALL SELECT NULL, CASE WHEN EXISTS (SELECT 1 FROM key) THEN 'revoked' ELSE 'invalid' END WHERE NOT EXISTS (SELECT 1 FROM ok)`,
      [m.workflowId, m.hostUserId, m.email, m.name, m.deviceId, m.reuseMinRemainingSeconds, m.keyId, m.ttlSeconds, m.keyLastUsedResolutionSeconds],
    );
    return session ?? null;
  }

  /**
   * Whether the session of this host user on this workflow is active (not revoked, not expired) and whether its
   * `last_used_at` is older than `resolutionSeconds`; null when there is no such row.
   */
  async state(sessionId: string, workflowId: string, hostUserId: string, resolutionSeconds: number): Promise<{ active: boolean; stale: boolean } | null> {
    const [row] = await this.dataSource.query<{ active: boolean; stale: boolean }[]>(
      `SELECT (revoked_at IS NULL AND expires_at > now()) AS active,
              (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $4)) AS stale
         FROM host_sessions WHERE id = $1 AND workflow_id = $2 AND host_user_id = $3`,
      [sessionId, workflowId, hostUserId, resolutionSeconds],
    );
    return row ?? null;
  }

  /** Sets `last_used_at` to now unless another request did within `resolutionSeconds`. */
  async touchLastUsed(sessionId: string, resolutionSeconds: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE host_sessions SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
      [sessionId, resolutionSeconds],
    );
  }

  /** The workflow's sessions with their users: active first, newest first, at most 500; `hostUserId` narrows. */
  list(workflowId: string, hostUserId: string | null): Promise<HostSessionRow[]> {
    return this.dataSource.query<HostSessionRow[]>(
      `SELECT s.*, u.email, u.name FROM host_sessions s
         LEFT JOIN host_users u ON u.workflow_id = s.workflow_id AND u.host_user_id = s.host_user_id
        WHERE s.workflow_id = $1 AND ($2::text IS NULL OR s.host_user_id = $2)
        ORDER BY (s.revoked_at IS NULL AND s.expires_at > now()) DESC, s.created_at DESC, s.id DESC
        LIMIT 500`,
      [workflowId, hostUserId],
    );
  }

  /** One session of the workflow with its user, the session row locked until `tx` ends. */
  async findForUpdate(workflowId: string, sessionId: string, tx: Tx): Promise<HostSessionRow | null> {
    const [row] = await managerOf(tx).query<HostSessionRow[]>(
      `SELECT s.*, u.email, u.name FROM host_sessions s
         LEFT JOIN host_users u ON u.workflow_id = s.workflow_id AND u.host_user_id = s.host_user_id
        WHERE s.id = $1 AND s.workflow_id = $2 FOR UPDATE OF s`,
      [sessionId, workflowId],
    );
    return row ?? null;
  }

  async markRevoked(sessionId: string, tx: Tx): Promise<void> {
    await managerOf(tx).query(`UPDATE host_sessions SET revoked_at = now() WHERE id = $1`, [sessionId]);
  }
}
