import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { managerOf, Tx } from '../database/transactions';
import { UserEntity } from './entities/user.entity';

/** Named queries on `users`; the caller passes its `Tx` when inside a transaction. */
@Injectable()
export class UsersRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(tx?: Tx) {
    return managerOf(tx, this.dataSource.manager).getRepository(UserEntity);
  }

  findById(id: string, tx?: Tx): Promise<UserEntity | null> {
    return this.repo(tx).findOneBy({ id });
  }

  /**
   * The account behind an owner access JWT, or null when it is gone or the token's `jti` was
   * revoked by logout: one statement for both checks on every owner request.
   */
  findForAccessToken(id: string, jti: string, tx?: Tx): Promise<UserEntity | null> {
    return this.repo(tx)
      .createQueryBuilder('u')
      .where('u.id = :id', { id })
      .andWhere('NOT EXISTS (SELECT 1 FROM revoked_access_tokens r WHERE r.jti = :jti)', { jti })
      .getOne();
  }

  /** Includes `passwordHash` (not selected by default). */
  findByEmailWithPassword(email: string, tx?: Tx): Promise<UserEntity | null> {
    return this.repo(tx)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email })
      .getOne();
  }

  findByEmail(email: string, tx?: Tx): Promise<UserEntity | null> {
    return this.repo(tx).findOneBy({ email });
  }

  async insert(
    user: { email: string; name: string | null; passwordHash: string | null; emailVerifiedAt?: Date | null },
    tx?: Tx,
  ): Promise<UserEntity> {
    const result = await this.repo(tx).insert(user);
    const id = (result.identifiers[0] as { id: string }).id;
    return (await this.findById(id, tx))!;
  }

  /** Records that the holder proved control of the email (idempotent: the first proof's time is kept). */
  async markEmailVerified(id: string, tx?: Tx): Promise<void> {
    await this.repo(tx)
      .createQueryBuilder()
      .update()
      .set({ emailVerifiedAt: () => 'COALESCE(email_verified_at, now())' })
      .where('id = :id', { id })
      .execute();
  }

  /** Deletes the user; every owned row goes with it through ON DELETE CASCADE. */
  async deleteById(id: string, tx?: Tx): Promise<boolean> {
    const result = await this.repo(tx).delete({ id });
    return (result.affected ?? 0) > 0;
  }
}
