import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { Transactions, Tx } from '../../database/transactions';
import { authConfig } from '../auth.config';
import { ExpiredTokenError, InvalidTokenError } from '../auth.errors';
import { generateOpaqueToken, hashToken, looksLikeOpaqueToken, tokenHashesEqual } from '../../common/crypto/opaque-token';
import { ContextLogger, RequestLog } from '../../common/logging/request-log';
import { RefreshTokensRepository } from './refresh-tokens.repository';

/** Prefix of refresh tokens, so leaked ones are recognisable by secret scanners. */
export const REFRESH_TOKEN_PREFIX = 'rt_';

export interface IssuedRefreshToken {
  token: string;
  familyId: string;
  expiresAt: Date;
}

type Verdict =
  | { ok: true; userId: string; next: IssuedRefreshToken }
  | { ok: false; error: 'invalid' | 'expired' | 'reused' };

/**
 * Opaque refresh tokens, stored as SHA-256, rotated on every use. A token presented after it
 * was already rotated means one of two parties holds a stolen copy: the whole family is revoked.
 */
@Injectable()
export class RefreshTokensService {
  private readonly logger = new ContextLogger('RefreshTokens');

  constructor(
    private readonly transactions: Transactions,
    private readonly tokens: RefreshTokensRepository,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  /** Starts a new family (login) or continues one (rotation). */
  async issue(userId: string, familyId: string = randomUUID(), tx?: Tx): Promise<IssuedRefreshToken> {
    const token = generateOpaqueToken(REFRESH_TOKEN_PREFIX);
    const expiresAt = new Date(Date.now() + this.config.refreshTokenTtlSeconds * 1000);
    await this.tokens.insert({ userId, familyId, tokenHash: hashToken(token), expiresAt }, tx);
    return { token, familyId, expiresAt };
  }

  /** Exchanges a refresh token for the next one of its family. Throws `token_invalid` / `token_expired`. */
  async rotate(token: string, log?: RequestLog): Promise<{ userId: string; refresh: IssuedRefreshToken }> {
    if (!looksLikeOpaqueToken(token, REFRESH_TOKEN_PREFIX)) throw new InvalidTokenError();
    const hash = hashToken(token);
    // The verdict leaves the transaction as data: a reuse must commit the family revocation.
    const verdict = await this.transactions.run(async (tx): Promise<Verdict> => {
      const row = await this.tokens.findByHashForUpdate(hash, tx);
      if (!row || !tokenHashesEqual(row.tokenHash, hash) || row.revokedAt) return { ok: false, error: 'invalid' };
      const now = new Date();
      if (row.usedAt) {
        await this.tokens.revokeFamily(row.familyId, now, tx);
        return { ok: false, error: 'reused' };
      }
      if (row.expiresAt <= now) return { ok: false, error: 'expired' };
      await this.tokens.markUsed(row.id, now, tx);
      return { ok: true, userId: row.userId, next: await this.issue(row.userId, row.familyId, tx) };
    });
    if (verdict.ok) return { userId: verdict.userId, refresh: verdict.next };
    if (verdict.error === 'expired') throw new ExpiredTokenError('The refresh token has expired; sign in again.');
    if (verdict.error === 'reused') {
      this.logger.in(log).warn('A rotated refresh token was presented again; its session family is revoked.');
      throw new InvalidTokenError('The refresh token was already used; this session has been ended, sign in again.');
    }
    throw new InvalidTokenError();
  }

  /** Logout: revokes the family of a presented token; unknown tokens are ignored (logout is idempotent). */
  async revokeFamilyOf(token: string): Promise<void> {
    if (!looksLikeOpaqueToken(token, REFRESH_TOKEN_PREFIX)) return;
    const hash = hashToken(token);
    const row = await this.tokens.findByHash(hash);
    if (row && tokenHashesEqual(row.tokenHash, hash)) await this.tokens.revokeFamily(row.familyId, new Date());
  }
}
