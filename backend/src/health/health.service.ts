import { Injectable } from '@nestjs/common';
import { MigrationStatus } from '../database/migration-status';
import { GracefulShutdown } from '../operations/graceful-shutdown';

export interface Readiness {
  ready: boolean;
  database: 'ok' | 'unreachable';
  migrations: 'applied' | 'pending' | 'unknown';
  /** `draining` once SIGTERM arrived: the load balancer must stop sending requests here. */
  lifecycle: 'running' | 'draining';
}

/** Readiness = not shutting down, the database answers and every known migration has been applied. */
@Injectable()
export class HealthService {
  constructor(
    private readonly migrations: MigrationStatus,
    private readonly shutdown: GracefulShutdown,
  ) {}

  async readiness(timeoutMs = 2000): Promise<Readiness> {
    const r = await this.database(timeoutMs);
    if (!this.shutdown.draining) return r;
    return { ...r, ready: false, lifecycle: 'draining' };
  }

  private async database(timeoutMs: number): Promise<Readiness> {
    const lifecycle = 'running';
    try {
      const migrations = await withTimeout(this.migrations.check(), timeoutMs);
      return { ready: migrations === 'applied', database: 'ok', migrations, lifecycle };
    } catch {
      return { ready: false, database: 'unreachable', migrations: 'unknown', lifecycle };
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
