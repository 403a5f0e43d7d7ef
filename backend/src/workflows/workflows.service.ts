import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AuditService } from '../audit/audit.service';
import { NotFoundError } from '../common/errors/domain-error';
import { decodeCursor, encodeCursor, Page } from '../common/http/cursor';
import { appConfig } from '../config/app.config';
import { Transactions, Tx } from '../database/transactions';
import { CreateWorkflowDto, UpdateWorkflowDto, WorkflowResponseDto } from './dto/workflow.dto';
import { WorkflowEntity } from './entities/workflow.entity';
import { sameDefinition } from './runner-compare';
import { RunnerDefinitions } from './runner-definitions';
import { PublishStatePatch, WorkflowsRepository } from './workflows.repository';

export type { PublishStatePatch } from './workflows.repository';

/**
 * The workflow snapshot other modules work with (never the entity itself). Reads of this service
 * join the pinned published version (`published`), so the chat gateway learns what the public
 * runs from the same single statement that loads the workflow.
 */
export type WorkflowSnapshot = Readonly<WorkflowEntity>;

/** Workflow CRUD, always scoped to the owner: another owner's workflow is "not found". */
@Injectable()
export class WorkflowsService {
  private readonly changeListeners = new Set<(workflowId: string) => void>();

  constructor(
    private readonly workflows: WorkflowsRepository,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    private readonly definitions: RunnerDefinitions,
  ) {}

  /**
   * Calls `listener` after a workflow of this instance changed (draft, publish state, version),
   * so caches of workflow reads drop it at once rather than within their reuse window.
   */
  onChanged(listener: (workflowId: string) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Tells the listeners that `workflowId` changed; callers run it after their transaction committed. */
  notifyChanged(workflowId: string): void {
    for (const listener of this.changeListeners) listener(workflowId);
  }

  toResponse(w: WorkflowSnapshot): WorkflowResponseDto {
    return {
      id: w.id,
      ownerId: w.ownerId,
      name: w.name,
      description: w.description,
      runner: this.definitions.present(w.runner),
      publishedVersion: w.publishedVersion,
      draftDiffers: w.published ? !sameDefinition(w.runner, w.published.runner) : false,
      allowedOrigins: w.allowedOrigins,
      isPublic: w.isPublic,
      requireLogin: w.requireLogin,
      publishedAt: w.publishedAt?.toISOString() ?? null,
      publishedBy: w.publishedBy,
      publishTokenRotatedAt: w.publishTokenRotatedAt?.toISOString() ?? null,
      transcriptRetentionDays: w.transcriptRetentionDays,
      shareUrl: w.isPublic ? this.shareUrl(w.id) : null,
      createdAt: w.createdAt.toISOString(),
      updatedAt: w.updatedAt.toISOString(),
    };
  }

  /** The public page URL without a token. */
  shareUrl(workflowId: string): string {
    return `${this.app.publicBaseUrl}/chat/${workflowId}`;
  }

  async create(ownerId: string, dto: CreateWorkflowDto): Promise<WorkflowSnapshot> {
    const saved = await this.workflows.insert({
      ownerId,
      name: dto.name,
      description: dto.description ?? '',
      runner: await this.definitions.toDefinition(dto.runner),
      allowedOrigins: dto.allowedOrigins ?? [],
      transcriptRetentionDays: dto.transcriptRetentionDays ?? null,
    });
    return { ...saved, published: null };
  }

  /** Newest first, keyset-paged. */
  async list(ownerId: string, limit: number, cursor?: string): Promise<Page<WorkflowSnapshot>> {
    const rows = await this.workflows.listOwned(ownerId, limit + 1, cursor ? decodeCursor(cursor) : undefined);
    const page = rows.slice(0, limit);
    return { data: page, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null };
  }

  async getOwned(ownerId: string, id: string): Promise<WorkflowSnapshot> {
    const row = await this.workflows.findOwned(ownerId, id);
    if (!row) throw new NotFoundError('Workflow not found.');
    return row;
  }

  /** Whether `ownerId` owns the workflow `id` (no row is loaded). */
  isOwnedBy(ownerId: string, id: string): Promise<boolean> {
    return this.workflows.isOwnedBy(ownerId, id);
  }

  /** Whether the workflow `id` exists (no row is loaded). */
  exists(id: string): Promise<boolean> {
    return this.workflows.exists(id);
  }

  /** Any workflow by id, for the chat gateway and public metadata (callers check publish state). */
  findById(id: string): Promise<WorkflowSnapshot | null> {
    return this.workflows.findById(id);
  }

  /** A workflow with its pinned version, read inside the caller's transaction. */
  reload(tx: Tx, id: string): Promise<WorkflowSnapshot> {
    return this.workflows.reload(id, tx);
  }

  async update(ownerId: string, id: string, dto: UpdateWorkflowDto): Promise<WorkflowSnapshot> {
    const updated = await this.transactions.run(async (tx) => {
      const row = await this.lockOwned(tx, ownerId, id);
      if (dto.name !== undefined) row.name = dto.name;
      await this.auditAllowedOrigins(tx, ownerId, row, dto.allowedOrigins);
      if (dto.description !== undefined) row.description = dto.description;
      if (dto.runner !== undefined) row.runner = await this.definitions.toDefinition(dto.runner, row.runner);
      if (dto.allowedOrigins !== undefined) row.allowedOrigins = dto.allowedOrigins;
      if (dto.transcriptRetentionDays !== undefined) row.transcriptRetentionDays = dto.transcriptRetentionDays;
      await this.workflows.save(row, tx);
      return this.reload(tx, row.id);
    });
    this.notifyChanged(id);
    return updated;
  }

  /** Who may embed the public chat is a security setting: every real change of the list is audited (added, removed). */
  private async auditAllowedOrigins(tx: Tx, ownerId: string, row: WorkflowEntity, next: string[] | undefined): Promise<void> {
    if (next === undefined) return;
    const added = next.filter((o) => !row.allowedOrigins.includes(o));
    const removed = row.allowedOrigins.filter((o) => !next.includes(o));
    if (!added.length && !removed.length) return;
    await this.audit.record(tx, {
      action: 'workflow.allowed_origins_changed',
      actor: { kind: 'user', id: ownerId },
      workflowId: row.id,
      ownerId,
      metadata: { added, removed },
    });
  }

  async delete(ownerId: string, id: string, requestId?: string): Promise<void> {
    await this.transactions.run(async (tx) => {
      const row = await this.lockOwned(tx, ownerId, id);
      await this.workflows.delete(row.id, tx);
      await this.audit.record(tx, {
        action: 'workflow.deleted',
        actor: { kind: 'user', id: ownerId },
        workflowId: row.id,
        ownerId,
        requestId,
        metadata: { name: row.name, wasPublic: row.isPublic },
      });
    });
    this.notifyChanged(id);
  }

  /**
   * Row-locks an owned workflow inside the caller's transaction (publish state changes, server keys and webhook
   * secrets serialize here).
   */
  async lockOwned(tx: Tx, ownerId: string, id: string): Promise<WorkflowEntity> {
    const row = await this.workflows.lockOwned(ownerId, id, tx);
    if (!row) throw new NotFoundError('Workflow not found.');
    return row;
  }

  /** Changes publish-state columns inside the publish module's transaction; returns the workflow as it now is. */
  async updatePublishState(tx: Tx, id: string, patch: PublishStatePatch): Promise<WorkflowSnapshot> {
    await this.workflows.updatePublishState(id, patch, tx);
    return this.reload(tx, id);
  }
}
