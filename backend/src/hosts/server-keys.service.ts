import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { generateOpaqueToken, hashToken, looksLikeOpaqueToken, tokenHashesEqual } from '../common/crypto/opaque-token';
import type { ServerKeyPrincipal } from '../auth/principal';
import { NotFoundError } from '../common/errors/domain-error';
import { Transactions } from '../database/transactions';
import { WorkflowsService } from '../workflows/workflows.service';
import { ServerKeyInvalidError, ServerKeyRevokedError } from './hosts.errors';
import { ServerKeyRow, ServerKeysRepository } from './server-keys.repository';

/** Prefix of workflow server keys; `Bearer wsk_…` routes here. */
export const SERVER_KEY_PREFIX = 'wsk_';

/** How many characters of a key are kept in clear for the list (`wsk_` + 4): enough to recognise it, useless to guess it. */
const DISPLAY_PREFIX_LENGTH = SERVER_KEY_PREFIX.length + 4;

/** `last_used_at` is written at most this often per key. */
export const LAST_USED_RESOLUTION_SECONDS = 60;

/** How long a key read from the database may vouch for routes that re-check it themselves (the mint). */
const RECENT_KEY_MS = 60_000;
const RECENT_KEY_LIMIT = 1000;

/** A server key as its owner sees it (never the key). */
export interface ServerKeyView {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/**
 * Workflow server keys (`wsk_…`, docs/embedding.md, section 7): a host application's backend holds one and mints
 * end-user sessions with it. Shown once, stored as SHA-256, scoped to one workflow, revocable.
 */
@Injectable()
export class ServerKeysService {
  /**
   * Keys read from the database recently, by hash: only for routes whose own statement re-checks
   * the key (`authenticate(key, {recheckedByRoute: true})`, the session mint), so a revocation on
   * any instance still takes effect at once there; every other route reads the key every time.
   */
  private readonly recent = new Map<string, { principal: ServerKeyPrincipal; readAt: number }>();

  constructor(
    private readonly transactions: Transactions,
    private readonly repository: ServerKeysRepository,
    private readonly workflows: WorkflowsService,
    private readonly audit: AuditService,
  ) {}

  /** Creates a key on an owned workflow; the plain key is returned here and never again. */
  async create(ownerId: string, workflowId: string, name: string, requestId?: string): Promise<{ view: ServerKeyView; key: string }> {
    const key = generateOpaqueToken(SERVER_KEY_PREFIX);
    const row = await this.transactions.run(async (tx) => {
      const wf = await this.workflows.lockOwned(tx, ownerId, workflowId);
      const inserted = await this.repository.insert(workflowId, name, hashToken(key), key.slice(0, DISPLAY_PREFIX_LENGTH), ownerId, tx);
      await this.audit.record(tx, {
        action: 'workflow.server_key_created',
        actor: { kind: 'user', id: ownerId },
        workflowId,
        ownerId: wf.ownerId,
        requestId,
        metadata: { keyId: inserted.id, name, prefix: inserted.prefix },
      });
      return inserted;
    });
    return { view: toView(row), key };
  }

  /** The workflow's keys, live ones first, newest first (revoked ones stay listed, marked). */
  async list(ownerId: string, workflowId: string): Promise<ServerKeyView[]> {
    await this.workflows.getOwned(ownerId, workflowId);
    return (await this.repository.list(workflowId)).map(toView);
  }

  /** Revokes one key of an owned workflow (idempotent); another workflow's key answers 404. */
  async revoke(ownerId: string, workflowId: string, keyId: string, requestId?: string): Promise<void> {
    await this.transactions.run(async (tx) => {
      const wf = await this.workflows.lockOwned(tx, ownerId, workflowId);
      const row = await this.repository.find(workflowId, keyId, tx);
      if (!row) throw new NotFoundError('Server key not found.');
      if (row.revoked_at) return;
      await this.repository.markRevoked(keyId, tx);
      this.forget(keyId);
      await this.audit.record(tx, {
        action: 'workflow.server_key_revoked',
        actor: { kind: 'user', id: ownerId },
        workflowId,
        ownerId: wf.ownerId,
        requestId,
        metadata: { keyId, name: row.name, prefix: row.prefix },
      });
    });
  }

  /**
   * Turns a presented `wsk_…` into its principal: malformed or unknown → `server_key_invalid`,
   * revoked → `server_key_revoked`. One indexed read; `last_used_at` at most once a minute.
   */
  async authenticate(key: string, options: { recheckedByRoute?: boolean } = {}): Promise<ServerKeyPrincipal> {
    if (!looksLikeOpaqueToken(key, SERVER_KEY_PREFIX)) throw new ServerKeyInvalidError();
    const hash = hashToken(key);
    const cacheKey = hash.toString('base64');
    if (options.recheckedByRoute) {
      const hit = this.recent.get(cacheKey);
      if (hit && Date.now() - hit.readAt < RECENT_KEY_MS) return { ...hit.principal };
    }
    const row = await this.repository.findByHash(hash, LAST_USED_RESOLUTION_SECONDS);
    if (!row || !tokenHashesEqual(Buffer.from(row.token_hash), hash)) throw new ServerKeyInvalidError();
    if (row.revoked) throw new ServerKeyRevokedError();
    if (row.stale) await this.repository.touchLastUsed(row.id, LAST_USED_RESOLUTION_SECONDS);
    const principal: ServerKeyPrincipal = { kind: 'serverKey', keyId: row.id, workflowId: row.workflow_id };
    if (this.recent.size >= RECENT_KEY_LIMIT) this.recent.delete(this.recent.keys().next().value as string);
    this.recent.set(cacheKey, { principal, readAt: Date.now() });
    return { ...principal };
  }

  /** Drops a key from the recent reads (revoked here, or found revoked or gone by a route's re-check). */
  forget(keyId: string): void {
    for (const [hash, entry] of this.recent) if (entry.principal.keyId === keyId) this.recent.delete(hash);
  }
}

function toView(row: ServerKeyRow): ServerKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
    revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
  };
}
