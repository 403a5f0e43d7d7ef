import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * The `jti` denylist of owner access JWTs ended by logout. A row lives until the token would have
 * expired anyway; expired rows are purged whenever a new one is added, so the table holds at most
 * one access-token lifetime (15 min) of logouts.
 */
@Injectable()
export class RevokedAccessTokensRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Denies `jti` until `expiresAt`, and purges rows whose token expired. */
  async revoke(jti: string, expiresAt: Date): Promise<void> {
    await this.dataSource.query(
      `WITH purged AS (DELETE FROM revoked_access_tokens WHERE expires_at < now() - interval '1 minute')
       INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING`,
      [jti, expiresAt],
    );
  }

  async isRevoked(jti: string): Promise<boolean> {
    const rows = (await this.dataSource.query(`SELECT 1 FROM revoked_access_tokens WHERE jti = $1`, [jti])) as unknown[];
    return rows.length > 0;
  }
}
