import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { DataSource } from 'typeorm';
import type { DatabaseConfig } from './database.config';
import { EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';

/** Where the database lives: the configured PostgreSQL, or the embedded PGlite this process started. */
export class ResolvedDatabase implements OnApplicationShutdown {
  private static readonly logger = new Logger('Database');

  private constructor(
    readonly url: string,
    readonly embedded: EmbeddedPostgres | null,
    private readonly moduleRef: ModuleRef,
  ) {}

  static async resolve(config: DatabaseConfig, moduleRef: ModuleRef): Promise<ResolvedDatabase> {
    if (config.url) {
      ResolvedDatabase.logger.log(`Using PostgreSQL at ${redactUrl(config.url)}`);
      return new ResolvedDatabase(config.url, null, moduleRef);
    }
    const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, maxConnections: config.poolSize });
    ResolvedDatabase.logger.log(`Embedded PostgreSQL (PGlite) with data in ${config.dataDir ?? 'memory (not kept)'}`);
    return new ResolvedDatabase(embedded.url, embedded, moduleRef);
  }

  get kind(): 'postgres' | 'embedded' {
    return this.embedded ? 'embedded' : 'postgres';
  }

  /** Closes the pool before stopping the embedded server, whatever order Nest calls hooks in. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.embedded) return;
    const dataSource = this.moduleRef.get(DataSource, { strict: false });
    if (dataSource?.isInitialized) await dataSource.destroy();
    await this.embedded.stop();
  }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
