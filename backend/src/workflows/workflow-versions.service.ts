import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../common/errors/domain-error';
import { decodeCursor, encodeCursor, Page } from '../common/http/cursor';
import type { Tx } from '../database/transactions';
import type { WorkflowVersionDto } from './dto/workflow-version.dto';
import { WorkflowVersionEntity } from './entities/workflow-version.entity';
import { WorkflowEntity } from './entities/workflow.entity';
import { sameDefinition } from './runner-compare';
import { RunnerDefinitions } from './runner-definitions';
import { WorkflowVersionsRepository } from './workflow-versions.repository';

/** A published version as other modules see it. */
export type WorkflowVersionSnapshot = Readonly<WorkflowVersionEntity>;

/** What a snapshot of the draft produced: the version that now equals the draft. */
export interface SnapshotResult {
  version: number;
  /** False when the newest version already equalled the draft and was reused. */
  created: boolean;
}

const VERSION_CURSOR = /^[1-9][0-9]{0,9}$/;

/**
 * Immutable published snapshots of a workflow's runner (docs/publishing.md, Versions). Writers run inside the
 * caller's transaction on a row-locked workflow (the publish module's transitions), so version
 * numbers are assigned without races.
 */
@Injectable()
export class WorkflowVersionsService {
  constructor(
    private readonly versions: WorkflowVersionsRepository,
    private readonly definitions: RunnerDefinitions,
  ) {}

  /**
   * Makes a version equal to the workflow's current draft: the newest version when it already
   * is one, else a new version numbered one past the newest.
   */
  async snapshotDraft(tx: Tx, workflow: Pick<WorkflowEntity, 'id' | 'runner'>, createdBy: string): Promise<SnapshotResult> {
    const newest = await this.versions.newest(workflow.id, tx);
    if (newest && sameDefinition(newest.runner, workflow.runner)) return { version: newest.version, created: false };
    const version = (newest?.version ?? 0) + 1;
    // Stored as-is: tool header values stay sealed, exactly as in the draft.
    await this.versions.insert({ workflowId: workflow.id, version, runner: workflow.runner, createdBy }, tx);
    return { version, created: true };
  }

  /** One version of a workflow, or 404 `not_found`. */
  async get(tx: Tx, workflowId: string, version: number): Promise<WorkflowVersionSnapshot> {
    const row = await this.versions.find(workflowId, version, tx);
    if (!row) throw new NotFoundError(`Version ${version} not found.`);
    return row;
  }

  /** Newest first, keyset-paged on the version number (callers check ownership). */
  async list(workflowId: string, limit: number, cursor?: string): Promise<Page<WorkflowVersionSnapshot>> {
    const before = cursor ? Number(decodeCursor(cursor, 'cursor', (id) => VERSION_CURSOR.test(id))) : undefined;
    const rows = await this.versions.list(workflowId, limit + 1, before);
    const page = rows.slice(0, limit);
    return { data: page, nextCursor: rows.length > limit ? encodeCursor(String(page[page.length - 1].version)) : null };
  }

  toResponse(row: WorkflowVersionSnapshot, publishedVersion: number | null): WorkflowVersionDto {
    return {
      version: row.version,
      runner: this.definitions.present(row.runner),
      published: row.version === publishedVersion,
      createdAt: row.createdAt.toISOString(),
      createdBy: row.createdBy,
    };
  }
}
