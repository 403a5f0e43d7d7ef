// SQL of the analytics rollup triggers (issue 19), shared by the migrations that define and redefine them.
// Not a migration itself: migrations are loaded from migrations/ by file name, and every exported function there would be
// taken for one.

/** Start of the UTC hour of a timestamptz expression (independent of the session time zone). */
export const hour = (ts: string) => `date_bin('1 hour', ${ts}, timestamptz '2000-01-01 00:00:00+00')`;

/**
 * The rollup facts of one item row `i` of a thread whose channel is `channel`: a user message
 * counts in `user_messages` (by channel), an assistant message in `answers`, a recorded time to
 * first token in its `ttft` histogram bucket. Hidden items count nowhere.
 */
export const itemFacts = (i: string, channel: string) => `
  CROSS JOIN LATERAL (
    SELECT 'user_messages'::text AS metric, ${channel} AS key WHERE ${i}.type = 'user_message' AND NOT ${i}.hidden
    UNION ALL SELECT 'answers', '' WHERE ${i}.type = 'assistant_message' AND NOT ${i}.hidden
    UNION ALL SELECT 'ttft', chat_ttft_bucket(${i}.ttft_ms)::text WHERE ${i}.ttft_ms IS NOT NULL AND NOT ${i}.hidden
  ) f`;

/** Adds signed deltas to the rollup; rows in key order so concurrent statements lock alike (no deadlocks). */
export const UPSERT_ROLLUP = `INSERT INTO chat_rollup AS r (workflow_id, hour, metric, key, n)`;
export const ON_CONFLICT_ROLLUP = `ON CONFLICT (workflow_id, hour, metric, key) DO UPDATE SET n = r.n + excluded.n`;
export const UPSERT_PEOPLE = `INSERT INTO chat_rollup_people AS p (workflow_id, hour, principal_kind, person, n)`;
export const ON_CONFLICT_PEOPLE = `ON CONFLICT (workflow_id, hour, principal_kind, person) DO UPDATE SET n = p.n + excluded.n`;

/** A person as a 64-bit hash (the rollup never holds a principal id; small keys count distinct fast). */
export const person = (t: string) => `('x' || left(md5(${t}.principal_kind || ':' || ${t}.principal_id), 16))::bit(64)::bigint`;

/** The item-rollup statements over `src` (rows of chat_items with a `sign` column). */
export const itemRollup = (src: string) => `
    ${UPSERT_ROLLUP}
    SELECT t.workflow_id, ${hour('d.created_at')}, f.metric, f.key, sum(d.sign)
      FROM (${src}) d JOIN chat_threads t ON t.id = d.thread_id ${itemFacts('d', 't.channel')}
     GROUP BY 1, 2, 3, 4 HAVING sum(d.sign) <> 0 ORDER BY 1, 2, 3, 4
    ${ON_CONFLICT_ROLLUP};
    ${UPSERT_PEOPLE}
    SELECT t.workflow_id, ${hour('d.created_at')}, t.principal_kind, ${person('t')}, sum(d.sign)
      FROM (${src}) d JOIN chat_threads t ON t.id = d.thread_id
     WHERE d.type = 'user_message' AND NOT d.hidden
     GROUP BY 1, 2, 3, 4 HAVING sum(d.sign) <> 0 ORDER BY 1, 2, 3, 4
    ${ON_CONFLICT_PEOPLE};`;

/** `chatItemsRollupV1` as migration WorkflowAnalytics1796400000000 defines it (later migrations' `down` restores it). */
export const chatItemsRollupV1 = `
      CREATE FUNCTION chat_items_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          ${itemRollup(`SELECT thread_id, type, hidden, ttft_ms, created_at, 1 AS sign FROM new_items`)}
        ELSIF TG_OP = 'DELETE' THEN
          ${itemRollup(`SELECT thread_id, type, hidden, ttft_ms, created_at, -1 AS sign FROM old_items`)}
        ELSE
          ${itemRollup(
            `SELECT thread_id, type, hidden, ttft_ms, created_at, 1 AS sign FROM new_items
             UNION ALL SELECT thread_id, type, hidden, ttft_ms, created_at, -1 FROM old_items`,
          )}
        END IF;
        RETURN NULL;
      END $$`;

/** `chatThreadsRollupDeleteV1` as migration WorkflowAnalytics1796400000000 defines it (later migrations' `down` restores it). */
export const chatThreadsRollupDeleteV1 = `
      CREATE FUNCTION chat_threads_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- The workflow itself is going: its rollup rows go with it (workflows_rollup_delete).
        IF NOT EXISTS (SELECT 1 FROM workflows w WHERE w.id = OLD.workflow_id) THEN
          RETURN OLD;
        END IF;
        ${UPSERT_ROLLUP}
        SELECT OLD.workflow_id, h, metric, key, sum(n) FROM (
          SELECT ${hour('OLD.created_at')} AS h, 'conversations'::text AS metric, OLD.channel AS key, -1::bigint AS n
          UNION ALL
          SELECT ${hour('i.created_at')}, f.metric, f.key, -1 FROM chat_items i ${itemFacts('i', 'OLD.channel')} WHERE i.thread_id = OLD.id
        ) d GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ${ON_CONFLICT_ROLLUP};
        ${UPSERT_PEOPLE}
        SELECT OLD.workflow_id, ${hour('i.created_at')}, OLD.principal_kind, ${person('OLD')}, -count(*)
          FROM chat_items i WHERE i.thread_id = OLD.id AND i.type = 'user_message' AND NOT i.hidden
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ${ON_CONFLICT_PEOPLE};
        -- Its items are no longer counted: the cascade's item trigger finds no thread and adds nothing.
        RETURN OLD;
      END $$`;

/** `workflowsRollupDeleteV1` as migration WorkflowAnalytics1796400000000 defines it (later migrations' `down` restores it). */
export const workflowsRollupDeleteV1 = `
      CREATE FUNCTION workflows_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM chat_rollup r USING old_workflows w WHERE r.workflow_id = w.id;
        DELETE FROM chat_rollup_people p USING old_workflows w WHERE p.workflow_id = w.id;
        RETURN NULL;
      END $$`;
