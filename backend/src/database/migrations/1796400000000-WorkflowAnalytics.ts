import { MigrationInterface, QueryRunner } from 'typeorm';
import {
  chatItemsRollupV1,
  chatThreadsRollupDeleteV1,
  hour,
  itemFacts,
  ON_CONFLICT_PEOPLE,
  ON_CONFLICT_ROLLUP,
  person,
  UPSERT_PEOPLE,
  UPSERT_ROLLUP,
  workflowsRollupDeleteV1,
} from '../analytics-rollup-sql';

/**
 * Owner analytics (issue 19): what the chat path records, and an hourly rollup the analytics API
 * reads, so a 30-day view costs the same at 10k and at 1M items.
 *
 * Recorded on the chat path, folded into statements it already runs:
 * - `chat_threads.channel` — how the conversation came in (canvas, page, embed, host, api), set
 *   by the thread's INSERT;
 * - `chat_items.ttft_ms` — time to first token of an answer, set by the answer's INSERT;
 * - `chat_answer_errors` — one row per answer that ended in an `error` event (error path only).
 *
 * The rollup (`chat_rollup`: signed counters per workflow, UTC hour, metric and key;
 * `chat_rollup_people`: per-hour message counts of pseudonymous people) is maintained by
 * triggers, so it always equals an aggregate of the live transcript tables: inserts add, deletes
 * (retry, item removal, thread deletion, retention, cascades) subtract, in the same transaction.
 * Statement-level triggers with transition tables cost one upsert per statement; counters are
 * `n = n + delta` upserts in key order, correct under concurrent writers. A thread's own delete
 * subtracts its items in a BEFORE ROW trigger (once the cascade runs, the thread row is gone and
 * the item trigger can no longer see its workflow). The rollup has no foreign key (a workflow's
 * cascades would race it): the delete triggers skip rows of a workflow that is being deleted, and
 * a statement trigger on `workflows` removes that workflow's rollup rows.
 */
export class WorkflowAnalytics1796400000000 implements MigrationInterface {
  name = 'WorkflowAnalytics1796400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE chat_threads ADD COLUMN channel text NOT NULL DEFAULT 'unknown' CHECK (char_length(channel) BETWEEN 1 AND 32)`);
    await q.query(`UPDATE chat_threads SET channel = 'canvas' WHERE principal_kind = 'user'`);
    await q.query(`ALTER TABLE chat_items ADD COLUMN ttft_ms integer CHECK (ttft_ms >= 0)`);
    await q.query(`
      CREATE TABLE chat_answer_errors (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        thread_id text NOT NULL REFERENCES chat_threads(id) ON DELETE CASCADE,
        workflow_id uuid NOT NULL,
        code text NOT NULL CHECK (char_length(code) BETWEEN 1 AND 64),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX chat_answer_errors_thread_idx ON chat_answer_errors (thread_id)`);

    await q.query(`
      CREATE TABLE chat_rollup (
        workflow_id uuid NOT NULL,
        hour timestamptz NOT NULL,
        metric text NOT NULL,
        key text NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (workflow_id, hour, metric, key)
      )`);
    await q.query(`
      CREATE TABLE chat_rollup_people (
        workflow_id uuid NOT NULL,
        hour timestamptz NOT NULL,
        principal_kind text NOT NULL,
        person bigint NOT NULL,
        n integer NOT NULL,
        PRIMARY KEY (workflow_id, hour, principal_kind, person)
      )`);

    // Log-scale TTFT histogram: bucket b holds (1.1^(b-1), 1.1^b] ms, i.e. 10 % wide.
    await q.query(`
      CREATE FUNCTION chat_ttft_bucket(ms integer) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN ms <= 1 THEN 0 ELSE least(250, ceil(ln(ms::float8) / ln(1.1::float8)))::integer END
      $$`);

    await q.query(chatItemsRollupV1);
    await q.query(`
      CREATE TRIGGER chat_items_rollup_insert AFTER INSERT ON chat_items
        REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION chat_items_rollup()`);
    await q.query(`
      CREATE TRIGGER chat_items_rollup_update AFTER UPDATE ON chat_items
        REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION chat_items_rollup()`);
    await q.query(`
      CREATE TRIGGER chat_items_rollup_delete AFTER DELETE ON chat_items
        REFERENCING OLD TABLE AS old_items FOR EACH STATEMENT EXECUTE FUNCTION chat_items_rollup()`);

    await q.query(`
      CREATE FUNCTION chat_threads_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        ${UPSERT_ROLLUP}
        SELECT workflow_id, ${hour('created_at')}, 'conversations', channel, count(*)
          FROM new_threads GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ${ON_CONFLICT_ROLLUP};
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER chat_threads_rollup_insert AFTER INSERT ON chat_threads
        REFERENCING NEW TABLE AS new_threads FOR EACH STATEMENT EXECUTE FUNCTION chat_threads_rollup_insert()`);
    // The thread's whole contribution leaves with it (its items are still there before the row goes).
    await q.query(chatThreadsRollupDeleteV1);
    await q.query(`
      CREATE TRIGGER chat_threads_rollup_delete BEFORE DELETE ON chat_threads
        FOR EACH ROW EXECUTE FUNCTION chat_threads_rollup_delete()`);

    // Feedback and answer errors carry their workflow and time themselves.
    for (const [table, metric, key] of [
      ['chat_feedback', 'feedback', 'kind'],
      ['chat_answer_errors', 'errors', 'code'],
    ] as const) {
      await q.query(`
        CREATE FUNCTION ${table}_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            ${UPSERT_ROLLUP}
            SELECT workflow_id, ${hour('created_at')}, '${metric}', ${key}, count(*) FROM new_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
            ${ON_CONFLICT_ROLLUP};
          ELSE
            ${UPSERT_ROLLUP}
            SELECT workflow_id, ${hour('created_at')}, '${metric}', ${key}, -count(*) FROM old_rows o
             WHERE EXISTS (SELECT 1 FROM workflows w WHERE w.id = o.workflow_id)
             GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
            ${ON_CONFLICT_ROLLUP};
          END IF;
          RETURN NULL;
        END $$`);
      await q.query(`
        CREATE TRIGGER ${table}_rollup_insert AFTER INSERT ON ${table}
          REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${table}_rollup()`);
      await q.query(`
        CREATE TRIGGER ${table}_rollup_delete AFTER DELETE ON ${table}
          REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${table}_rollup()`);
    }

    // A deleted workflow's rollup rows go after its cascades have run (they may have written deltas).
    await q.query(workflowsRollupDeleteV1);
    await q.query(`
      CREATE TRIGGER workflows_rollup_delete AFTER DELETE ON workflows
        REFERENCING OLD TABLE AS old_workflows FOR EACH STATEMENT EXECUTE FUNCTION workflows_rollup_delete()`);

    // What exists today, counted once.
    await q.query(`
      ${UPSERT_ROLLUP}
      SELECT workflow_id, ${hour('created_at')}, 'conversations', channel, count(*) FROM chat_threads GROUP BY 1, 2, 3, 4
      ${ON_CONFLICT_ROLLUP}`);
    await q.query(`
      ${UPSERT_ROLLUP}
      SELECT t.workflow_id, ${hour('i.created_at')}, f.metric, f.key, count(*)
        FROM chat_items i JOIN chat_threads t ON t.id = i.thread_id ${itemFacts('i', 't.channel')} GROUP BY 1, 2, 3, 4
      ${ON_CONFLICT_ROLLUP}`);
    await q.query(`
      ${UPSERT_PEOPLE}
      SELECT t.workflow_id, ${hour('i.created_at')}, t.principal_kind, ${person('t')}, count(*)
        FROM chat_items i JOIN chat_threads t ON t.id = i.thread_id
       WHERE i.type = 'user_message' AND NOT i.hidden GROUP BY 1, 2, 3, 4
      ${ON_CONFLICT_PEOPLE}`);
    await q.query(`
      ${UPSERT_ROLLUP}
      SELECT workflow_id, ${hour('created_at')}, 'feedback', kind, count(*) FROM chat_feedback GROUP BY 1, 2, 3, 4
      ${ON_CONFLICT_ROLLUP}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER workflows_rollup_delete ON workflows`);
    await q.query(`DROP FUNCTION workflows_rollup_delete()`);
    for (const table of ['chat_feedback', 'chat_answer_errors']) {
      await q.query(`DROP TRIGGER ${table}_rollup_delete ON ${table}`);
      await q.query(`DROP TRIGGER ${table}_rollup_insert ON ${table}`);
      await q.query(`DROP FUNCTION ${table}_rollup()`);
    }
    await q.query(`DROP TRIGGER chat_threads_rollup_delete ON chat_threads`);
    await q.query(`DROP FUNCTION chat_threads_rollup_delete()`);
    await q.query(`DROP TRIGGER chat_threads_rollup_insert ON chat_threads`);
    await q.query(`DROP FUNCTION chat_threads_rollup_insert()`);
    await q.query(`DROP TRIGGER chat_items_rollup_delete ON chat_items`);
    await q.query(`DROP TRIGGER chat_items_rollup_update ON chat_items`);
    await q.query(`DROP TRIGGER chat_items_rollup_insert ON chat_items`);
    await q.query(`DROP FUNCTION chat_items_rollup()`);
    await q.query(`DROP FUNCTION chat_ttft_bucket(integer)`);
    await q.query(`DROP TABLE chat_rollup_people`);
    await q.query(`DROP TABLE chat_rollup`);
    await q.query(`DROP TABLE chat_answer_errors`);
    await q.query(`ALTER TABLE chat_items DROP COLUMN ttft_ms`);
    await q.query(`ALTER TABLE chat_threads DROP COLUMN channel`);
  }
}
