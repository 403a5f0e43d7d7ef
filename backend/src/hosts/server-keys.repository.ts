import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { managerOf, Tx } from '../database/transactions';

/** One row of `workflow_server_keys` (only the SHA-256 of a key is stored). */
export interface ServerKeyRow {
  id: string;
  workflow_id: string;
  name: string;
  token_hash: Buffer;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/** What authenticating a presented key reads: the row by hash, whether it is revoked, whether `last_used_at` is due. */
export type ServerKeyByHash = Pick<ServerKeyRow, 'id' | 'workflow_id' | 'token_hash'> & { revoked: boolean; stale: boolean };

/** The SQL of `workflow_server_keys` (docs/embedding.md, section 7). */
@Injectable()
export class ServerKeysRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(workflowId: string, name: string, tokenHash: Buffer, prefix: string, createdBy: string, tx: Tx): Promise<ServerKeyRow> {
    const [inserted] = await managerOf(tx).query<ServerKeyRow[]>(
      `INSERT INTO workflow_server_keys (workflow_id, name, token_hash, prefix, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [workflowId, name, tokenHash, prefix, createdBy],
    );
    return inserted;
  }

  /** The workflow's keys, live ones first, newest first (at most 200). */
  list(workflowId: string): Promise<ServerKeyRow[]> {
    return this.dataSource.query<ServerKeyRow[]>(
      `SELECT * FROM workflow_server_keys WHERE workflow_id = $1 ORDER BY (revoked_at IS NULL) DESC, created_at DESC, id DESC LIMIT 200`,
      [workflowId],
    );
  }

  async find(workflowId: string, keyId: string, tx: Tx): Promise<ServerKeyRow | null> {
    const [row] = await managerOf(tx).query<ServerKeyRow[]>(`SELECT * FROM workflow_server_keys WHERE id = $1 AND workflow_id = $2`, [keyId, workflowId]);
    return row ?? null;
  }

  async markRevoked(keyId: string, tx: Tx): Promise<void> {
    await managerOf(tx).query(`UPDATE workflow_server_keys SET revoked_at = now() WHERE id = $1`, [keyId]);
  }

  /** The key with this hash (one indexed read); `stale` when `last_used_at` is older than `resolutionSeconds`. */
  async findByHash(tokenHash: Buffer, resolutionSeconds: number): Promise<ServerKeyByHash | null> {
    const [row] = await this.dataSource.query<ServerKeyByHash[]>(
      `SELECT k.id, k.workflow_id, k.token_hash, k.revoked_at IS NOT NULL AS revoked, (k.last_used_at IS NULL OR k.last_used_at < now() - make_interval(secs => $2)) AS stale
         FROM workflow_server_keys k WHERE k.token_hash = $1`,
      [tokenHash, resolutionSeconds],
    );
    return row ?? null;
  }

  /** Sets `last_used_at` to now unless another request did within `resolutionSeconds`. */
  async touchLastUsed(keyId: string, resolutionSeconds: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE workflow_server_keys SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
      [keyId, resolutionSeconds],
    );
  }
}
