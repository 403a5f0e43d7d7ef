import { Injectable } from '@nestjs/common';
import { NotFoundError, ValidationFailedError } from '../../common/errors/domain-error';
import { decodeCursor, encodeCursor, Page } from '../../common/http/cursor';
import { WorkflowsService } from '../../workflows/workflows.service';
import { OwnerThreadRow, OwnerTranscriptsRepository } from './owner-transcripts.repository';
import { THREAD_ITEMS_DEFAULT_LIMIT, TranscriptDetailDto, TranscriptItemsQueryDto, TranscriptQueryDto, TranscriptSummaryDto } from './owner-transcripts.dto';

const THREAD_ID = /^[A-Za-z0-9_-]{1,128}$/;
const EXPORT_BATCH = 500;

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

const escapeLike = (q: string) => q.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The owner's read access to every transcript of a workflow they own. Ownership is checked
 * first (another owner's workflow is a 404); every query is then bound to that workflow id.
 */
@Injectable()
export class OwnerTranscriptsService {
  constructor(
    private readonly repo: OwnerTranscriptsRepository,
    private readonly workflows: WorkflowsService,
  ) {}

  /**
   * "Visitor #n": 1 for the workflow's first visitor (by their first conversation), 2 for the next, … One pass over
   * the workflow's visitor threads, for the visitors asked about (all of them when `visitorIds` is omitted).
   */
  private async visitorNumbers(workflowId: string, visitorIds?: string[]): Promise<Map<string, string>> {
    if (visitorIds && visitorIds.length === 0) return new Map();
    const rows = await this.repo.visitorNumbers(workflowId, visitorIds);
    return new Map(rows.map((r) => [r.principal_id, r.n]));
  }

  private async numbersFor(workflowId: string, rows: { principal_kind: string; principal_id: string }[]): Promise<Map<string, string>> {
    return this.visitorNumbers(workflowId, [...new Set(rows.filter((r) => r.principal_kind === 'visitor').map((r) => r.principal_id))]);
  }

  private summary(row: OwnerThreadRow, numbers: Map<string, string>): TranscriptSummaryDto {
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

  async list(ownerId: string, workflowId: string, query: TranscriptQueryDto): Promise<Page<TranscriptSummaryDto>> {
    await this.workflows.getOwned(ownerId, workflowId);
    const limit = query.limit ?? 20;
    const rows = await this.repo.listThreads(
      workflowId,
      {
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
        principalKind: query.principalKind,
        textLike: query.q ? `%${escapeLike(query.q)}%` : undefined,
        beforeThreadId: query.cursor ? decodeCursor(query.cursor, 'cursor', (id) => THREAD_ID.test(id)) : undefined,
      },
      limit + 1,
    );
    const page = rows.slice(0, limit);
    const numbers = await this.numbersFor(workflowId, page);
    return { data: page.map((r) => this.summary(r, numbers)), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null };
  }

  async get(ownerId: string, workflowId: string, threadId: string, query: TranscriptItemsQueryDto = {}): Promise<TranscriptDetailDto> {
    await this.workflows.getOwned(ownerId, workflowId);
    const row = await this.repo.findThread(workflowId, threadId);
    if (!row) throw new NotFoundError('Transcript not found.');
    const limit = query.limit ?? THREAD_ITEMS_DEFAULT_LIMIT;
    let after = '0';
    if (query.cursor !== undefined) {
      // The cursor is an item id of this thread; its ordinal is where the page starts (keyset paging).
      const anchor = await this.repo.itemOrdinal(threadId, query.cursor);
      if (anchor === null) throw new ValidationFailedError({ cursor: ['is not a cursor of this transcript'] });
      after = anchor;
    }
    const rows = await this.repo.pageItems(workflowId, threadId, after, limit + 1);
    const items = rows.slice(0, limit);
    const nextCursor = rows.length > limit ? items[items.length - 1].id : null;
    const feedback = await this.repo.feedback(workflowId, threadId);
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
    if (!(await this.repo.deleteThread(workflowId, threadId))) throw new NotFoundError('Transcript not found.');
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
      const rows = await this.repo.exportBatch(workflowId, after.toString(), EXPORT_BATCH);
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
