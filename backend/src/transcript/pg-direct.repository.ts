import type { DataSource } from 'typeorm';
import type { ResolvedDatabase } from '../database/resolved-database';

/** The part of `pg.Pool` used here. */
interface PgPool {
  query(config: { text: string; values?: unknown[]; name?: string }): Promise<{ rows: unknown[] }>;
}

/** Statement names by SQL text, for the whole process: a name must mean one text on every connection. */
const names = new Map<string, string>();

/**
 * The chat path's statements, straight on TypeORM's own `pg` pool: a TypeORM query runner per
 * statement (allocate, connect, release, result re-wrapping) costs more CPU than the statement.
 *
 * On PostgreSQL the hottest statements are also *named* (prepared once per connection): PostgreSQL
 * then skips parsing, analysis and — once it settles on a generic plan — planning on every later
 * execution, and the client sends Bind/Execute only. Measured in `bench:chatkit` (docs/performance.md).
 * Not on PGlite (embedded, or any pglite-socket server such as the test harness's): pglite-socket
 * multiplexes every pool connection onto one session, where one connection's prepared statement
 * would collide with another's. The server says what it is (`version()`), asked once; statements
 * run unnamed until the answer is in.
 */
export class PgDirect {
  private readonly pool: PgPool;
  /** Whether statements may be named: undefined until the server answered. */
  private prepare: boolean | undefined;
  private probing = false;

  constructor(dataSource: DataSource, db: Pick<ResolvedDatabase, 'embedded'>) {
    this.pool = (dataSource.driver as unknown as { master: PgPool }).master;
    if (db.embedded) this.prepare = false;
  }

  /** Runs `sql`; `named` statements are prepared per connection where that is safe (above). */
  async query<T>(sql: string, values: unknown[], named = false): Promise<T[]> {
    if (named && this.prepare === undefined) this.probe();
    if (!named || !this.prepare) return (await this.pool.query({ text: sql, values })).rows as T[];
    let name = names.get(sql);
    if (!name) {
      name = `parley_chat_${names.size + 1}`;
      names.set(sql, name);
    }
    return (await this.pool.query({ text: sql, values, name })).rows as T[];
  }

  private probe(): void {
    if (this.probing) return;
    this.probing = true;
    this.pool.query({ text: 'SELECT version() AS version' }).then(
      ({ rows }) => (this.prepare = !/PGlite/i.test(String((rows[0] as { version?: unknown } | undefined)?.version))),
      () => (this.prepare = false),
    );
  }
}
