import { Injectable } from '@nestjs/common';
import { DataSource, LessThan } from 'typeorm';
import { OAuthSessionEntity } from './entities/oauth-session.entity';

/** Named queries on `oauth_sessions`. */
@Injectable()
export class OAuthSessionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(OAuthSessionEntity);
  }

  insert(row: Omit<OAuthSessionEntity, 'id' | 'createdAt'>): Promise<OAuthSessionEntity> {
    return this.repo.save(this.repo.create(row));
  }

  findByHash(tokenHash: Buffer): Promise<OAuthSessionEntity | null> {
    return this.repo.findOneBy({ tokenHash });
  }

  async deleteByHash(tokenHash: Buffer): Promise<void> {
    await this.repo.delete({ tokenHash });
  }

  /** Drops rows that expired before `before`; returns how many. */
  async deleteExpired(before: Date): Promise<number> {
    return (await this.repo.delete({ expiresAt: LessThan(before) })).affected ?? 0;
  }
}
