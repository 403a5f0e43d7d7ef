import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { generateOpaqueToken } from '../common/crypto/opaque-token';
import { Transactions } from '../database/transactions';
import { SecretBox } from '../secrets/secret-box';
import { WorkflowsService } from '../workflows/workflows.service';
import { WebhookSecretsRepository } from './webhook-secrets.repository';

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
    private readonly transactions: Transactions,
    private readonly repository: WebhookSecretsRepository,
    private readonly workflows: WorkflowsService,
    private readonly box: SecretBox,
    private readonly audit: AuditService,
  ) {}

  /** Creates or rotates the secret of an owned workflow; the plain secret is returned here only. */
  async rotate(ownerId: string, workflowId: string, requestId?: string): Promise<{ secret: string; rotated: boolean }> {
    const secret = generateOpaqueToken(WEBHOOK_SECRET_PREFIX);
    const rotated = await this.transactions.run(async (tx) => {
      const wf = await this.workflows.lockOwned(tx, ownerId, workflowId);
      const previous = await this.repository.exists(workflowId, tx);
      await this.repository.upsert(workflowId, this.box.seal(secret, PURPOSE), tx);
      await this.audit.record(tx, {
        action: 'workflow.webhook_secret_rotated',
        actor: { kind: 'user', id: ownerId },
        workflowId,
        ownerId: wf.ownerId,
        requestId,
        metadata: { rotated: previous },
      });
      return previous;
    });
    this.recent.delete(workflowId);
    return { secret, rotated };
  }

  /** Whether the workflow has a signing secret (never the secret). */
  async status(ownerId: string, workflowId: string): Promise<{ configured: boolean; createdAt: string | null; rotatedAt: string | null }> {
    await this.workflows.getOwned(ownerId, workflowId);
    const row = await this.repository.dates(workflowId);
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
    const sealed = await this.repository.sealed(workflowId);
    const secret = sealed === null ? null : this.box.open(sealed, PURPOSE);
    if (this.recent.size > 1000) this.recent.clear();
    this.recent.set(workflowId, { secret, readAt: Date.now() });
    return secret;
  }
}
