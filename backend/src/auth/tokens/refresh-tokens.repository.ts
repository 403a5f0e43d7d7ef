import { Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import { managerOf, Tx } from '../../database/transactions';
import { RefreshTokenEntity } from '../entities/refresh-token.entity';

/** Named queries on `refresh_tokens`. */
@Injectable()
export class RefreshTokensRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(tx?: Tx) {
    return managerOf(tx, this.dataSource.manager).getRepository(RefreshTokenEntity);
  }

  async insert(row: Pick<RefreshTokenEntity, 'userId' | 'familyId' | 'tokenHash' | 'expiresAt'>, tx?: Tx): Promise<void> {
    await this.repo(tx).insert(row);
  }

  /** Locks the row so two concurrent refreshes with one token cannot both rotate it. */
  findByHashForUpdate(tokenHash: Buffer, tx: Tx): Promise<RefreshTokenEntity | null> {
    return this.repo(tx)
      .createQueryBuilder('t')
      .setLock('pessimistic_write')
      .where('t.token_hash = :tokenHash', { tokenHash })
      .getOne();
  }

  findByHash(tokenHash: Buffer, tx?: Tx): Promise<RefreshTokenEntity | null> {
    return this.repo(tx).findOneBy({ tokenHash });
  }

  async markUsed(id: string, at: Date, tx: Tx): Promise<void> {
    await this.repo(tx).update({ id }, { usedAt: at });
  }

  /** Revokes every live token of a family; returns how many were still live. */
  async revokeFamily(familyId: string, at: Date, tx?: Tx): Promise<number> {
    const result = await this.repo(tx).update({ familyId, revokedAt: IsNull() }, { revokedAt: at });
    return result.affected ?? 0;
  }
}
