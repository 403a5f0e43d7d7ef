import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { managerOf, Tx } from '../database/transactions';

/** The SQL of `webhook_secrets` (one sealed signing secret per workflow). */
@Injectable()
export class WebhookSecretsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Whether the workflow has a secret, read inside `tx`. */
  async exists(workflowId: string, tx: Tx): Promise<boolean> {
    const rows = await managerOf(tx).query<{ workflow_id: string }[]>(`SELECT workflow_id FROM webhook_secrets WHERE workflow_id = $1`, [workflowId]);
    return rows.length > 0;
  }

  /** Stores the workflow's sealed secret, replacing (and marking rotated) the one it had. */
  async upsert(workflowId: string, sealed: string, tx: Tx): Promise<void> {
    await managerOf(tx).query(
      `INSERT INTO webhook_secrets (workflow_id, secret_encrypted) VALUES ($1, $2)
       ON CONFLICT (workflow_id) DO UPDATE SET secret_encrypted = EXCLUDED.secret_encrypted, rotated_at = now()`,
      [workflowId, sealed],
    );
  }

  async dates(workflowId: string): Promise<{ created_at: Date; rotated_at: Date | null } | null> {
    const [row] = await this.dataSource.query<{ created_at: Date; rotated_at: Date | null }[]>(
      `SELECT created_at, rotated_at FROM webhook_secrets WHERE workflow_id = $1`,
      [workflowId],
    );
    return row ?? null;
  }

  /** The sealed secret, or null when the workflow has none. */
  async sealed(workflowId: string): Promise<string | null> {
    const [row] = await this.dataSource.query<{ secret_encrypted: string }[]>(`SELECT secret_encrypted FROM webhook_secrets WHERE workflow_id = $1`, [workflowId]);
    return row ? row.secret_encrypted : null;
  }
}
