import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository, SelectQueryBuilder } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { NotFoundError } from '../common/errors/domain-error';
import { decodeCursor, encodeCursor, Page } from '../common/http/cursor';
import { appConfig } from '../config/app.config';
import { CreateWorkflowDto, UpdateWorkflowDto, WorkflowResponseDto } from './dto/workflow.dto';
import { WorkflowVersionEntity } from './entities/workflow-version.entity';
import { WorkflowEntity } from './entities/workflow.entity';
import { sameDefinition } from './runner-compare';
import { RunnerDefinitions } from './runner-definitions';

/** Publish-state columns that only the publish module changes, inside its own transaction. */
export type PublishStatePatch = Partial<
  Pick<WorkflowEntity, 'isPublic' | 'requireLogin' | 'publishedAt' | 'publishedBy' | 'publishTokenRotatedAt' | 'publishedVersion'>
>;

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
    @InjectRepository(WorkflowEntity) private readonly workflows: Repository<WorkflowEntity>,
    private readonly dataSource: DataSource,
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
    const row = this.workflows.create({
      ownerId,
      name: dto.name,
      description: dto.description ?? '',
      runner: await this.definitions.toDefinition(dto.runner),
      allowedOrigins: dto.allowedOrigins ?? [],
      transcriptRetentionDays: dto.transcriptRetentionDays ?? null,
    });
    const saved = await this.workflows.save(row);
    return { ...saved, published: null };
  }

  /** Newest first, keyset-paged. */
  async list(ownerId: string, limit: number, cursor?: string): Promise<Page<WorkflowSnapshot>> {
    const qb = withPublished(this.workflows.createQueryBuilder('w'))
      .where('w.owner_id = :ownerId', { ownerId })
      .orderBy('w.created_at', 'DESC')
      .addOrderBy('w.id', 'DESC')
      .take(limit + 1);
    if (cursor) {
      qb.andWhere('(w.created_at, w.id) < (SELECT c.created_at, c.id FROM workflows c WHERE c.id = :after AND c.owner_id = :ownerId)', {
        after: decodeCursor(cursor),
      });
    }
    const rows = await qb.getMany();
    const page = rows.slice(0, limit);
    return { data: page, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null };
  }

  async getOwned(ownerId: string, id: string): Promise<WorkflowSnapshot> {
    const row = await withPublished(this.workflows.createQueryBuilder('w')).where('w.id = :id AND w.owner_id = :ownerId', { id, ownerId }).getOne();
    if (!row) throw new NotFoundError('Workflow not found.');
    return row;
  }

  /** Any workflow by id, for the chat gateway and public metadata (callers check publish state). */
  async findById(id: string): Promise<WorkflowSnapshot | null> {
    return withPublished(this.workflows.createQueryBuilder('w')).where('w.id = :id', { id }).getOne();
  }

  /** A workflow with its pinned version, read inside the caller's transaction. */
  async reload(em: EntityManager, id: string): Promise<WorkflowSnapshot> {
    return withPublished(em.getRepository(WorkflowEntity).createQueryBuilder('w')).where('w.id = :id', { id }).getOneOrFail();
  }

  async update(ownerId: string, id: string, dto: UpdateWorkflowDto): Promise<WorkflowSnapshot> {
    const updated = await this.dataSource.transaction(async (em) => {
      const row = await this.lockOwned(em, ownerId, id);
      if (dto.name !== undefined) row.name = dto.name;
      await this.auditAllowedOrigins(em, ownerId, row, dto.allowedOrigins);
      if (dto.description !== undefined) row.description = dto.description;
      if (dto.runner !== undefined) row.runner = await this.definitions.toDefinition(dto.runner, row.runner);
      if (dto.allowedOrigins !== undefined) row.allowedOrigins = dto.allowedOrigins;
      if (dto.transcriptRetentionDays !== undefined) row.transcriptRetentionDays = dto.transcriptRetentionDays;
      await em.getRepository(WorkflowEntity).save(row);
      return this.reload(em, row.id);
    });
    this.notifyChanged(id);
    return updated;
  }

  /** Who may embed the public chat is a security setting: every real change of the list is audited (added, removed). */
  private async auditAllowedOrigins(em: EntityManager, ownerId: string, row: WorkflowEntity, next: string[] | undefined): Promise<void> {
    if (next === undefined) return;
    const added = next.filter((o) => !row.allowedOrigins.includes(o));
    const removed = row.allowedOrigins.filter((o) => !next.includes(o));
    if (!added.length && !removed.length) return;
    await this.audit.record(em, {
      action: 'workflow.allowed_origins_changed',
      actor: { kind: 'user', id: ownerId },
      workflowId: row.id,
      ownerId,
      metadata: { added, removed },
    });
  }

  async delete(ownerId: string, id: string, requestId?: string): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      const row = await this.lockOwned(em, ownerId, id);
      await em.getRepository(WorkflowEntity).delete({ id: row.id });
      await this.audit.record(em, {
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

  /** Row-locks an owned workflow inside the caller's transaction (publish state changes serialize here). */
  async lockOwned(em: EntityManager, ownerId: string, id: string): Promise<WorkflowEntity> {
    const row = await em
      .getRepository(WorkflowEntity)
      .createQueryBuilder('w')
      .setLock('pessimistic_write')
      .where('w.id = :id AND w.owner_id = :ownerId', { id, ownerId })
      .getOne();
    if (!row) throw new NotFoundError('Workflow not found.');
    return row;
  }

  async updatePublishState(em: EntityManager, id: string, patch: PublishStatePatch): Promise<WorkflowEntity> {
    await em.getRepository(WorkflowEntity).update({ id }, patch);
    return this.reload(em, id);
  }
}

/** Adds the pinned published version (`w.published`) to a workflow query. */
function withPublished(qb: SelectQueryBuilder<WorkflowEntity>): SelectQueryBuilder<WorkflowEntity> {
  return qb.leftJoinAndMapOne('w.published', WorkflowVersionEntity, 'v', 'v.workflow_id = w.id AND v.version = w.published_version');
}
