import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Whether the schema is what this build expects: every migration it knows has been applied. */
@Injectable()
export class MigrationStatus {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * `pending` when a migration of this build is not applied (or the migrations table does not exist yet); rejects
   * when the database does not answer.
   */
  async check(): Promise<'applied' | 'pending'> {
    let rows: { name: string }[];
    try {
      rows = await this.dataSource.query<{ name: string }[]>(`SELECT name FROM migrations`);
    } catch (err) {
      if ((err as { code?: string }).code === '42P01') return 'pending'; // undefined_table
      throw err;
    }
    const applied = new Set(rows.map((r) => r.name));
    return this.dataSource.migrations.some((m) => !applied.has(m.name ?? m.constructor.name)) ? 'pending' : 'applied';
  }
}
