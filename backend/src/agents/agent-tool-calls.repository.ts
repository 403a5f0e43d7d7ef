import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { managerOf, Tx } from '../database/transactions';

export type ToolType = 'http' | 'mcp' | 'client';
export type ApprovalState = 'none' | 'pending' | 'approved' | 'denied';
export type CallStatus = 'pending' | 'running' | 'completed' | 'failed' | 'denied';

/** One row of `agent_tool_calls` (docs/workflows.md, Records), as the runner uses it. */
export interface ToolCallRow {
  id: string;
  workflow_id: string;
  thread_id: string;
  call_id: string;
  batch_id: string;
  position: number;
  item_id: string | null;
  tool_name: string;
  tool_type: ToolType;
  tool_source: string | null;
  /** The parsed arguments, or the raw text when the model sent invalid JSON. */
  arguments: unknown;
  approval: ApprovalState;
  status: CallStatus;
  output: string | null;
  error: string | null;
  duration_ms: number | null;
  created_at: Date;
  completed_at: Date | null;
  decided_by: string | null;
  decided_at: Date | null;
  continued_at?: Date | null;
}

export type NewToolCall = Pick<ToolCallRow, 'call_id' | 'batch_id' | 'position' | 'tool_name' | 'tool_type' | 'tool_source' | 'arguments' | 'approval' | 'status'> &
  Partial<Pick<ToolCallRow, 'item_id' | 'output' | 'error' | 'completed_at'>>;

export type ToolCallPatch = Partial<Pick<ToolCallRow, 'item_id' | 'status' | 'output' | 'error' | 'duration_ms' | 'completed_at'>>;

/** How many of a thread's newest calls the model context is rebuilt from. */
const THREAD_CALLS_LIMIT = 500;

/** Named queries of `agent_tool_calls`; every one is keyed by a thread the caller already loaded in its scope. */
@Injectable()
export class AgentToolCallsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Inserts one step's calls; returns the stored rows in `position` order. */
  async insertBatch(workflowId: string, threadId: string, calls: NewToolCall[]): Promise<ToolCallRow[]> {
    if (calls.length === 0) return [];
    const values: unknown[] = [];
    const rows = calls.map((call) => {
      const base = values.length;
      values.push(
        workflowId,
        threadId,
        call.call_id,
        call.batch_id,
        call.position,
        call.item_id ?? null,
        call.tool_name,
        call.tool_type,
        call.tool_source,
        JSON.stringify(call.arguments ?? null),
        call.approval,
        call.status,
        call.output ?? null,
        call.error ?? null,
        call.completed_at ?? null,
      );
      return `(${Array.from({ length: 15 }, (_, i) => `$${base + i + 1}`).join(', ')})`;
    });
    const inserted = await this.dataSource.query<ToolCallRow[]>(
      `INSERT INTO agent_tool_calls (workflow_id, thread_id, call_id, batch_id, position, item_id, tool_name, tool_type, tool_source, arguments, approval, status, output, error, completed_at)
       VALUES ${rows.join(', ')} RETURNING *`,
      values,
    );
    return inserted.sort((a, b) => a.position - b.position);
  }

  async update(threadId: string, callId: string, patch: ToolCallPatch): Promise<void> {
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return;
    const sets = entries.map(([column], i) => `${column} = $${i + 3}`);
    await this.dataSource.query(`UPDATE agent_tool_calls SET ${sets.join(', ')} WHERE thread_id = $1 AND call_id = $2`, [threadId, callId, ...entries.map(([, v]) => v)]);
  }

  /** The thread's calls, oldest first (the newest THREAD_CALLS_LIMIT). */
  async forThread(threadId: string): Promise<ToolCallRow[]> {
    const rows = await this.dataSource.query<ToolCallRow[]>(
      `SELECT * FROM (SELECT * FROM agent_tool_calls WHERE thread_id = $1 ORDER BY created_at DESC, position DESC LIMIT ${THREAD_CALLS_LIMIT}) c
       ORDER BY created_at, batch_id, position`,
      [threadId],
    );
    return rows;
  }

  async find(threadId: string, callId: string): Promise<ToolCallRow | null> {
    const rows = await this.dataSource.query<ToolCallRow[]>(`SELECT * FROM agent_tool_calls WHERE thread_id = $1 AND call_id = $2`, [threadId, callId]);
    return rows[0] ?? null;
  }

  /**
   * Claims the continuation of a step whose decisions are all settled: true for exactly one
   * caller (the row locks serialize concurrent claims; the loser sees `continued_at` set), false
   * while a call of the step still waits or runs, or once someone else continued.
   */
  async claimContinuation(threadId: string, batchId: string): Promise<boolean> {
    // TypeORM answers an UPDATE … RETURNING on PostgreSQL with [rows, affectedCount].
    const [rows] = await this.dataSource.query<[Array<{ id: string }>, number]>(
      `UPDATE agent_tool_calls SET continued_at = now()
        WHERE thread_id = $1 AND batch_id = $2 AND continued_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM agent_tool_calls w WHERE w.thread_id = $1 AND w.batch_id = $2 AND w.status IN ('pending', 'running'))
        RETURNING id`,
      [threadId, batchId],
    );
    return rows.length > 0;
  }

  /** The call's row, locked until `tx` ends (decisions serialize here). */
  async findForUpdate(threadId: string, callId: string, tx: Tx): Promise<ToolCallRow | null> {
    const rows = await managerOf(tx).query<ToolCallRow[]>(`SELECT * FROM agent_tool_calls WHERE thread_id = $1 AND call_id = $2 FOR UPDATE`, [threadId, callId]);
    return rows[0] ?? null;
  }

  async decide(threadId: string, callId: string, approval: 'approved' | 'denied', decidedBy: string, status: CallStatus, output: string | null, tx: Tx): Promise<void> {
    await managerOf(tx).query(
      `UPDATE agent_tool_calls SET approval = $3, decided_by = $4, decided_at = now(), status = $5, output = COALESCE($6, output),
              completed_at = CASE WHEN $5 IN ('completed', 'failed', 'denied') THEN now() ELSE completed_at END
        WHERE thread_id = $1 AND call_id = $2`,
      [threadId, callId, approval, decidedBy, status, output],
    );
  }
}
