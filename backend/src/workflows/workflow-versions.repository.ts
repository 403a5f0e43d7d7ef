import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { managerOf, Tx } from '../database/transactions';
import { WorkflowVersionEntity } from './entities/workflow-version.entity';

/** The SQL of `workflow_versions` (immutable rows: inserted, never updated). */
@Injectable()
export class WorkflowVersionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(tx?: Tx) {
    return managerOf(tx, this.dataSource.manager).getRepository(WorkflowVersionEntity);
  }

  /** The highest-numbered version of a workflow, or null. */
  newest(workflowId: string, tx: Tx): Promise<WorkflowVersionEntity | null> {
    return this.repo(tx).findOne({ where: { workflowId }, order: { version: 'DESC' } });
  }

  async insert(row: Pick<WorkflowVersionEntity, 'workflowId' | 'version' | 'runner' | 'createdBy'>, tx: Tx): Promise<void> {
    await this.repo(tx).insert(row as QueryDeepPartialEntity<WorkflowVersionEntity>);
  }

  find(workflowId: string, version: number, tx?: Tx): Promise<WorkflowVersionEntity | null> {
    return this.repo(tx).findOneBy({ workflowId, version });
  }

  /** Up to `take` versions, newest first, below version `before`. */
  list(workflowId: string, take: number, before?: number): Promise<WorkflowVersionEntity[]> {
    const qb = this.repo()
      .createQueryBuilder('v')
      .where('v.workflow_id = :workflowId', { workflowId })
      .orderBy('v.version', 'DESC')
      .take(take);
    if (before !== undefined) qb.andWhere('v.version < :after', { after: before });
    return qb.getMany();
  }
}
