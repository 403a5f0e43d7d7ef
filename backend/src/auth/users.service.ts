import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../common/errors/domain-error';
import { EmailTakenError } from './auth.errors';
import { normaliseEmail } from './email';
import { UserEntity } from './entities/user.entity';
import { UsersRepository } from './users.repository';

const UNIQUE_VIOLATION = '23505';

/** Owner accounts: creation, lookup and deletion. Exported for modules that need the owner (e.g. OIDC linking). */
@Injectable()
export class UsersService {
  constructor(private readonly users: UsersRepository) {}

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findById(id);
  }

  /** The account of an access JWT (`sub`, `jti`), or null when it is gone or the token was revoked by logout. */
  findForAccessToken(id: string, jti: string): Promise<UserEntity | null> {
    return this.users.findForAccessToken(id, jti);
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findByEmail(normaliseEmail(email));
  }

  /** The account and its password hash (null when none is set), for login. */
  findForLogin(email: string): Promise<UserEntity | null> {
    return this.users.findByEmailWithPassword(normaliseEmail(email));
  }

  /**
   * Creates an account; `passwordHash` null means OIDC-only, `emailVerified` that the email was
   * proven (an OIDC provider's `email_verified`). Throws `email_taken`.
   */
  async create(input: { email: string; name?: string | null; passwordHash: string | null; emailVerified?: boolean }): Promise<UserEntity> {
    try {
      return await this.users.insert({
        email: normaliseEmail(input.email),
        name: input.name ?? null,
        passwordHash: input.passwordHash,
        emailVerifiedAt: input.emailVerified ? new Date() : null,
      });
    } catch (err) {
      // The unique index decides, so two concurrent registrations cannot both succeed.
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new EmailTakenError();
      throw err;
    }
  }

  /** Marks the account's email as proven (SSO connected by the password holder). */
  markEmailVerified(id: string): Promise<void> {
    return this.users.markEmailVerified(id);
  }

  /**
   * Deletes the account and everything it owns, atomically. Owned tables reference
   * `users(id)` with ON DELETE CASCADE, so new modules are covered without changes here.
   */
  async delete(id: string): Promise<void> {
    // One statement: the cascade runs inside it, so it needs no transaction of its own.
    if (!(await this.users.deleteById(id))) throw new NotFoundError('The account no longer exists.');
  }
}
