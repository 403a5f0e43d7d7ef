import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ResolvedDatabase } from '../database/resolved-database';
import type { Order } from '../chat-protocol/types';
import { PgDirect } from './pg-direct.repository';
import type { TranscriptScope } from './transcript.types';

/** `DataSource` or a transaction's `EntityManager`. */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

export interface ThreadRow {
  id: string;
  title: string | null;
  status: Record<string, unknown>;
  allowed_image_domains: string[] | null;
  metadata: Record<string, unknown>;
  created_at: Date;
}

export interface ItemRow {
  id: string;
  data: Record<string, unknown>;
}

export interface ItemPageRow {
  /** Null when the thread exists but the page is empty. */
  id: string | null;
  data: Record<string, unknown> | null;
  /** The ordinal of the `after` cursor, null when there is none or it names nothing. */
  cursor_ordinal: string | null;
}

export interface AttachmentRow {
  id: string;
  data: Record<string, unknown>;
  mime_type: string;
  size: string | null;
  uploaded_at: Date | null;
  thread_id: string | null;
}

/** Values written for a thread (the scope comes separately). */
export interface ThreadValues {
  id: string;
  /** How the conversation came in; written on insert only. */
  channel: string;
  title: string | null;
  status: unknown;
  allowedImageDomains: string[] | null;
  metadata: unknown;
  createdAt: string;
}

/** Values written for an item; `data` is the item JSON exactly as the protocol knows it. */
export interface ItemValues {
  id: string;
  threadId: string;
  type: string;
  hidden: boolean;
  data: string;
  createdAt: string;
  /** The published workflow version that produced the item; null for the draft. */
  workflowVersion: number | null;
  /** Time to first token of the answer this item starts (insert only). */
  ttftMs?: number | null;
}

export interface AttachmentValues {
  id: string;
  threadId: string | null;
  name: string;
  mimeType: string;
  size: number | null;
  data: string;
}

/**
 * TypeORM answers INSERT and SELECT with the rows, but UPDATE and DELETE with `[rows, count]`;
 * every statement here uses RETURNING, so the rows are all we need.
 */
function rowsOf<T>(raw: unknown): T[] {
  if (Array.isArray(raw) && raw.length === 2 && Array.isArray(raw[0]) && typeof raw[1] === 'number') return raw[0] as T[];
  return raw as T[];
}

/** The scope as `$2, $3, $4` (workflow, principal kind, principal id) of every statement. */
function scopeParams(scope: TranscriptScope): [string, string, string] {
  return [scope.workflowId, scope.principal.kind, scope.principal.id];
}

const ORDER_SQL: Record<Order, { dir: 'ASC' | 'DESC'; cmp: '>' | '<' }> = {
  asc: { dir: 'ASC', cmp: '>' },
  desc: { dir: 'DESC', cmp: '<' },
};

/**
 * The items of `insertItems`, as parallel arrays ($5–$10) so one prepared text serves any count:
 * inserted in array order (`ORDER BY n`; the identity `ordinal` is drawn after the sort), only
 * when the thread is in scope (`t`).
 */
const ITEMS_INSERT = `added AS (
         INSERT INTO chat_items (id, thread_id, type, hidden, data, created_at, workflow_version, ttft_ms)
         SELECT x.id, t.id, x.type, x.hidden, x.data::json, x.created_at, $11::integer, x.ttft_ms
           FROM t, unnest($5::text[], $6::text[], $7::boolean[], $8::text[], $9::timestamptz[], $10::integer[])
                   WITH ORDINALITY AS x(id, type, hidden, data, created_at, ttft_ms, n)
          ORDER BY x.n
         RETURNING 1
       )`;

const ITEMS_CTE = `t AS (
         SELECT id FROM chat_threads WHERE id = $1 AND workflow_id = $2 AND principal_kind = $3 AND principal_id = $4
       ), ${ITEMS_INSERT}`;

/** `$5`–`$11` of the item statements. */
function itemArrays(items: ItemValues[]): unknown[] {
  return [
    items.map((item) => item.id),
    items.map((item) => item.type),
    items.map((item) => item.hidden),
    items.map((item) => item.data),
    items.map((item) => item.createdAt),
    items.map((item) => item.ttftMs ?? null),
    items[0]?.workflowVersion ?? null,
  ];
}

/**
 * Upserts a thread in its scope ($1 id, $2–$4 scope; its values from `$first`, in `threadParams`
 * order): updates only a row of the same scope, so a foreign id returns no row.
 */
function upsertThreadSql(first: number): string {
  const $ = (offset: number): string => `$${first + offset}`;
  return `INSERT INTO chat_threads AS t (id, workflow_id, principal_kind, principal_id, title, status, allowed_image_domains, metadata, created_at, channel)
       VALUES ($1, $2, $3, $4, ${$(0)}, ${$(1)}::jsonb, ${$(2)}::text[], ${$(3)}::jsonb, ${$(4)}::timestamptz, ${$(5)})
       ON CONFLICT (id) DO UPDATE
          SET title = excluded.title, status = excluded.status, allowed_image_domains = excluded.allowed_image_domains,
              metadata = excluded.metadata, updated_at = now()
        WHERE t.workflow_id = excluded.workflow_id AND t.principal_kind = excluded.principal_kind AND t.principal_id = excluded.principal_id
       RETURNING t.id`;
}

/** A thread's values in `upsertThreadSql` order. */
function threadParams(thread: ThreadValues): unknown[] {
  return [thread.title, JSON.stringify(thread.status), thread.allowedImageDomains, JSON.stringify(thread.metadata ?? {}), thread.createdAt, thread.channel];
}

const UPSERT_THREAD = upsertThreadSql(5);

/** The thread's upsert, then its items (itemArrays at $5–$11, the thread's values after them). */
const UPSERT_THREAD_WITH_ITEMS = `WITH t AS (
         ${upsertThreadSql(12)}
       ), ${ITEMS_INSERT}
       SELECT (SELECT count(*) FROM t) AS found`;

const INSERT_ITEMS = `WITH ${ITEMS_CTE}
       SELECT EXISTS (SELECT 1 FROM t) AS found, (SELECT count(*) FROM added) AS added`;

const INSERT_ITEMS_SAVE_THREAD = `WITH ${ITEMS_CTE}, saved AS (
         UPDATE chat_threads c
            SET title = $12, status = $13::jsonb, allowed_image_domains = $14::text[], metadata = $15::jsonb, updated_at = now()
           FROM t
          WHERE c.id = t.id
         RETURNING 1
       )
       SELECT EXISTS (SELECT 1 FROM t) AS found, (SELECT count(*) FROM added) AS added, (SELECT count(*) FROM saved) AS saved`;

/**
 * Named queries of the transcript tables. Every statement filters by workflow and principal
 * (directly on `chat_threads`/`chat_attachments`, or by joining the thread), so a row outside the
 * scope is never read, written or deleted. Callers pass the DataSource or a transaction manager.
 */
@Injectable()
export class TranscriptRepository {
  /** Statements outside a caller's transaction go straight to TypeORM's `pg` pool (pg-direct.repository.ts). */
  private readonly direct: PgDirect;

  constructor(dataSource: DataSource, db: ResolvedDatabase) {
    this.direct = new PgDirect(dataSource, db);
  }

  /** `named`: a statement of every chat turn, prepared per connection on PostgreSQL (pg-direct.repository.ts). */
  private async run<T>(sql: string, params: unknown[], q?: Queryable, named = false): Promise<T[]> {
    if (q) return rowsOf<T>(await q.query(sql, params));
    return this.direct.query<T>(sql, params, named);
  }

  // -------------------------------------------------------------------------------------------
  // Threads
  // -------------------------------------------------------------------------------------------

  async findThread(scope: TranscriptScope, threadId: string, q?: Queryable): Promise<ThreadRow | null> {
    const rows = await this.run<ThreadRow>(
      `SELECT id, title, status, allowed_image_domains, metadata, created_at
         FROM chat_threads
        WHERE id = $1 AND workflow_id = $2 AND principal_kind = $3 AND principal_id = $4`,
      [threadId, ...scopeParams(scope)],
      q,
      true,
    );
    return rows[0] ?? null;
  }

  /**
   * Inserts the thread, or updates it when it exists in the same scope; returns false when the id
   * belongs to another scope (nothing is written then).
   */
  async upsertThread(scope: TranscriptScope, thread: ThreadValues, q?: Queryable): Promise<boolean> {
    const rows = await this.run<{ id: string }>(
      UPSERT_THREAD,
      [thread.id, ...scopeParams(scope), ...threadParams(thread)],
      q,
      true,
    );
    return rows.length === 1;
  }

  /** Ordinal of a thread in scope (a list cursor), or null. */
  async threadOrdinal(scope: TranscriptScope, threadId: string, q?: Queryable): Promise<string | null> {
    const rows = await this.run<{ ordinal: string }>(
      `SELECT ordinal FROM chat_threads WHERE id = $1 AND workflow_id = $2 AND principal_kind = $3 AND principal_id = $4`,
      [threadId, ...scopeParams(scope)],
      q,
    );
    return rows[0]?.ordinal ?? null;
  }

  /** Up to `take` threads of the scope after the ordinal `afterOrdinal` (exclusive) in `order`. */
  async listThreads(scope: TranscriptScope, take: number, order: Order, afterOrdinal: string | null, q?: Queryable): Promise<ThreadRow[]> {
    const { dir, cmp } = ORDER_SQL[order];
    return this.run<ThreadRow>(
      `SELECT id, title, status, allowed_image_domains, metadata, created_at
         FROM chat_threads
        WHERE workflow_id = $1 AND principal_kind = $2 AND principal_id = $3
          AND ($5::bigint IS NULL OR ordinal ${cmp} $5::bigint)
        ORDER BY ordinal ${dir}
        LIMIT $4`,
      [...scopeParams(scope), take, afterOrdinal],
      q,
    );
  }

  /** Deletes the thread (items, feedback and attachments cascade); false when not in scope. */
  async deleteThread(scope: TranscriptScope, threadId: string, q?: Queryable): Promise<boolean> {
    const rows = await this.run<{ id: string }>(
      `DELETE FROM chat_threads WHERE id = $1 AND workflow_id = $2 AND principal_kind = $3 AND principal_id = $4 RETURNING id`,
      [threadId, ...scopeParams(scope)],
      q,
    );
    return rows.length === 1;
  }

  // -------------------------------------------------------------------------------------------
  // Items
  // -------------------------------------------------------------------------------------------

  /**
   * One round trip for an item page: zero rows when the thread is not in scope; otherwise at
   * least one row, whose `cursor_ordinal` tells whether `after` named an item of the thread, and
   * up to `take` items (`id` null on an empty page). Served by the primary keys and
   * `chat_items_thread_ordinal_key`, whatever the table size.
   */
  async pageItems(
    scope: TranscriptScope,
    threadId: string,
    after: string | null,
    take: number,
    order: Order,
    q?: Queryable,
  ): Promise<ItemPageRow[]> {
    const { dir, cmp } = ORDER_SQL[order];
    return this.run<ItemPageRow>(
      `SELECT i.id, i.data, c.ordinal AS cursor_ordinal
         FROM chat_threads t
         LEFT JOIN chat_items c ON c.id = $5 AND c.thread_id = t.id
         LEFT JOIN LATERAL (
                SELECT p.id, p.data, p.ordinal
                  FROM chat_items p
                 WHERE p.thread_id = t.id AND ($5::text IS NULL OR p.ordinal ${cmp} c.ordinal)
                 ORDER BY p.ordinal ${dir}
                 LIMIT $6
              ) i ON true
        WHERE t.id = $1 AND t.workflow_id = $2 AND t.principal_kind = $3 AND t.principal_id = $4
        ORDER BY i.ordinal ${dir}`,
      [threadId, ...scopeParams(scope), after, take],
      q,
    );
  }

  async findItem(scope: TranscriptScope, threadId: string, itemId: string, q?: Queryable): Promise<ItemRow | null> {
    const rows = await this.run<ItemRow>(
      `SELECT i.id, i.data
         FROM chat_items i
         JOIN chat_threads t ON t.id = i.thread_id
        WHERE i.id = $5 AND i.thread_id = $1
          AND t.workflow_id = $2 AND t.principal_kind = $3 AND t.principal_id = $4`,
      [threadId, ...scopeParams(scope), itemId],
      q,
    );
    return rows[0] ?? null;
  }

  /** Inserts an item at the end of its thread; false when the thread is not in scope. A duplicate id throws. */
  async insertItem(scope: TranscriptScope, item: ItemValues, q?: Queryable): Promise<boolean> {
    const rows = await this.run<{ id: string }>(
      `INSERT INTO chat_items (id, thread_id, type, hidden, data, created_at, workflow_version, ttft_ms)
       SELECT $5, t.id, $6, $7, $8::json, $9::timestamptz, $10::integer, $11::int
         FROM chat_threads t
        WHERE t.id = $1 AND t.workflow_id = $2 AND t.principal_kind = $3 AND t.principal_id = $4
       RETURNING id`,
      [item.threadId, ...scopeParams(scope), item.id, item.type, item.hidden, item.data, item.createdAt, item.workflowVersion, item.ttftMs ?? null],
      q,
      true,
    );
    return rows.length === 1;
  }

  /**
   * Inserts items at the end of the thread in the given order and, when `thread` is given, updates
   * the thread's metadata — one statement (one round trip, one firing of the item triggers). Nothing
   * is written when the thread is not in scope (`threadFound` false); a duplicate id throws and
   * nothing is written. All items get `workflowVersion` of the first (one turn, one version).
   */
  async insertItems(
    scope: TranscriptScope,
    threadId: string,
    items: ItemValues[],
    thread: Omit<ThreadValues, 'id' | 'channel' | 'createdAt'> | null,
    q?: Queryable,
  ): Promise<{ threadFound: boolean }> {
    const params: unknown[] = [threadId, ...scopeParams(scope), ...itemArrays(items)];
    if (thread) params.push(thread.title, JSON.stringify(thread.status), thread.allowedImageDomains, JSON.stringify(thread.metadata ?? {}));
    const rows = await this.run<{ found: boolean }>(thread ? INSERT_ITEMS_SAVE_THREAD : INSERT_ITEMS, params, q, true);
    return { threadFound: rows[0]?.found === true };
  }

  /**
   * `upsertThread` then `insertItems` in one statement (a new thread and its first items). False
   * when the thread id belongs to another scope (nothing is written). A duplicate item id throws
   * and nothing is written.
   */
  async upsertThreadWithItems(scope: TranscriptScope, thread: ThreadValues, items: ItemValues[], q?: Queryable): Promise<boolean> {
    const rows = await this.run<{ found: string | number }>(
      UPSERT_THREAD_WITH_ITEMS,
      [thread.id, ...scopeParams(scope), ...itemArrays(items), ...threadParams(thread)],
      q,
      true,
    );
    return Number(rows[0]?.found ?? 0) === 1;
  }

  /**
   * Replaces an item of the thread in place (same ordinal), or appends it when new; false when the
   * thread is not in scope or the id belongs to another thread.
   */
  async upsertItem(scope: TranscriptScope, item: ItemValues, q?: Queryable): Promise<boolean> {
    const rows = await this.run<{ id: string }>(
      `INSERT INTO chat_items AS i (id, thread_id, type, hidden, data, created_at, workflow_version)
       SELECT $5, t.id, $6, $7, $8::json, $9::timestamptz, $10::integer
         FROM chat_threads t
        WHERE t.id = $1 AND t.workflow_id = $2 AND t.principal_kind = $3 AND t.principal_id = $4
       ON CONFLICT (id) DO UPDATE
          SET type = excluded.type, hidden = excluded.hidden, data = excluded.data, workflow_version = excluded.workflow_version
        WHERE i.thread_id = excluded.thread_id
       RETURNING i.id`,
      [item.threadId, ...scopeParams(scope), item.id, item.type, item.hidden, item.data, item.createdAt, item.workflowVersion],
      q,
    );
    return rows.length === 1;
  }

  /** Deletes one item; false when the thread is not in scope (a missing item is not an error). */
  async deleteItem(scope: TranscriptScope, threadId: string, itemId: string, q?: Queryable): Promise<{ threadFound: boolean }> {
    const rows = await this.run<{ found: boolean }>(
      `WITH t AS (
         SELECT id FROM chat_threads WHERE id = $1 AND workflow_id = $2 AND principal_kind = $3 AND principal_id = $4
       ), gone AS (
         DELETE FROM chat_items i USING t WHERE i.id = $5 AND i.thread_id = t.id RETURNING i.id
       )
       SELECT EXISTS (SELECT 1 FROM t) AS found, (SELECT count(*) FROM gone) AS deleted`,
      [threadId, ...scopeParams(scope), itemId],
      q,
    );
    return { threadFound: rows[0]?.found === true };
  }

  /**
   * Deletes every item created after `itemId` in the thread (retry), in one statement.
   * `anchorFound` is false when the thread is not in scope or the item is not in it.
   */
  async deleteItemsAfter(scope: TranscriptScope, threadId: string, itemId: string, q?: Queryable): Promise<{ anchorFound: boolean }> {
    const rows = await this.run<{ found: boolean }>(
      `WITH anchor AS (
         SELECT i.thread_id, i.ordinal
           FROM chat_items i
           JOIN chat_threads t ON t.id = i.thread_id
          WHERE i.id = $5 AND i.thread_id = $1
            AND t.workflow_id = $2 AND t.principal_kind = $3 AND t.principal_id = $4
       ), gone AS (
         DELETE FROM chat_items i USING anchor a WHERE i.thread_id = a.thread_id AND i.ordinal > a.ordinal RETURNING i.id
       )
       SELECT EXISTS (SELECT 1 FROM anchor) AS found, (SELECT count(*) FROM gone) AS deleted`,
      [threadId, ...scopeParams(scope), itemId],
      q,
    );
    return { anchorFound: rows[0]?.found === true };
  }

  // -------------------------------------------------------------------------------------------
  // Attachments
  // -------------------------------------------------------------------------------------------

  /** Inserts or updates attachment metadata; false when the id belongs to another scope. */
  async upsertAttachment(scope: TranscriptScope, attachment: AttachmentValues, q?: Queryable): Promise<boolean> {
    const rows = await this.run<{ id: string }>(
      `INSERT INTO chat_attachments AS a (id, workflow_id, principal_kind, principal_id, thread_id, name, mime_type, size, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::json)
       ON CONFLICT (id) DO UPDATE
          SET thread_id = excluded.thread_id, name = excluded.name, mime_type = excluded.mime_type,
              size = COALESCE(excluded.size, a.size), data = excluded.data
        WHERE a.workflow_id = excluded.workflow_id AND a.principal_kind = excluded.principal_kind AND a.principal_id = excluded.principal_id
       RETURNING a.id`,
      [attachment.id, ...scopeParams(scope), attachment.threadId, attachment.name, attachment.mimeType, attachment.size, attachment.data],
      q,
    );
    return rows.length === 1;
  }

  async findAttachment(scope: TranscriptScope, attachmentId: string, q?: Queryable): Promise<AttachmentRow | null> {
    const rows = await this.run<AttachmentRow>(
      `SELECT id, data, mime_type, size, uploaded_at, thread_id
         FROM chat_attachments
        WHERE id = $1 AND workflow_id = $2 AND principal_kind = $3 AND principal_id = $4`,
      [attachmentId, ...scopeParams(scope)],
      q,
    );
    return rows[0] ?? null;
  }

  async deleteAttachment(scope: TranscriptScope, attachmentId: string, q?: Queryable): Promise<boolean> {
    const rows = await this.run<{ id: string }>(
      `DELETE FROM chat_attachments WHERE id = $1 AND workflow_id = $2 AND principal_kind = $3 AND principal_id = $4 RETURNING id`,
      [attachmentId, ...scopeParams(scope)],
      q,
    );
    return rows.length === 1;
  }

  /**
   * Stores uploaded bytes and the new protocol JSON (without `upload_descriptor`), once: only while
   * nothing was uploaded and no message holds the attachment. `missing` when not in scope,
   * `immutable` when it was uploaded or sent already (two racing uploads: one wins).
   */
  async storeUpload(
    scope: TranscriptScope,
    attachmentId: string,
    bytes: Buffer,
    contentType: string,
    data: string,
    q?: Queryable,
  ): Promise<'stored' | 'missing' | 'immutable'> {
    const rows = await this.run<{ stored: boolean; found: boolean }>(
      `WITH a AS (
         SELECT id FROM chat_attachments WHERE id = $1 AND workflow_id = $2 AND principal_kind = $3 AND principal_id = $4
       ), stored AS (
         UPDATE chat_attachments c
            SET bytes = $5, content_type = $6, data = $7::json, uploaded_at = now()
           FROM a
          WHERE c.id = a.id AND c.uploaded_at IS NULL AND c.thread_id IS NULL
         RETURNING c.id
       )
       SELECT EXISTS (SELECT 1 FROM stored) AS stored, EXISTS (SELECT 1 FROM a) AS found`,
      [attachmentId, ...scopeParams(scope), bytes, contentType, data],
      q,
    );
    if (rows[0]?.stored) return 'stored';
    return rows[0]?.found ? 'immutable' : 'missing';
  }

  /**
   * Attachments not yet sent in a message and younger than `ttlSeconds`: the caller's, and the
   * whole workflow's (both served by indexes on the scope and on pending rows).
   */
  async countPendingAttachments(scope: TranscriptScope, ttlSeconds: number, q?: Queryable): Promise<{ principal: number; workflow: number }> {
    const rows = await this.run<{ principal: number; workflow: number }>(
      `SELECT
         (SELECT count(*)::int FROM chat_attachments
           WHERE workflow_id = $1 AND principal_kind = $2 AND principal_id = $3 AND thread_id IS NULL
             AND created_at > now() - make_interval(secs => $4)) AS principal,
         (SELECT count(*)::int FROM chat_attachments
           WHERE workflow_id = $1 AND thread_id IS NULL AND created_at > now() - make_interval(secs => $4)) AS workflow`,
      [...scopeParams(scope), ttlSeconds],
      q,
    );
    return rows[0];
  }

  /**
   * Deletes up to `batch` attachments never sent in a message and created before `before`, bytes
   * included (every workflow, every principal: a maintenance sweep). Returns how many went.
   */
  async deleteExpiredPendingAttachments(before: Date, batch: number, q?: Queryable): Promise<number> {
    const rows = await this.run<{ id: string }>(
      `DELETE FROM chat_attachments
        WHERE id IN (SELECT id FROM chat_attachments WHERE thread_id IS NULL AND created_at < $1 LIMIT $2)
          AND thread_id IS NULL
       RETURNING id`,
      [before, batch],
      q,
    );
    return rows.length;
  }

  /**
   * Uploaded bytes of an attachment, looked up by id alone: the caller holds a capability (a
   * signed preview URL bound to this id) instead of a principal.
   */
  async findUploadedBytes(attachmentId: string, q?: Queryable): Promise<{ bytes: Buffer; content_type: string } | null> {
    const rows = await this.run<{ bytes: Buffer; content_type: string }>(
      `SELECT bytes, content_type FROM chat_attachments WHERE id = $1 AND bytes IS NOT NULL`,
      [attachmentId],
      q,
    );
    return rows[0] ?? null;
  }

  // -------------------------------------------------------------------------------------------
  // Feedback
  // -------------------------------------------------------------------------------------------

  /**
   * Records feedback on items of a thread in scope, in one statement whatever the batch size: the
   * thread must be in scope and every id an item of it, or nothing is recorded. Answers whether the
   * thread was found and the first id that names no item (null when all do).
   */
  async insertFeedback(
    scope: TranscriptScope,
    threadId: string,
    itemIds: string[],
    kind: string,
    q?: Queryable,
  ): Promise<{ threadFound: boolean; missingItemId: string | null }> {
    const rows = await this.run<{ found: boolean; missing: string | null }>(
      `WITH t AS (
         SELECT id, workflow_id, principal_kind, principal_id
           FROM chat_threads WHERE id = $1 AND workflow_id = $2 AND principal_kind = $3 AND principal_id = $4
       ), missing AS (
         SELECT x.id, x.n
           FROM unnest($5::text[]) WITH ORDINALITY AS x(id, n)
          WHERE NOT EXISTS (SELECT 1 FROM chat_items i JOIN t ON i.thread_id = t.id WHERE i.id = x.id)
       ), recorded AS (
         INSERT INTO chat_feedback (thread_id, item_ids, kind, workflow_id, principal_kind, principal_id)
         SELECT t.id, $5::text[], $6, t.workflow_id, t.principal_kind, t.principal_id
           FROM t
          WHERE NOT EXISTS (SELECT 1 FROM missing)
         RETURNING id
       )
       SELECT EXISTS (SELECT 1 FROM t) AS found, (SELECT id FROM missing ORDER BY n LIMIT 1) AS missing`,
      [threadId, ...scopeParams(scope), itemIds, kind],
      q,
    );
    return { threadFound: rows[0]?.found === true, missingItemId: rows[0]?.missing ?? null };
  }

  // -------------------------------------------------------------------------------------------
  // Answer errors (owner analytics)
  // -------------------------------------------------------------------------------------------

  /** Records that an answer of a thread in scope ended in an error event; false when not in scope. */
  async insertAnswerError(scope: TranscriptScope, threadId: string, code: string, q?: Queryable): Promise<boolean> {
    const rows = await this.run<{ id: string }>(
      `INSERT INTO chat_answer_errors (thread_id, workflow_id, code)
       SELECT t.id, t.workflow_id, $5
         FROM chat_threads t
        WHERE t.id = $1 AND t.workflow_id = $2 AND t.principal_kind = $3 AND t.principal_id = $4
       RETURNING id`,
      [threadId, ...scopeParams(scope), code],
      q,
    );
    return rows.length === 1;
  }
}
