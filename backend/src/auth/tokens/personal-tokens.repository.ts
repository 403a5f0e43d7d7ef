import { Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import { managerOf, Tx } from '../../database/transactions';
import { PersonalAccessTokenEntity } from '../entities/personal-access-token.entity';

export interface PersonalTokenWithOwner extends PersonalAccessTokenEntity {
  ownerEmail: string;
}

/** Named queries on `personal_access_tokens`. */
@Injectable()
export class PersonalTokensRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(tx?: Tx) {
    return managerOf(tx, this.dataSource.manager).getRepository(PersonalAccessTokenEntity);
  }

  async insert(
    row: Pick<PersonalAccessTokenEntity, 'userId' | 'name' | 'tokenHash' | 'expiresAt'>,
    tx?: Tx,
  ): Promise<PersonalAccessTokenEntity> {
    const result = await this.repo(tx).insert(row);
    return (await this.repo(tx).findOneBy({ id: (result.identifiers[0] as { id: string }).id }))!;
  }

  /** The token row and its owner's email, for authentication. */
  async findByHashWithOwner(tokenHash: Buffer): Promise<PersonalTokenWithOwner | null> {
    const row = await this.repo()
      .createQueryBuilder('t')
      .innerJoin('users', 'u', 'u.id = t.user_id')
      .addSelect('u.email', 'owner_email')
      .where('t.token_hash = :tokenHash', { tokenHash })
      .getRawAndEntities();
    const entity = row.entities[0];
    if (!entity) return null;
    return Object.assign(entity, { ownerEmail: (row.raw[0] as { owner_email: string }).owner_email });
  }

  /** Live (not revoked) tokens of a user, newest first. Expired ones stay listed until revoked. */
  listActive(userId: string): Promise<PersonalAccessTokenEntity[]> {
    return this.repo().find({ where: { userId, revokedAt: IsNull() }, order: { createdAt: 'DESC', id: 'DESC' } });
  }

  /** Revokes one of the user's tokens; false when there is no such live token of theirs. */
  async revoke(userId: string, id: string, at: Date): Promise<boolean> {
    const result = await this.repo().update({ id, userId, revokedAt: IsNull() }, { revokedAt: at });
    return (result.affected ?? 0) > 0;
  }

  /** Records use at most once a minute per token, so busy scripts do not turn every read into a write. */
  async touch(id: string, at: Date): Promise<void> {
    await this.repo()
      .createQueryBuilder()
      .update()
      .set({ lastUsedAt: at })
      .where('id = :id', { id })
      .andWhere(`(last_used_at IS NULL OR last_used_at < :cutoff)`, { cutoff: new Date(at.getTime() - 60_000) })
      .execute();
  }
}
