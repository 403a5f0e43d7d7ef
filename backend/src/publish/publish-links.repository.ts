import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { managerOf, Tx } from '../database/transactions';
import { PublishLinkEntity } from './entities/publish-link.entity';

/** The SQL of `publish_links` (share links; only token hashes are stored). */
@Injectable()
export class PublishLinksRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(tx?: Tx) {
    return managerOf(tx, this.dataSource.manager).getRepository(PublishLinkEntity);
  }

  async insertActive(workflowId: string, tokenHash: string, createdBy: string, tx: Tx): Promise<void> {
    await this.repo(tx).insert({ workflowId, tokenHash, status: 'active', createdBy });
  }

  findActive(workflowId: string, tx: Tx): Promise<PublishLinkEntity | null> {
    return this.repo(tx).findOneBy({ workflowId, status: 'active' });
  }

  /** Marks the workflow's active link rotated. */
  async rotateActive(workflowId: string, at: Date, tx: Tx): Promise<void> {
    await this.repo(tx).update({ workflowId, status: 'active' }, { status: 'rotated', rotatedAt: at });
  }

  /** Revokes every active or rotated link of the workflow; returns how many. */
  async revokeAll(workflowId: string, at: Date, tx: Tx): Promise<number> {
    const result = await this.repo(tx).update({ workflowId, status: In(['active', 'rotated']) }, { status: 'revoked', revokedAt: at });
    return result.affected ?? 0;
  }

  findByHash(tokenHash: string): Promise<PublishLinkEntity | null> {
    return this.repo().findOneBy({ tokenHash });
  }

  /** Sets `last_used_at` to now unless another request did within the last minute. */
  async touchLastUsed(id: string): Promise<void> {
    await this.repo()
      .createQueryBuilder()
      .update()
      .set({ lastUsedAt: () => 'now()' })
      .where(`id = :id AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, { id })
      .execute();
  }
}
