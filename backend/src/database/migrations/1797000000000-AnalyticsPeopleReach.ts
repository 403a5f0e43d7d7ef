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

/** Longest bucket, in hours (a week): `fresh` holds one counter per hour of it. */
const SPAN = 168;

/**
 * The person-hour transitions of a people upsert: `ps` is a CTE of (workflow_id, hour,
 * principal_kind, person, delta) rows, unique by key; the upsert runs in key order; the rows
 * whose person became active (0 → n) or inactive (n → 0) in that hour are selected INTO the
 * arrays `cw, ch, ck, cp, ca` (ca = became active), and handed to chat_people_reach.
 */
const peopleUpsert = `
  pu AS (
    ${UPSERT_PEOPLE}
    SELECT workflow_id, hour, principal_kind, person, delta FROM ps ORDER BY 1, 2, 3, 4
    ${ON_CONFLICT_PEOPLE}
    RETURNING p.workflow_id, p.hour, p.principal_kind, p.person, p.n
  )
  SELECT array_agg(pu.workflow_id), array_agg(pu.hour), array_agg(pu.principal_kind), array_agg(pu.person), array_agg(pu.n > 0)
    INTO cw, ch, ck, cp, ca
    FROM pu JOIN ps USING (workflow_id, hour, principal_kind, person)
   WHERE (pu.n > 0) <> (pu.n - ps.delta > 0);
  IF cw IS NOT NULL THEN
    PERFORM chat_people_reach(cw, ch, ck, cp, ca);
  END IF;`;

const DECLARE_CHANGES = `DECLARE cw uuid[]; ch timestamptz[]; ck text[]; cp bigint[]; ca boolean[];`;

/**
 * The item rollup over `src` (chat_items rows with a `sign`): the counters' upsert as before, then
 * the people's upsert, which hands the hours that turned active or inactive to chat_people_reach.
 */
const itemRollup = (src: string) => `
    ${UPSERT_ROLLUP}
    SELECT t.workflow_id, ${hour('d.created_at')}, f.metric, f.key, sum(d.sign)
      FROM (${src}) d JOIN chat_threads t ON t.id = d.thread_id ${itemFacts('d', 't.channel')}
     GROUP BY 1, 2, 3, 4 HAVING sum(d.sign) <> 0 ORDER BY 1, 2, 3, 4
    ${ON_CONFLICT_ROLLUP};
    WITH ps AS (
      SELECT t.workflow_id, ${hour('d.created_at')} AS hour, t.principal_kind, ${person('t')} AS person, sum(d.sign)::integer AS delta
        FROM (${src}) d JOIN chat_threads t ON t.id = d.thread_id
       WHERE d.type = 'user_message' AND NOT d.hidden
       GROUP BY 1, 2, 3, 4 HAVING sum(d.sign) <> 0
    ), ${peopleUpsert}`;

/**
 * The rollup of an INSERT: counters as before; then people, by the number of visible user
 * messages inserted — none (answers, tool calls, hidden context: nothing more), one (the chat
 * path: its person-hour row, which turned active when its count is now 1), or several (bulk).
 */
const insertRollup = `
    ${UPSERT_ROLLUP}
    SELECT t.workflow_id, ${hour('d.created_at')}, f.metric, f.key, count(*)
      FROM new_items d JOIN chat_threads t ON t.id = d.thread_id ${itemFacts('d', 't.channel')}
     GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ${ON_CONFLICT_ROLLUP};
    SELECT count(*) INTO v_users FROM new_items d WHERE d.type = 'user_message' AND NOT d.hidden;
    IF v_users = 0 THEN
      RETURN NULL;
    ELSIF v_users = 1 THEN
      ${UPSERT_PEOPLE}
      SELECT t.workflow_id, ${hour('d.created_at')}, t.principal_kind, ${person('t')}, 1
        FROM new_items d JOIN chat_threads t ON t.id = d.thread_id
       WHERE d.type = 'user_message' AND NOT d.hidden
      ${ON_CONFLICT_PEOPLE}
      RETURNING p.workflow_id, p.hour, p.principal_kind, p.person, p.n INTO v_w, v_h, v_k, v_p, v_n;
      IF v_n = 1 THEN
        PERFORM chat_people_reach(ARRAY[v_w], ARRAY[v_h], ARRAY[v_k], ARRAY[v_p], ARRAY[true]);
      END IF;
      RETURN NULL;
    END IF;
    WITH ps AS (
      SELECT t.workflow_id, ${hour('d.created_at')} AS hour, t.principal_kind, ${person('t')} AS person, count(*)::integer AS delta
        FROM new_items d JOIN chat_threads t ON t.id = d.thread_id
       WHERE d.type = 'user_message' AND NOT d.hidden
       GROUP BY 1, 2, 3, 4
    ), ${peopleUpsert}`;

const chatItemsRollupV2 = `
  CREATE OR REPLACE FUNCTION chat_items_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
  ${DECLARE_CHANGES}
    v_users bigint; v_w uuid; v_h timestamptz; v_k text; v_p bigint; v_n integer;
  BEGIN
    IF TG_OP = 'INSERT' THEN
      ${insertRollup}
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

const chatThreadsRollupDeleteV2 = `
  CREATE OR REPLACE FUNCTION chat_threads_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
  ${DECLARE_CHANGES}
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
    WITH ps AS (
      SELECT OLD.workflow_id AS workflow_id, ${hour('i.created_at')} AS hour, OLD.principal_kind AS principal_kind, ${person('OLD')} AS person, -count(*)::integer AS delta
        FROM chat_items i WHERE i.thread_id = OLD.id AND i.type = 'user_message' AND NOT i.hidden
       GROUP BY 1, 2, 3, 4
    ), ${peopleUpsert}
    -- Its items are no longer counted: the cascade's item trigger finds no thread and adds nothing.
    RETURN OLD;
  END $$`;

const workflowsRollupDeleteV2 = `
  CREATE OR REPLACE FUNCTION workflows_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    DELETE FROM chat_rollup r USING old_workflows w WHERE r.workflow_id = w.id;
    DELETE FROM chat_rollup_people p USING old_workflows w WHERE p.workflow_id = w.id;
    DELETE FROM chat_rollup_reach p USING old_workflows w WHERE p.workflow_id = w.id;
    RETURN NULL;
  END $$`;

/** Gap in hours between an active hour and the person's previous active hour (NULL: none before). */
const gap = (h: string, prev: string) => `(extract(epoch FROM ${h} - ${prev}) / 3600)::integer`;

/**
 * The counter rows a set of terms adds: `terms` selects (w, hour, k, gap, sgn, last) rows — `gap`
 * (hours since the person's previous active hour, NULL for none) with sign `sgn` counts the person
 * in `far_n` (gap NULL or ≥ SPAN) or in `near[1..gap]`; `last` (±1, 0) moves `last_n`. One
 * upsert, in key order.
 */
const applyTerms = (terms: string) => `
    INSERT INTO chat_rollup_reach AS r (workflow_id, hour, principal_kind, far_n, near, last_n)
    SELECT w, hour, k, far_n, near, last_n FROM (
      SELECT w, hour, k,
             sum(CASE WHEN gap IS NULL OR gap >= ${SPAN} THEN sgn ELSE 0 END)::integer AS far_n,
             chat_int4_sum(CASE WHEN gap < ${SPAN} THEN chat_reach_ones(gap, sgn) END) AS near,
             sum(last)::integer AS last_n
        FROM (${terms}) t GROUP BY 1, 2, 3
    ) d
     WHERE far_n <> 0 OR last_n <> 0 OR near <> array_fill(0, ARRAY[${SPAN}])
     ORDER BY 1, 2, 3
    ON CONFLICT (workflow_id, hour, principal_kind) DO UPDATE
       SET far_n = r.far_n + excluded.far_n, last_n = r.last_n + excluded.last_n,
           near = CASE WHEN excluded.near IS NULL THEN r.near WHEN r.near IS NULL THEN excluded.near ELSE chat_int4_add(r.near, excluded.near) END`;

/**
 * Distinct people per bucket as counters (issue 19's 1M-item target), exact for any bucket of
 * one hour, one day or one week starting at any whole hour, and for a range's total.
 *
 * `chat_rollup_reach (workflow_id, hour, principal_kind, far_n, near int[168], last_n)`, per
 * workflow, UTC hour and kind of person. fresh(j) = `far_n + near[j + 1]` = people active in that
 * hour who were not active in the j hours before it (j = 0…167; fresh(0) = people active in the
 * hour): `far_n` counts those whose previous active hour is a week or more before (or who were
 * never active before), `near[i]` those whose previous active hour is more than i − 1 and less than
 * 168 hours before (NULL: nobody). A bucket starting at `b` counts a person once, in the first of
 * its hours in which they were active, so its distinct people are Σ over its hours h of
 * fresh(h − b): one row per hour and kind, whatever the number of messages or people.
 * `last_n` = people whose latest active hour (in this workflow) is this hour: people active in
 * [from, to) when nobody is active at or after `to` (the usual "last N days" view) =
 * Σ over hours ≥ from of `last_n`.
 *
 * Maintained from `chat_rollup_people` (unchanged: per person and hour, how many messages) where
 * a person's hour becomes active (0 → n) or inactive (n → 0): `chat_people_reach` finds the
 * person's active hours around the change by index, takes the old terms (counter contributions)
 * of the changed hours and of the next active hour away and adds the new ones. Only a person's
 * first message of an hour (or the deletion of their last one) pays it: a first-time person adds
 * 1 to `far_n` and `last_n` of the hour; a returning one also moves `last_n` from their previous
 * hour (and fills `near` when they were there less than a week ago). One person's changes are
 * serialized with a transaction-level advisory lock (namespace 19), taken in key order.
 */
export class AnalyticsPeopleReach1797000000000 implements MigrationInterface {
  name = 'AnalyticsPeopleReach1797000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE chat_rollup_reach (
        workflow_id uuid NOT NULL,
        hour timestamptz NOT NULL,
        principal_kind text NOT NULL,
        far_n integer NOT NULL,
        near integer[] CHECK (cardinality(near) = ${SPAN}),
        last_n integer NOT NULL,
        PRIMARY KEY (workflow_id, hour, principal_kind)
      )`);
    // A person's previous and next active hours, by index.
    await q.query(`CREATE INDEX chat_rollup_people_person_idx ON chat_rollup_people (workflow_id, principal_kind, person, hour)`);
    await q.query(`
      CREATE FUNCTION chat_int4_add(a integer[], b integer[]) RETURNS integer[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT ARRAY(SELECT x + y FROM unnest(a, b) AS u(x, y))
      $$`);
    await q.query(`CREATE AGGREGATE chat_int4_sum(integer[]) (SFUNC = chat_int4_add, STYPE = integer[])`);
    // sign in each of the first `n` of SPAN places, 0 after.
    await q.query(`
      CREATE FUNCTION chat_reach_ones(n integer, sign integer) RETURNS integer[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT array_fill(sign, ARRAY[n]) || array_fill(0, ARRAY[${SPAN} - n])
      $$`);
    await q.query(`
      CREATE FUNCTION chat_people_reach(ws uuid[], hs timestamptz[], ks text[], ps bigint[], acts boolean[]) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        v_hour timestamptz; v_prev timestamptz; v_next timestamptz; v_sign integer; v_gap integer;
      BEGIN
        IF cardinality(ws) = 1 THEN
          -- One hour of one person (a live message, a deleted item). One person's hours change in one
          -- transaction at a time; statements after the lock see what others committed before it.
          PERFORM pg_advisory_xact_lock(19, hashtext(ws[1]::text || ':' || ks[1] || ':' || ps[1]::text));
          v_hour := hs[1];
          v_sign := CASE WHEN acts[1] THEN 1 ELSE -1 END;
          -- Its neighbours, by index.
          SELECT (SELECT max(x.hour) FROM chat_rollup_people x
                   WHERE x.workflow_id = ws[1] AND x.principal_kind = ks[1] AND x.person = ps[1] AND x.hour < v_hour AND x.n > 0),
                 (SELECT min(x.hour) FROM chat_rollup_people x
                   WHERE x.workflow_id = ws[1] AND x.principal_kind = ks[1] AND x.person = ps[1] AND x.hour > v_hour AND x.n > 0)
            INTO v_prev, v_next;
          IF v_next IS NULL THEN
            -- The person's latest hour (every live message): their last hour moves between the previous
            -- one and this one; they count at this hour in far_n or near[1..gap] (the array added to in place: no function call).
            -- Rows in key (hour) order.
            v_gap := ${gap('v_hour', 'v_prev')};
            INSERT INTO chat_rollup_reach AS r (workflow_id, hour, principal_kind, far_n, near, last_n)
            SELECT ws[1], v_prev, ks[1], 0, NULL, -v_sign WHERE v_prev IS NOT NULL
            UNION ALL
            SELECT ws[1], v_hour, ks[1], CASE WHEN v_gap < ${SPAN} THEN 0 ELSE v_sign END, CASE WHEN v_gap < ${SPAN} THEN chat_reach_ones(v_gap, v_sign) END, v_sign
            ON CONFLICT (workflow_id, hour, principal_kind) DO UPDATE
               SET far_n = r.far_n + excluded.far_n, last_n = r.last_n + excluded.last_n,
                   near = CASE WHEN excluded.near IS NULL THEN r.near WHEN r.near IS NULL THEN excluded.near ELSE ARRAY(SELECT x + v_sign FROM unnest(r.near[1:v_gap]) AS x) || r.near[v_gap + 1:] END;
            RETURN;
          END IF;
          -- An hour before the person's latest one (a deleted older item, a back-dated write): the next
          -- active hour's previous hour changes too.
          ${applyTerms(`
            SELECT ws[1] AS w, v_hour AS hour, ks[1] AS k, ${gap('v_hour', 'v_prev')} AS gap, v_sign AS sgn, 0 AS last
            UNION ALL SELECT ws[1], v_next, ks[1], ${gap('v_next', 'v_hour')}, v_sign, 0
            UNION ALL SELECT ws[1], v_next, ks[1], ${gap('v_next', 'v_prev')}, -v_sign, 0`)};
          RETURN;
        END IF;
        -- Several hours or people (a thread's deletion, bulk writes): per person, the old and the new
        -- active hours from the last one before the changes to the first one after them, in one statement.
        -- Person locks in key order: no deadlock among such statements.
        PERFORM pg_advisory_xact_lock(19, key)
           FROM (SELECT DISTINCT hashtext(w::text || ':' || k || ':' || p::text) AS key FROM unnest(ws, ks, ps) AS u(w, k, p)) locks
          ORDER BY key;
        ${applyTerms(`
          WITH c AS (SELECT * FROM unnest(ws, hs, ks, ps, acts) AS c(w, h, k, p, act)),
          per AS (SELECT w, k, p, min(h) AS lo, max(h) AS hi FROM c GROUP BY 1, 2, 3),
          win AS (
            SELECT per.w, per.k, per.p, per.lo, r.hour
              FROM per
              CROSS JOIN LATERAL (
                SELECT max(x.hour) AS prev FROM chat_rollup_people x
                 WHERE x.workflow_id = per.w AND x.principal_kind = per.k AND x.person = per.p AND x.hour < per.lo AND x.n > 0
              ) pv
              CROSS JOIN LATERAL (
                SELECT min(x.hour) AS next FROM chat_rollup_people x
                 WHERE x.workflow_id = per.w AND x.principal_kind = per.k AND x.person = per.p AND x.hour > per.hi AND x.n > 0
              ) nx
              JOIN chat_rollup_people r
                ON r.workflow_id = per.w AND r.principal_kind = per.k AND r.person = per.p AND r.n > 0
               AND r.hour >= coalesce(pv.prev, per.lo) AND r.hour <= coalesce(nx.next, per.hi)
          ),
          -- New set (+1) and old set (-1: without the hours that became active, with those that became inactive).
          sets AS (
            SELECT w, k, p, lo, hour, 1 AS sgn FROM win
            UNION ALL
            SELECT win.w, win.k, win.p, win.lo, win.hour, -1 FROM win
             WHERE NOT EXISTS (SELECT 1 FROM c WHERE c.act AND c.w = win.w AND c.k = win.k AND c.p = win.p AND c.h = win.hour)
            UNION ALL
            SELECT c.w, c.k, c.p, per.lo, c.h, -1 FROM c JOIN per USING (w, k, p) WHERE NOT c.act
          ),
          terms AS (
            SELECT w, k, lo, hour, sgn,
                   lag(hour) OVER (PARTITION BY w, k, p, sgn ORDER BY hour) AS prev,
                   lead(hour) OVER (PARTITION BY w, k, p, sgn ORDER BY hour) IS NULL AS last
              FROM sets
          )
          -- The hour before the changes keeps its own term (its previous hour did not change); the last hour moves.
          SELECT w, hour, k, ${gap('hour', 'prev')} AS gap, sgn, 0 AS last FROM terms WHERE hour >= lo
          UNION ALL
          SELECT w, hour, k, NULL, 0, sgn FROM terms WHERE last`)};
      END $$`);
    await q.query(chatItemsRollupV2);
    await q.query(chatThreadsRollupDeleteV2);
    await q.query(workflowsRollupDeleteV2);

    // What exists today: each person's active hours in order, the gap to the previous one, the last one.
    await q.query(`
      WITH a AS (
        SELECT workflow_id AS w, hour, principal_kind AS k, lag(hour) OVER p AS prev, lead(hour) OVER p IS NULL AS last
          FROM chat_rollup_people WHERE n > 0
        WINDOW p AS (PARTITION BY workflow_id, principal_kind, person ORDER BY hour)
      )
      ${applyTerms(`
        SELECT w, hour, k, ${gap('hour', 'prev')} AS gap, 1 AS sgn, 0 AS last FROM a
        UNION ALL SELECT w, hour, k, NULL, 0, 1 FROM a WHERE last`)}`);
  }

  async down(q: QueryRunner): Promise<void> {
    const replace = (sql: string) => sql.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION');
    await q.query(replace(workflowsRollupDeleteV1));
    await q.query(replace(chatThreadsRollupDeleteV1));
    await q.query(replace(chatItemsRollupV1));
    await q.query(`DROP FUNCTION chat_people_reach(uuid[], timestamptz[], text[], bigint[], boolean[])`);
    await q.query(`DROP FUNCTION chat_reach_ones(integer, integer)`);
    await q.query(`DROP AGGREGATE chat_int4_sum(integer[])`);
    await q.query(`DROP FUNCTION chat_int4_add(integer[], integer[])`);
    await q.query(`DROP INDEX chat_rollup_people_person_idx`);
    await q.query(`DROP TABLE chat_rollup_reach`);
  }
}
