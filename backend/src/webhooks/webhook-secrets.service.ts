import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { generateOpaqueToken } from '../common/crypto/opaque-token';
import { SecretBox } from '../secrets/secret-box';
import { WorkflowsService } from '../workflows/workflows.service';

/** Prefix of webhook signing secrets. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** Binds a sealed value to this use (a sealed tool header cannot be replayed as a signing secret). */
const PURPOSE = 'webhook-signing-secret';

/** How long a decrypted secret is reused by the runner (rotation applies within this). */
const REUSE_MS = 1000;

/**
 * Per-workflow webhook signing secrets (`whsec_…`, docs/embedding.md, section 8). Parley signs every request to
 * the owner's engine with it, so it is stored encrypted (SecretBox, key from PARLEY_SECRET_KEY),
 * not hashed; the API shows it once. Creating it again rotates it.
 */
@Injectable()
export class WebhookSecretsService {
  private readonly recent = new Map<string, { secret: string | null; readAt: number }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly workflows: WorkflowsService,
    private readonly box: SecretBox,
    private readonly audit: AuditService,
  ) {}

  /** Creates or rotates the secret of an owned workflow; the plain secret is returned here only. */
  async rotate(ownerId: string, workflowId: string, requestId?: string): Promise<{ secret: string; rotated: boolean }> {
    const secret = generateOpaqueToken(WEBHOOK_SECRET_PREFIX);
    const rotated = await this.dataSource.transaction(async (em) => {
      const wf = await this.workflows.lockOwned(em, ownerId, workflowId);
      const [previous] = await em.query<{ workflow_id: string }[]>(`SELECT workflow_id FROM webhook_secrets WHERE workflow_id = $1`, [workflowId]);
      await em.query(
        `INSERT INTO webhook_secrets (workflow_id, secret_encrypted) VALUES ($1, $2)
         ON CONFLICT (workflow_id) DO UPDATE SET secret_encrypted = EXCLUDED.secret_encrypted, rotated_at = now()`,
        [workflowId, this.box.seal(secret, PURPOSE)],
      );
      await this.audit.record(em, {
        action: 'workflow.webhook_secret_rotated',
        actor: { kind: 'user', id: ownerId },
        workflowId,
        ownerId: wf.ownerId,
        requestId,
        metadata: { rotated: Boolean(previous) },
      });
      return Boolean(previous);
    });
    this.recent.delete(workflowId);
    return { secret, rotated };
  }

  /** Whether the workflow has a signing secret (never the secret). */
  async status(ownerId: string, workflowId: string): Promise<{ configured: boolean; createdAt: string | null; rotatedAt: string | null }> {
    await this.workflows.getOwned(ownerId, workflowId);
    const [row] = await this.dataSource.query<{ created_at: Date; rotated_at: Date | null }[]>(
      `SELECT created_at, rotated_at FROM webhook_secrets WHERE workflow_id = $1`,
      [workflowId],
    );
    return {
      configured: Boolean(row),
      createdAt: row ? new Date(row.created_at).toISOString() : null,
      rotatedAt: row?.rotated_at ? new Date(row.rotated_at).toISOString() : null,
    };
  }

  /** The plain secret for signing, or null when the owner has not created one. */
  async secretFor(workflowId: string): Promise<string | null> {
    const hit = this.recent.get(workflowId);
    if (hit && Date.now() - hit.readAt < REUSE_MS) return hit.secret;
    const [row] = await this.dataSource.query<{ secret_encrypted: string }[]>(`SELECT secret_encrypted FROM webhook_secrets WHERE workflow_id = $1`, [workflowId]);
    const secret = row ? this.box.open(row.secret_encrypted, PURPOSE) : null;
    if (this.recent.size > 1000) this.recent.clear();
    this.recent.set(workflowId, { secret, readAt: Date.now() });
    return secret;
  }
}
