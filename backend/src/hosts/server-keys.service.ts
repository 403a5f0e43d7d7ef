import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { generateOpaqueToken, hashToken, looksLikeOpaqueToken, tokenHashesEqual } from '../common/crypto/opaque-token';
import type { ServerKeyPrincipal } from '../auth/principal';
import { NotFoundError } from '../common/errors/domain-error';
import { WorkflowsService } from '../workflows/workflows.service';
import { ServerKeyInvalidError, ServerKeyRevokedError } from './hosts.errors';

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

interface KeyRow {
  id: string;
  workflow_id: string;
  name: string;
  token_hash: Buffer;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
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
    private readonly dataSource: DataSource,
    private readonly workflows: WorkflowsService,
    private readonly audit: AuditService,
  ) {}

  /** Creates a key on an owned workflow; the plain key is returned here and never again. */
  async create(ownerId: string, workflowId: string, name: string, requestId?: string): Promise<{ view: ServerKeyView; key: string }> {
    const key = generateOpaqueToken(SERVER_KEY_PREFIX);
    const row = await this.dataSource.transaction(async (em) => {
      const wf = await this.workflows.lockOwned(em, ownerId, workflowId);
      const [inserted] = await em.query<KeyRow[]>(
        `INSERT INTO workflow_server_keys (workflow_id, name, token_hash, prefix, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [workflowId, name, hashToken(key), key.slice(0, DISPLAY_PREFIX_LENGTH), ownerId],
      );
      await this.audit.record(em, {
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
    const rows = await this.dataSource.query<KeyRow[]>(
      `SELECT * FROM workflow_server_keys WHERE workflow_id = $1 ORDER BY (revoked_at IS NULL) DESC, created_at DESC, id DESC LIMIT 200`,
      [workflowId],
    );
    return rows.map(toView);
  }

  /** Revokes one key of an owned workflow (idempotent); another workflow's key answers 404. */
  async revoke(ownerId: string, workflowId: string, keyId: string, requestId?: string): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      const wf = await this.workflows.lockOwned(em, ownerId, workflowId);
      const [row] = await em.query<KeyRow[]>(`SELECT * FROM workflow_server_keys WHERE id = $1 AND workflow_id = $2`, [keyId, workflowId]);
      if (!row) throw new NotFoundError('Server key not found.');
      if (row.revoked_at) return;
      await em.query(`UPDATE workflow_server_keys SET revoked_at = now() WHERE id = $1`, [keyId]);
      this.forget(keyId);
      await this.audit.record(em, {
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
    const [row] = await this.dataSource.query<(Pick<KeyRow, 'id' | 'workflow_id' | 'token_hash'> & { revoked: boolean; stale: boolean })[]>(
      `SELECT k.id, k.workflow_id, k.token_hash, k.revoked_at IS NOT NULL AS revoked, (k.last_used_at IS NULL OR k.last_used_at < now() - make_interval(secs => $2)) AS stale
         FROM workflow_server_keys k WHERE k.token_hash = $1`,
      [hash, LAST_USED_RESOLUTION_SECONDS],
    );
    if (!row || !tokenHashesEqual(Buffer.from(row.token_hash), hash)) throw new ServerKeyInvalidError();
    if (row.revoked) throw new ServerKeyRevokedError();
    if (row.stale) {
      await this.dataSource.query(
        `UPDATE workflow_server_keys SET last_used_at = now()
          WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
        [row.id, LAST_USED_RESOLUTION_SECONDS],
      );
    }
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

function toView(row: KeyRow): ServerKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
    revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
  };
}
