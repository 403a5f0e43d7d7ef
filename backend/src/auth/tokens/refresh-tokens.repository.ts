import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { RefreshTokenEntity } from '../entities/refresh-token.entity';

/** Named queries on `refresh_tokens`. */
@Injectable()
export class RefreshTokensRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(em?: EntityManager) {
    return (em ?? this.dataSource.manager).getRepository(RefreshTokenEntity);
  }

  async insert(row: Pick<RefreshTokenEntity, 'userId' | 'familyId' | 'tokenHash' | 'expiresAt'>, em?: EntityManager): Promise<void> {
    await this.repo(em).insert(row);
  }

  /** Locks the row so two concurrent refreshes with one token cannot both rotate it. */
  findByHashForUpdate(tokenHash: Buffer, em: EntityManager): Promise<RefreshTokenEntity | null> {
    return this.repo(em)
      .createQueryBuilder('t')
      .setLock('pessimistic_write')
      .where('t.token_hash = :tokenHash', { tokenHash })
      .getOne();
  }

  findByHash(tokenHash: Buffer, em?: EntityManager): Promise<RefreshTokenEntity | null> {
    return this.repo(em).findOneBy({ tokenHash });
  }

  async markUsed(id: string, at: Date, em: EntityManager): Promise<void> {
    await this.repo(em).update({ id }, { usedAt: at });
  }

  /** Revokes every live token of a family; returns how many were still live. */
  async revokeFamily(familyId: string, at: Date, em?: EntityManager): Promise<number> {
    const result = await this.repo(em).update({ familyId, revokedAt: IsNull() }, { revokedAt: at });
    return result.affected ?? 0;
  }
}
