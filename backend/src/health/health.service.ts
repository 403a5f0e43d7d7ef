import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface Readiness {
  ready: boolean;
  database: 'ok' | 'unreachable';
  migrations: 'applied' | 'pending' | 'unknown';
}

/** Readiness = the database answers and every known migration has been applied. */
@Injectable()
export class HealthService {
  constructor(private readonly dataSource: DataSource) {}

  async readiness(timeoutMs = 2000): Promise<Readiness> {
    try {
      const rows = await withTimeout(
        this.dataSource.query<{ name: string }[]>(`SELECT name FROM migrations`),
        timeoutMs,
      );
      const applied = new Set(rows.map((r) => r.name));
      const pending = this.dataSource.migrations.some((m) => !applied.has(m.name ?? m.constructor.name));
      return { ready: !pending, database: 'ok', migrations: pending ? 'pending' : 'applied' };
    } catch (err) {
      const missingTable = (err as { code?: string }).code === '42P01';
      return missingTable
        ? { ready: false, database: 'ok', migrations: 'pending' }
        : { ready: false, database: 'unreachable', migrations: 'unknown' };
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
