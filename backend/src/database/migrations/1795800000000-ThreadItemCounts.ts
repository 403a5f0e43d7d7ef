import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A maintained count of each thread's visible items, so the owner transcript list no longer
 * counts every item of every thread on a page (one 500,000-item thread made a 20-row page read
 * 28,000 pages: ops/bench/paging). Statement-level triggers with transition tables keep it exact
 * for inserts, upserts, hidden-flag changes and deletes (cascades included) at one UPDATE per
 * statement, not per row.
 */
export class ThreadItemCounts1795800000000 implements MigrationInterface {
  name = 'ThreadItemCounts1795800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE chat_threads ADD COLUMN visible_item_count integer NOT NULL DEFAULT 0`);
    await queryRunner.query(`
      UPDATE chat_threads t
         SET visible_item_count = c.n
        FROM (SELECT thread_id, count(*)::int AS n FROM chat_items WHERE NOT hidden GROUP BY thread_id) c
       WHERE t.id = c.thread_id`);
    await queryRunner.query(`
      CREATE FUNCTION chat_items_visible_count() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
          UPDATE chat_threads t SET visible_item_count = t.visible_item_count - d.n
            FROM (SELECT thread_id, count(*)::int AS n FROM old_items WHERE NOT hidden GROUP BY thread_id) d
           WHERE t.id = d.thread_id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          UPDATE chat_threads t SET visible_item_count = t.visible_item_count + d.n
            FROM (SELECT thread_id, count(*)::int AS n FROM new_items WHERE NOT hidden GROUP BY thread_id) d
           WHERE t.id = d.thread_id;
        END IF;
        RETURN NULL;
      END $$`);
    // Transition tables allow one event per trigger.
    await queryRunner.query(`
      CREATE TRIGGER chat_items_count_insert AFTER INSERT ON chat_items
        REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION chat_items_visible_count()`);
    await queryRunner.query(`
      CREATE TRIGGER chat_items_count_update AFTER UPDATE ON chat_items
        REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION chat_items_visible_count()`);
    await queryRunner.query(`
      CREATE TRIGGER chat_items_count_delete AFTER DELETE ON chat_items
        REFERENCING OLD TABLE AS old_items FOR EACH STATEMENT EXECUTE FUNCTION chat_items_visible_count()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER chat_items_count_delete ON chat_items`);
    await queryRunner.query(`DROP TRIGGER chat_items_count_update ON chat_items`);
    await queryRunner.query(`DROP TRIGGER chat_items_count_insert ON chat_items`);
    await queryRunner.query(`DROP FUNCTION chat_items_visible_count()`);
    await queryRunner.query(`ALTER TABLE chat_threads DROP COLUMN visible_item_count`);
  }
}
