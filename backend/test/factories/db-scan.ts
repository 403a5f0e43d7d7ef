import type { DataSource } from 'typeorm';

/** Every place in the database where `needle` appears in a text, varchar, array or jsonb column. */
export async function findInDatabase(dataSource: DataSource, needle: string): Promise<string[]> {
  const columns = await dataSource.query<{ table_name: string; column_name: string }[]>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = current_schema()
        AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea')`,
  );
  const hits: string[] = [];
  for (const { table_name, column_name } of columns) {
    const rows = await dataSource.query<{ n: string }[]>(
      `SELECT count(*)::text AS n FROM "${table_name}" WHERE position($1 in "${column_name}"::text) > 0`,
      [needle],
    );
    if (rows[0].n !== '0') hits.push(`${table_name}.${column_name}`);
  }
  return hits;
}
