import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { managerOf, Tx } from '../database/transactions';
import { AuditEventEntity } from './entities/audit-event.entity';

/** The columns of one new audit row. */
export type AuditEventInsert = Pick<AuditEventEntity, 'action' | 'actorKind' | 'actorId' | 'workflowId' | 'ownerId' | 'requestId' | 'metadata'>;

/** The SQL of `audit_events` (append-only). */
@Injectable()
export class AuditRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(row: AuditEventInsert, tx: Tx): Promise<void> {
    await managerOf(tx, this.dataSource.manager).getRepository(AuditEventEntity).insert(row as QueryDeepPartialEntity<AuditEventEntity>);
  }

  /** Up to `take` rows of a workflow, newest first, after the row `afterId` (keyset on `(occurred_at, id)`). */
  listForWorkflow(workflowId: string, take: number, afterId?: string): Promise<AuditEventEntity[]> {
    const qb = this.dataSource
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .where('e.workflow_id = :workflowId', { workflowId })
      .orderBy('e.occurred_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .take(take);
    if (afterId !== undefined) {
      qb.andWhere('(e.occurred_at, e.id) < (SELECT c.occurred_at, c.id FROM audit_events c WHERE c.id = :after)', { after: afterId });
    }
    return qb.getMany();
  }
}
