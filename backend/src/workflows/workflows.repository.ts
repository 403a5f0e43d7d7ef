import { Injectable } from '@nestjs/common';
import { DataSource, SelectQueryBuilder } from 'typeorm';
import { managerOf, Tx } from '../database/transactions';
import { WorkflowVersionEntity } from './entities/workflow-version.entity';
import { WorkflowEntity } from './entities/workflow.entity';

/** The columns a new workflow is created with (the rest take their defaults). */
export type WorkflowInsert = Pick<WorkflowEntity, 'ownerId' | 'name' | 'description' | 'runner' | 'allowedOrigins' | 'transcriptRetentionDays'>;

/** Publish-state columns that only the publish module changes, inside its own transaction. */
export type PublishStatePatch = Partial<
  Pick<WorkflowEntity, 'isPublic' | 'requireLogin' | 'publishedAt' | 'publishedBy' | 'publishTokenRotatedAt' | 'publishedVersion'>
>;

/**
 * The SQL of `workflows`. Reads join the pinned published version (`published`), so one statement tells the chat
 * gateway what the public runs.
 */
@Injectable()
export class WorkflowsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(tx?: Tx) {
    return managerOf(tx, this.dataSource.manager).getRepository(WorkflowEntity);
  }

  /** Inserts a workflow and returns it as stored (defaults and timestamps filled in). */
  async insert(row: WorkflowInsert): Promise<WorkflowEntity> {
    const repo = this.repo();
    return repo.save(repo.create(row));
  }

  /** Up to `take` workflows of an owner, newest first, after the workflow `afterId` (keyset on `(created_at, id)`). */
  listOwned(ownerId: string, take: number, afterId?: string): Promise<WorkflowEntity[]> {
    const qb = withPublished(this.repo().createQueryBuilder('w'))
      .where('w.owner_id = :ownerId', { ownerId })
      .orderBy('w.created_at', 'DESC')
      .addOrderBy('w.id', 'DESC')
      .take(take);
    if (afterId !== undefined) {
      qb.andWhere('(w.created_at, w.id) < (SELECT c.created_at, c.id FROM workflows c WHERE c.id = :after AND c.owner_id = :ownerId)', {
        after: afterId,
      });
    }
    return qb.getMany();
  }

  findOwned(ownerId: string, id: string): Promise<WorkflowEntity | null> {
    return withPublished(this.repo().createQueryBuilder('w')).where('w.id = :id AND w.owner_id = :ownerId', { id, ownerId }).getOne();
  }

  async isOwnedBy(ownerId: string, id: string): Promise<boolean> {
    return (await this.repo().countBy({ id, ownerId })) > 0;
  }

  findById(id: string): Promise<WorkflowEntity | null> {
    return withPublished(this.repo().createQueryBuilder('w')).where('w.id = :id', { id }).getOne();
  }

  /** Whether a workflow with this id exists (no row is loaded). */
  async exists(id: string): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(`SELECT 1 FROM workflows WHERE id = $1`, [id]);
    return rows.length > 0;
  }

  /** A workflow with its pinned version, read inside `tx` (fails when it is gone). */
  reload(id: string, tx: Tx): Promise<WorkflowEntity> {
    return withPublished(this.repo(tx).createQueryBuilder('w')).where('w.id = :id', { id }).getOneOrFail();
  }

  /** Row-locks (`FOR UPDATE`) an owned workflow inside `tx`; null when there is none. */
  lockOwned(ownerId: string, id: string, tx: Tx): Promise<WorkflowEntity | null> {
    return this.repo(tx)
      .createQueryBuilder('w')
      .setLock('pessimistic_write')
      .where('w.id = :id AND w.owner_id = :ownerId', { id, ownerId })
      .getOne();
  }

  /** Writes the changed columns of a loaded row. */
  async save(row: WorkflowEntity, tx: Tx): Promise<void> {
    await this.repo(tx).save(row);
  }

  async delete(id: string, tx: Tx): Promise<void> {
    await this.repo(tx).delete({ id });
  }

  async updatePublishState(id: string, patch: PublishStatePatch, tx: Tx): Promise<void> {
    await this.repo(tx).update({ id }, patch);
  }
}

/** Adds the pinned published version (`w.published`) to a workflow query. */
function withPublished(qb: SelectQueryBuilder<WorkflowEntity>): SelectQueryBuilder<WorkflowEntity> {
  return qb.leftJoinAndMapOne('w.published', WorkflowVersionEntity, 'v', 'v.workflow_id = w.id AND v.version = w.published_version');
}
