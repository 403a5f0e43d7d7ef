import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { UserEntity } from './entities/user.entity';

/** Named queries on `users`; the caller passes an EntityManager when inside a transaction. */
@Injectable()
export class UsersRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(em?: EntityManager) {
    return (em ?? this.dataSource.manager).getRepository(UserEntity);
  }

  findById(id: string, em?: EntityManager): Promise<UserEntity | null> {
    return this.repo(em).findOneBy({ id });
  }

  /**
   * The account behind an owner access JWT, or null when it is gone or the token's `jti` was
   * revoked by logout: one statement for both checks on every owner request.
   */
  findForAccessToken(id: string, jti: string, em?: EntityManager): Promise<UserEntity | null> {
    return this.repo(em)
      .createQueryBuilder('u')
      .where('u.id = :id', { id })
      .andWhere('NOT EXISTS (SELECT 1 FROM revoked_access_tokens r WHERE r.jti = :jti)', { jti })
      .getOne();
  }

  /** Includes `passwordHash` (not selected by default). */
  findByEmailWithPassword(email: string, em?: EntityManager): Promise<UserEntity | null> {
    return this.repo(em)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email })
      .getOne();
  }

  findByEmail(email: string, em?: EntityManager): Promise<UserEntity | null> {
    return this.repo(em).findOneBy({ email });
  }

  async insert(
    user: { email: string; name: string | null; passwordHash: string | null; emailVerifiedAt?: Date | null },
    em?: EntityManager,
  ): Promise<UserEntity> {
    const result = await this.repo(em).insert(user);
    const id = (result.identifiers[0] as { id: string }).id;
    return (await this.findById(id, em))!;
  }

  /** Records that the holder proved control of the email (idempotent: the first proof's time is kept). */
  async markEmailVerified(id: string, em?: EntityManager): Promise<void> {
    await this.repo(em)
      .createQueryBuilder()
      .update()
      .set({ emailVerifiedAt: () => 'COALESCE(email_verified_at, now())' })
      .where('id = :id', { id })
      .execute();
  }

  /** Deletes the user; every owned row goes with it through ON DELETE CASCADE. */
  async deleteById(id: string, em?: EntityManager): Promise<boolean> {
    const result = await this.repo(em).delete({ id });
    return (result.affected ?? 0) > 0;
  }
}
