import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFoundError, ValidationFailedError } from '../../common/errors/domain-error';
import { decodeCursor, encodeCursor, Page } from '../../common/http/cursor';
import { WorkflowsService } from '../../workflows/workflows.service';
import { THREAD_ITEMS_DEFAULT_LIMIT, TranscriptDetailDto, TranscriptItemsQueryDto, TranscriptPrincipalKind, TranscriptQueryDto, TranscriptSummaryDto } from './owner-transcripts.dto';

const THREAD_ID = /^[A-Za-z0-9_-]{1,128}$/;
const EXPORT_BATCH = 500;

interface ThreadRow {
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

export interface ExportRow {
  threadId: string;
  threadTitle: string | null;
  principalKind: string;
  principalLabel: string;
  /** Host-app end users: the host's id, email and name; null for other principals. */
  hostUser: HostUserLabel | null;
  threadCreatedAt: string;
  itemId: string;
  itemType: string;
  itemCreatedAt: string;
  role: 'user' | 'assistant' | null;
  text: string;
  item: Record<string, unknown>;
}

export interface HostUserLabel {
  id: string;
  email: string | null;
  name: string | null;
}

/**
 * How the owner sees who wrote a thread. Host-app end users are shown as the host identified them
 * (`Ada <ada@example.com> (user_42)`): that id is the host's own, not a Parley credential. Every
 * other principal is masked: enough to tell people apart in a list, never enough to act as them.
 */
export function principalLabelOf(kind: string, id: string, host?: { email: string | null; name: string | null }): string {
  if (kind !== 'host') return maskPrincipal(kind, id);
  const parts = [host?.name, host?.email ? `<${host.email}>` : null, `(${id})`].filter(Boolean);
  return parts.length > 1 ? parts.join(' ') : id;
}

/**
 * Who wrote a conversation, as the owner reads it: "You" for the owner's own canvas chats, the email or name of a
 * signed-in person (OpenID Connect, or a host app's user) when known, "Visitor #n" for anonymous visitors (numbered
 * per workflow in order of their first conversation); otherwise a masked id.
 */
export function whoLabel(kind: string, id: string, extra: { visitorNumber?: string | number | null; person?: string | null } = {}): string {
  if (kind === 'user' || kind === 'chat') return 'You';
  if (kind === 'visitor' && extra.visitorNumber) return `Visitor #${extra.visitorNumber}`;
  if (extra.person) return extra.person;
  return maskPrincipal(kind, id);
}

/** Enough of a principal id to tell people apart in a list, never enough to act as them. */
export function maskPrincipal(kind: string, id: string): string {
  const prefix = kind === 'visitor' ? 'vis_' : kind === 'oauth' ? 'sub_' : 'usr_';
  const tail = id.replace(/[^A-Za-z0-9]/g, '').slice(-4);
  return `${prefix}…${tail}`;
}

/** Visible text of a user or assistant message item; empty for other item types. */
export function textOf(item: Record<string, unknown>): string {
  const content = item.content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : ''))
    .filter(Boolean)
    .join('');
}

/** `t` is a signed-in person's thread (`issuer|subject`, issuers being URLs): the email, else the name, of their latest session (by the identity index). */
const PERSON_SQL = `CASE WHEN t.principal_kind = 'oauth' THEN (
    SELECT COALESCE(s.email, s.name) FROM oauth_sessions s
     WHERE s.issuer = split_part(t.principal_id, '|', 1) AND s.subject = substr(t.principal_id, strpos(t.principal_id, '|') + 1)
       AND COALESCE(s.email, s.name) IS NOT NULL
     ORDER BY s.created_at DESC LIMIT 1) END`;

const escapeLike = (q: string) => q.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The owner's read access to every transcript of a workflow they own. Ownership is checked
 * first (another owner's workflow is a 404); every query is then bound to that workflow id.
 */
@Injectable()
export class OwnerTranscriptsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly workflows: WorkflowsService,
  ) {}

  /**
   * "Visitor #n": 1 for the workflow's first visitor (by their first conversation), 2 for the next, … One pass over
   * the workflow's visitor threads, for the visitors asked about (all of them when `visitorIds` is omitted).
   */
  private async visitorNumbers(workflowId: string, visitorIds?: string[]): Promise<Map<string, string>> {
    if (visitorIds && visitorIds.length === 0) return new Map();
    const rows = await this.dataSource.query<{ principal_id: string; n: string }[]>(
      `SELECT principal_id, n FROM (
         SELECT principal_id, row_number() OVER (ORDER BY min(created_at), principal_id)::text AS n
           FROM chat_threads WHERE workflow_id = $1 AND principal_kind = 'visitor' GROUP BY principal_id) numbered
        ${visitorIds ? 'WHERE principal_id = ANY($2)' : ''}`,
      visitorIds ? [workflowId, visitorIds] : [workflowId],
    );
    return new Map(rows.map((r) => [r.principal_id, r.n]));
  }

  private async numbersFor(workflowId: string, rows: { principal_kind: string; principal_id: string }[]): Promise<Map<string, string>> {
    return this.visitorNumbers(workflowId, [...new Set(rows.filter((r) => r.principal_kind === 'visitor').map((r) => r.principal_id))]);
  }

  private summary(row: ThreadRow, numbers: Map<string, string>): TranscriptSummaryDto {
    return {
      id: row.id,
      title: row.title,
      principalKind: row.principal_kind,
      principalLabel:
        row.principal_kind === 'host'
          ? principalLabelOf('host', row.principal_id, { email: row.host_email, name: row.host_name })
          : whoLabel(row.principal_kind, row.principal_id, { visitorNumber: numbers.get(row.principal_id), person: row.person }),
      hostUser: row.principal_kind === 'host' ? { id: row.principal_id, email: row.host_email, name: row.host_name } : null,
      itemCount: Number(row.item_count),
      feedback: { positive: Number(row.positive), negative: Number(row.negative) },
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    };
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

  async list(ownerId: string, workflowId: string, query: TranscriptQueryDto): Promise<Page<TranscriptSummaryDto>> {
    await this.workflows.getOwned(ownerId, workflowId);
    const limit = query.limit ?? 20;
    const params: unknown[] = [workflowId];
    const where = ['t.workflow_id = $1'];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (query.from) add('t.created_at >= ?', new Date(query.from));
    if (query.to) add('t.created_at < ?', new Date(query.to));
    if (query.principalKind) add('t.principal_kind = ?', query.principalKind);
    if (query.q) {
      add(
        `EXISTS (SELECT 1 FROM chat_items i
                  CROSS JOIN LATERAL json_array_elements(CASE WHEN json_typeof(i.data->'content') = 'array' THEN i.data->'content' ELSE '[]'::json END) AS part
                  WHERE i.thread_id = t.id AND NOT i.hidden AND i.type IN ('user_message', 'assistant_message')
                    AND part->>'text' ILIKE ? ESCAPE '\\')`,
        `%${escapeLike(query.q)}%`,
      );
    }
    if (query.cursor) {
      add('t.ordinal < (SELECT c.ordinal FROM chat_threads c WHERE c.id = ? AND c.workflow_id = $1)', decodeCursor(query.cursor, 'cursor', (id) => THREAD_ID.test(id)));
    }
    params.push(limit + 1);
    const rows = await this.dataSource.query<ThreadRow[]>(
      `${this.threadSelect(where.join(' AND '))} ORDER BY t.ordinal DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, limit);
    const numbers = await this.numbersFor(workflowId, page);
    return { data: page.map((r) => this.summary(r, numbers)), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null };
  }

  async get(ownerId: string, workflowId: string, threadId: string, query: TranscriptItemsQueryDto = {}): Promise<TranscriptDetailDto> {
    await this.workflows.getOwned(ownerId, workflowId);
    const [row] = await this.dataSource.query<ThreadRow[]>(`${this.threadSelect('t.workflow_id = $1 AND t.id = $2')}`, [workflowId, threadId]);
    if (!row) throw new NotFoundError('Transcript not found.');
    const limit = query.limit ?? THREAD_ITEMS_DEFAULT_LIMIT;
    let after = '0';
    if (query.cursor !== undefined) {
      // The cursor is an item id of this thread; its ordinal is where the page starts (keyset paging).
      const [anchor] = await this.dataSource.query<{ ordinal: string }[]>(`SELECT ordinal FROM chat_items WHERE thread_id = $1 AND id = $2`, [threadId, query.cursor]);
      if (!anchor) throw new ValidationFailedError({ cursor: ['is not a cursor of this transcript'] });
      after = anchor.ordinal;
    }
    const rows = await this.dataSource.query<{ id: string; data: Record<string, unknown>; workflow_version: number | null }[]>(
      `SELECT i.id, i.data, i.workflow_version FROM chat_items i JOIN chat_threads t ON t.id = i.thread_id
        WHERE t.workflow_id = $1 AND i.thread_id = $2 AND NOT i.hidden AND i.ordinal > $3 ORDER BY i.ordinal LIMIT $4`,
      [workflowId, threadId, after, limit + 1],
    );
    const items = rows.slice(0, limit);
    const nextCursor = rows.length > limit ? items[items.length - 1].id : null;
    const feedback = await this.dataSource.query<{ item_ids: string[]; kind: string; created_at: Date }[]>(
      `SELECT item_ids, kind, created_at FROM chat_feedback WHERE workflow_id = $1 AND thread_id = $2 ORDER BY created_at, id`,
      [workflowId, threadId],
    );
    return {
      ...this.summary(row, await this.numbersFor(workflowId, [row])),
      items: items.map((i) => i.data),
      itemVersions: Object.fromEntries(items.map((i) => [i.id, i.workflow_version])),
      nextCursor,
      feedbackEntries: feedback.map((f) => ({ itemIds: f.item_ids, kind: f.kind, createdAt: f.created_at.toISOString() })),
    };
  }

  async delete(ownerId: string, workflowId: string, threadId: string): Promise<void> {
    await this.workflows.getOwned(ownerId, workflowId);
    const result = await this.dataSource.query<[unknown[], number]>(`DELETE FROM chat_threads WHERE workflow_id = $1 AND id = $2`, [workflowId, threadId]);
    if (result[1] === 0) throw new NotFoundError('Transcript not found.');
  }

  /** Checks ownership before any byte of an export is written (so errors are proper 404s). */
  async assertOwned(ownerId: string, workflowId: string): Promise<void> {
    await this.workflows.getOwned(ownerId, workflowId);
  }

  /**
   * Every visible item of the workflow in creation order (thread columns repeated), read in keyset
   * batches so an export of any size streams with bounded memory.
   */
  async *exportRows(workflowId: string): AsyncGenerator<ExportRow> {
    // Every visitor of the workflow numbered once (one entry per visitor, not per item).
    const numbers = await this.visitorNumbers(workflowId);
    let after = 0n;
    for (;;) {
      const rows = await this.dataSource.query<
        { item_ordinal: string; data: Record<string, unknown>; type: string; item_created_at: Date; thread_id: string; title: string | null; principal_kind: string; principal_id: string; thread_created_at: Date; item_id: string; person: string | null; host_email: string | null; host_name: string | null }[]
      >(
        `SELECT i.ordinal AS item_ordinal, i.id AS item_id, i.data, i.type, i.created_at AS item_created_at,
                t.id AS thread_id, t.title, t.principal_kind, t.principal_id, t.created_at AS thread_created_at,
                ${PERSON_SQL} AS person, hu.email AS host_email, hu.name AS host_name
           FROM chat_items i JOIN chat_threads t ON t.id = i.thread_id
           LEFT JOIN host_users hu ON t.principal_kind = 'host' AND hu.workflow_id = t.workflow_id AND hu.host_user_id = t.principal_id
          WHERE t.workflow_id = $1 AND NOT i.hidden AND i.ordinal > $2
          ORDER BY i.ordinal LIMIT $3`,
        [workflowId, after.toString(), EXPORT_BATCH],
      );
      for (const r of rows) {
        yield {
          threadId: r.thread_id,
          threadTitle: r.title,
          principalKind: r.principal_kind,
          principalLabel:
            r.principal_kind === 'host'
              ? principalLabelOf('host', r.principal_id, { email: r.host_email, name: r.host_name })
              : whoLabel(r.principal_kind, r.principal_id, { visitorNumber: numbers.get(r.principal_id), person: r.person }),
          hostUser: r.principal_kind === 'host' ? { id: r.principal_id, email: r.host_email, name: r.host_name } : null,
          threadCreatedAt: r.thread_created_at.toISOString(),
          itemId: r.item_id,
          itemType: r.type,
          itemCreatedAt: r.item_created_at.toISOString(),
          role: r.type === 'user_message' ? 'user' : r.type === 'assistant_message' ? 'assistant' : null,
          text: textOf(r.data),
          item: r.data,
        };
      }
      if (rows.length < EXPORT_BATCH) return;
      after = BigInt(rows[rows.length - 1].item_ordinal);
    }
  }
}
