import { Injectable } from '@nestjs/common';
import { NotFoundError, ValidationFailedError } from '../../common/errors/domain-error';
import { ExpiredTokenError, InvalidTokenError } from '../auth.errors';
import { PersonalAccessTokenEntity } from '../entities/personal-access-token.entity';
import { UserPrincipal } from '../principal';
import { generateOpaqueToken, hashToken, looksLikeOpaqueToken, tokenHashesEqual } from '../../common/crypto/opaque-token';
import { PersonalTokensRepository } from './personal-tokens.repository';

/** Prefix of personal access tokens; the JWT verifier routes `Bearer pat_…` here. */
export const PERSONAL_TOKEN_PREFIX = 'pat_';

/** Personal access tokens: shown once at creation, stored as SHA-256, accepted wherever an owner JWT is. */
@Injectable()
export class PersonalTokensService {
  constructor(private readonly tokens: PersonalTokensRepository) {}

  /** Creates a token; the plain value is returned here and never again. */
  async create(
    userId: string,
    input: { name: string; expiresAt?: Date | null },
  ): Promise<{ entity: PersonalAccessTokenEntity; token: string }> {
    if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
      throw new ValidationFailedError({ expiresAt: ['expiresAt must be in the future'] });
    }
    const token = generateOpaqueToken(PERSONAL_TOKEN_PREFIX);
    const entity = await this.tokens.insert({ userId, name: input.name, tokenHash: hashToken(token), expiresAt: input.expiresAt ?? null });
    return { entity, token };
  }

  list(userId: string): Promise<PersonalAccessTokenEntity[]> {
    return this.tokens.listActive(userId);
  }

  /** Revokes one of the caller's tokens; another user's token id answers 404 like a missing one. */
  async revoke(userId: string, id: string): Promise<void> {
    if (!(await this.tokens.revoke(userId, id, new Date()))) throw new NotFoundError('No such personal access token.');
  }

  /** Turns a presented `pat_…` into its owner. Throws `token_invalid` (unknown, revoked) or `token_expired`. */
  async authenticate(token: string): Promise<UserPrincipal> {
    if (!looksLikeOpaqueToken(token, PERSONAL_TOKEN_PREFIX)) throw new InvalidTokenError();
    const hash = hashToken(token);
    const row = await this.tokens.findByHashWithOwner(hash);
    if (!row || !tokenHashesEqual(row.tokenHash, hash) || row.revokedAt) throw new InvalidTokenError();
    const now = new Date();
    if (row.expiresAt && row.expiresAt <= now) throw new ExpiredTokenError('The personal access token has expired.');
    await this.tokens.touch(row.id, now);
    return { kind: 'user', userId: row.userId, email: row.ownerEmail, credential: 'personal_token', personalTokenId: row.id };
  }
}
