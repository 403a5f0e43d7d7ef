import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFoundError } from '../common/errors/domain-error';
import { EmailTakenError } from './auth.errors';
import { normaliseEmail } from './email';
import { UserEntity } from './entities/user.entity';
import { UsersRepository } from './users.repository';

const UNIQUE_VIOLATION = '23505';

/** Owner accounts: creation, lookup and deletion. Exported for modules that need the owner (e.g. OIDC linking). */
@Injectable()
export class UsersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
  ) {}

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findById(id);
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findByEmail(normaliseEmail(email));
  }

  /** The account and its password hash (null when none is set), for login. */
  findForLogin(email: string): Promise<UserEntity | null> {
    return this.users.findByEmailWithPassword(normaliseEmail(email));
  }

  /** Creates an account; `passwordHash` null means OIDC-only. Throws `email_taken`. */
  async create(input: { email: string; name?: string | null; passwordHash: string | null }): Promise<UserEntity> {
    try {
      return await this.users.insert({ email: normaliseEmail(input.email), name: input.name ?? null, passwordHash: input.passwordHash });
    } catch (err) {
      // The unique index decides, so two concurrent registrations cannot both succeed.
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new EmailTakenError();
      throw err;
    }
  }

  /**
   * Deletes the account and everything it owns in one transaction. Owned tables reference
   * `users(id)` with ON DELETE CASCADE, so new modules are covered without changes here.
   */
  async delete(id: string): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      if (!(await this.users.deleteById(id, em))) throw new NotFoundError('The account no longer exists.');
    });
  }
}
