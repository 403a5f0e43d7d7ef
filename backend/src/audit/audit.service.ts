import { Injectable } from '@nestjs/common';
import { decodeCursor, encodeCursor, Page } from '../common/http/cursor';
import type { Tx } from '../database/transactions';
import { AuditRepository } from './audit.repository';

export type AuditAction =
  | 'workflow.published'
  | 'workflow.publish_rotated'
  | 'workflow.publish_revoked'
  | 'workflow.login_requirement_changed'
  | 'workflow.allowed_origins_changed'
  | 'workflow.version_published'
  | 'workflow.version_rolled_back'
  | 'workflow.deleted'
  | 'workflow.server_key_created'
  | 'workflow.server_key_revoked'
  | 'workflow.host_session_revoked'
  | 'workflow.webhook_secret_rotated'
  | 'agent.tool_call.approved'
  | 'agent.tool_call.denied';

export interface AuditRecord {
  action: AuditAction;
  /** `user` (owner), `system`, or the chat principal kind that acted (`chat`, `visitor`, `oauth`, `host`…). */
  actor: { kind: 'user' | 'system' | (string & {}); id: string | null };
  workflowId?: string | null;
  /** The owner whose account the row belongs to (deleted with the account). */
  ownerId?: string | null;
  requestId?: string | null;
  metadata?: Record<string, unknown>;
}

export interface AuditEventView {
  id: string;
  action: string;
  actor: { kind: string; id: string | null };
  occurredAt: Date;
  metadata: Record<string, unknown>;
}

/** Append-only audit log. Writers pass their transaction (`Tx`) so the row commits with the change. */
@Injectable()
export class AuditService {
  constructor(private readonly events: AuditRepository) {}

  async record(tx: Tx, record: AuditRecord): Promise<void> {
    await this.events.insert(
      {
        action: record.action,
        actorKind: record.actor.kind,
        actorId: record.actor.id,
        workflowId: record.workflowId ?? null,
        ownerId: record.ownerId ?? null,
        requestId: record.requestId ?? null,
        metadata: record.metadata ?? {},
      },
      tx,
    );
  }

  /** Newest first, keyset-paged on (occurred_at, id). */
  async listForWorkflow(workflowId: string, limit: number, cursor?: string): Promise<Page<AuditEventView>> {
    const rows = await this.events.listForWorkflow(workflowId, limit + 1, cursor ? decodeCursor(cursor) : undefined);
    const page = rows.slice(0, limit);
    return {
      data: page.map((e) => ({
        id: e.id,
        action: e.action,
        actor: { kind: e.actorKind, id: e.actorId },
        occurredAt: e.occurredAt,
        metadata: e.metadata,
      })),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null,
    };
  }
}
