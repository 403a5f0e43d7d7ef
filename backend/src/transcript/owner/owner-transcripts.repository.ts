import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { TranscriptPrincipalKind } from './owner-transcripts.dto';

/** `t` is a signed-in person's thread (`issuer|subject`, issuers being URLs): the email, else the name, of their latest session (by the identity index). */
const PERSON_SQL = `CASE WHEN t.principal_kind = 'oauth' THEN (
    SELECT COALESCE(s.email, s.name) FROM oauth_sessions s
     WHERE s.issuer = split_part(t.principal_id, '|', 1) AND s.subject = substr(t.principal_id, strpos(t.principal_id, '|') + 1)
       AND COALESCE(s.email, s.name) IS NOT NULL
     ORDER BY s.created_at DESC LIMIT 1) END`;

export interface OwnerThreadRow {
  id: string;
  ordinal: string;
  title: string | null;
  principal_kind: TranscriptPrincipalKind;
  principal_id: string;
  host_email: string | null;
  host_name: string | null;
  created_at: Date;
  updated_at: Date;
  item_count: number;
  positive: number;
  negative: number;
  /** Signed-in people only: the email (else the name) of their latest OIDC session, when one is still stored. */
  person: string | null;
}

/** Filters of the owner's transcript list; every one optional. */
export interface OwnerThreadFilters {
  from?: Date;
  to?: Date;
  principalKind?: TranscriptPrincipalKind;
  /** Matched (ILIKE, already escaped and wrapped in %) against the text of visible messages. */
  textLike?: string;
  /** Threads older than this thread of the workflow (keyset paging). */
  beforeThreadId?: string;
}

export interface OwnerExportRow {
  item_ordinal: string;
  data: Record<string, unknown>;
  type: string;
  item_created_at: Date;
  thread_id: string;
  title: string | null;
  principal_kind: string;
  principal_id: string;
  thread_created_at: Date;
  item_id: string;
  person: string | null;
  host_email: string | null;
  host_name: string | null;
}

/** The SQL of the owner's transcript views (list, detail, delete, export); every query bound to one workflow. */
@Injectable()
export class OwnerTranscriptsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Visitor numbers of the workflow (1 for the first visitor by their first conversation, 2 for
   * the next, …), for the visitors asked about (all of them when `visitorIds` is omitted).
   */
  async visitorNumbers(workflowId: string, visitorIds?: string[]): Promise<{ principal_id: string; n: string }[]> {
    return this.dataSource.query<{ principal_id: string; n: string }[]>(
      `SELECT principal_id, n FROM (
         SELECT principal_id, row_number() OVER (ORDER BY min(created_at), principal_id)::text AS n
           FROM chat_threads WHERE workflow_id = $1 AND principal_kind = 'visitor' GROUP BY principal_id) numbered
        ${visitorIds ? 'WHERE principal_id = ANY($2)' : ''}`,
      visitorIds ? [workflowId, visitorIds] : [workflowId],
    );
  }

  private threadSelect(where: string): string {
    return `
      SELECT t.id, t.ordinal, t.title, t.principal_kind, t.principal_id, t.created_at, t.updated_at,
             hu.email AS host_email, hu.name AS host_name,
             t.visible_item_count AS item_count,
             (SELECT count(*)::int FROM chat_feedback f WHERE f.thread_id = t.id AND f.kind = 'positive') AS positive,
             (SELECT count(*)::int FROM chat_feedback f WHERE f.thread_id = t.id AND f.kind = 'negative') AS negative,
             ${PERSON_SQL} AS person
        FROM chat_threads t
        LEFT JOIN host_users hu ON t.principal_kind = 'host' AND hu.workflow_id = t.workflow_id AND hu.host_user_id = t.principal_id
       WHERE ${where}`;
  }

  /** Up to `take` threads of the workflow, newest first. */
  listThreads(workflowId: string, filters: OwnerThreadFilters, take: number): Promise<OwnerThreadRow[]> {
    const params: unknown[] = [workflowId];
    const where = ['t.workflow_id = $1'];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filters.from) add('t.created_at >= ?', filters.from);
    if (filters.to) add('t.created_at < ?', filters.to);
    if (filters.principalKind) add('t.principal_kind = ?', filters.principalKind);
    if (filters.textLike !== undefined) {
      add(
        `EXISTS (SELECT 1 FROM chat_items i
                  CROSS JOIN LATERAL json_array_elements(CASE WHEN json_typeof(i.data->'content') = 'array' THEN i.data->'content' ELSE '[]'::json END) AS part
                  WHERE i.thread_id = t.id AND NOT i.hidden AND i.type IN ('user_message', 'assistant_message')
                    AND part->>'text' ILIKE ? ESCAPE '\\')`,
        filters.textLike,
      );
    }
    if (filters.beforeThreadId !== undefined) {
      add('t.ordinal < (SELECT c.ordinal FROM chat_threads c WHERE c.id = ? AND c.workflow_id = $1)', filters.beforeThreadId);
    }
    params.push(take);
    return this.dataSource.query<OwnerThreadRow[]>(`${this.threadSelect(where.join(' AND '))} ORDER BY t.ordinal DESC LIMIT $${params.length}`, params);
  }

  async findThread(workflowId: string, threadId: string): Promise<OwnerThreadRow | undefined> {
    const [row] = await this.dataSource.query<OwnerThreadRow[]>(`${this.threadSelect('t.workflow_id = $1 AND t.id = $2')}`, [workflowId, threadId]);
    return row;
  }

  /** The ordinal of an item of the thread, or null. */
  async itemOrdinal(threadId: string, itemId: string): Promise<string | null> {
    const [anchor] = await this.dataSource.query<{ ordinal: string }[]>(`SELECT ordinal FROM chat_items WHERE thread_id = $1 AND id = $2`, [threadId, itemId]);
    return anchor ? anchor.ordinal : null;
  }

  /** Up to `take` visible items of the thread after the ordinal `after`, oldest first. */
  pageItems(workflowId: string, threadId: string, after: string, take: number): Promise<{ id: string; data: Record<string, unknown>; workflow_version: number | null }[]> {
    return this.dataSource.query(
      `SELECT i.id, i.data, i.workflow_version FROM chat_items i JOIN chat_threads t ON t.id = i.thread_id
        WHERE t.workflow_id = $1 AND i.thread_id = $2 AND NOT i.hidden AND i.ordinal > $3 ORDER BY i.ordinal LIMIT $4`,
      [workflowId, threadId, after, take],
    );
  }

  feedback(workflowId: string, threadId: string): Promise<{ item_ids: string[]; kind: string; created_at: Date }[]> {
    return this.dataSource.query(
      `SELECT item_ids, kind, created_at FROM chat_feedback WHERE workflow_id = $1 AND thread_id = $2 ORDER BY created_at, id`,
      [workflowId, threadId],
    );
  }

  /** Whether a thread of the workflow was deleted. */
  async deleteThread(workflowId: string, threadId: string): Promise<boolean> {
    const result = await this.dataSource.query<[unknown[], number]>(`DELETE FROM chat_threads WHERE workflow_id = $1 AND id = $2`, [workflowId, threadId]);
    return result[1] !== 0;
  }

  /** Up to `take` visible items of the workflow after the item ordinal `after`, in creation order, with their thread's columns. */
  exportBatch(workflowId: string, after: string, take: number): Promise<OwnerExportRow[]> {
    return this.dataSource.query<OwnerExportRow[]>(
      `SELECT i.ordinal AS item_ordinal, i.id AS item_id, i.data, i.type, i.created_at AS item_created_at,
                t.id AS thread_id, t.title, t.principal_kind, t.principal_id, t.created_at AS thread_created_at,
                ${PERSON_SQL} AS person, hu.email AS host_email, hu.name AS host_name
           FROM chat_items i JOIN chat_threads t ON t.id = i.thread_id
           LEFT JOIN host_users hu ON t.principal_kind = 'host' AND hu.workflow_id = t.workflow_id AND hu.host_user_id = t.principal_id
          WHERE t.workflow_id = $1 AND NOT i.hidden AND i.ordinal > $2
          ORDER BY i.ordinal LIMIT $3`,
      [workflowId, after, take],
    );
  }

  /**
   * Deletes the threads (items, attachments and feedback by cascade) unchanged for longer than
   * their workflow's retention, or `defaultDays` (null: keep); returns how many.
   */
  async deleteExpiredThreads(defaultDays: number | null, now: Date): Promise<number> {
    const result = await this.dataSource.query<[unknown[], number]>(
      `DELETE FROM chat_threads t
        USING workflows w
        WHERE t.workflow_id = w.id
          AND COALESCE(w.transcript_retention_days, $1::int) IS NOT NULL
          AND t.updated_at < $2::timestamptz - make_interval(days => COALESCE(w.transcript_retention_days, $1::int))`,
      [defaultDays, now.toISOString()],
    );
    return result[1] ?? 0;
  }
}
