import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface RollupSumRow {
  b: Date;
  metric: string;
  key: string;
  n: string;
}

export interface PeopleCountRow {
  /** The bucket's start; null for the whole range. */
  b: Date | null;
  principal_kind: string;
  people: string;
}

export interface ThumbsDownRow { thread_id: string; created_at: Date; title: string | null; principal_kind: string; channel: string; item_id: string | null; item: Record<string, unknown> | null }

export interface ToolCountRow { tool_name: string; tool_type: string; calls: string; completed: string; failed: string; denied: string; approved_n: string; denied_n: string; pending_n: string }

/**
 * The SQL of owner analytics: reads only, of the hourly rollup the triggers maintain (migration
 * WorkflowAnalytics), the rated answers and the agent tool calls; every statement bound to one
 * workflow and a time range.
 */
@Injectable()
export class AnalyticsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Rollup sums per bucket (buckets of `stepSeconds` starting at `from`), metric and key. */
  rollup(workflowId: string, from: Date, to: Date, stepSeconds: number): Promise<RollupSumRow[]> {
    return this.dataSource.query<RollupSumRow[]>(
      `SELECT date_bin($4::interval, hour, $2::timestamptz) AS b, metric, key, sum(n)::text AS n
         FROM chat_rollup
        WHERE workflow_id = $1 AND hour >= $2::timestamptz AND hour < $3::timestamptz
        GROUP BY 1, 2, 3`,
      [workflowId, from.toISOString(), to.toISOString(), `${stepSeconds} seconds`],
    );
  }

  /**
   * Distinct people per bucket and kind, and over the whole range (b = null), from the people
   * counters (`chat_rollup_reach`, migration AnalyticsPeopleReach): a bucket starting at `from`
   * adds, for each of its hours h, the people active at h and not in the hours of the bucket
   * before it (`far_n + near[h − bucket start + 1]`). The range total is Σ `last_n` (people whose latest
   * activity is in that hour) over the hours from `from` on — exact as long as nobody is active at
   * or after `to`; a range that ends before the workflow's latest activity counts distinct people
   * over the person-hour rows instead (`chat_rollup_people`).
   */
  people(workflowId: string, from: Date, to: Date, stepSeconds: number): Promise<PeopleCountRow[]> {
    return this.dataSource.query<PeopleCountRow[]>(
      `WITH later AS (
         SELECT EXISTS (SELECT 1 FROM chat_rollup_reach WHERE workflow_id = $1 AND hour >= $3::timestamptz AND far_n + coalesce(near[1], 0) <> 0) AS active
       )
       SELECT date_bin($4::interval, hour, $2::timestamptz) AS b, principal_kind,
              sum(far_n + coalesce(near[1 + (extract(epoch FROM hour - date_bin($4::interval, hour, $2::timestamptz)) / 3600)::integer], 0))::text AS people
         FROM chat_rollup_reach
        WHERE workflow_id = $1 AND hour >= $2::timestamptz AND hour < $3::timestamptz
        GROUP BY 1, 2
       UNION ALL
       SELECT NULL, principal_kind, sum(last_n)::text
         FROM chat_rollup_reach
        WHERE workflow_id = $1 AND hour >= $2::timestamptz AND NOT (SELECT active FROM later)
        GROUP BY 2
       UNION ALL
       SELECT NULL, principal_kind, count(DISTINCT person)::text
         FROM chat_rollup_people
        WHERE workflow_id = $1 AND hour >= $2::timestamptz AND hour < $3::timestamptz AND n > 0 AND (SELECT active FROM later)
        GROUP BY 2`,
      [workflowId, from.toISOString(), to.toISOString(), `${stepSeconds} seconds`],
    );
  }

  /** The newest `limit` thumbs-down ratings in the range, with the rated answer. */
  thumbsDown(workflowId: string, from: Date, to: Date, limit: number): Promise<ThumbsDownRow[]> {
    return this.dataSource.query<ThumbsDownRow[]>(
      `SELECT f.thread_id, f.created_at, t.title, t.principal_kind, t.channel, a.id AS item_id, a.data AS item
         FROM chat_feedback f
         JOIN chat_threads t ON t.id = f.thread_id AND t.workflow_id = $1
         LEFT JOIN LATERAL (
                SELECT i.id, i.data FROM chat_items i
                 WHERE i.thread_id = f.thread_id AND i.id = ANY (f.item_ids) AND i.type = 'assistant_message' AND NOT i.hidden
                 ORDER BY i.ordinal LIMIT 1
              ) a ON true
        WHERE f.workflow_id = $1 AND f.kind = 'negative' AND f.created_at >= $2::timestamptz AND f.created_at < $3::timestamptz
        ORDER BY f.created_at DESC, f.id DESC
        LIMIT ${limit}`,
      [workflowId, from.toISOString(), to.toISOString()],
    );
  }

  /** Tool calls in the range by tool, with their outcomes and approvals. */
  tools(workflowId: string, from: Date, to: Date): Promise<ToolCountRow[]> {
    return this.dataSource.query<ToolCountRow[]>(
      `SELECT tool_name, tool_type, count(*)::text AS calls,
              count(*) FILTER (WHERE status = 'completed')::text AS completed,
              count(*) FILTER (WHERE status = 'failed')::text AS failed,
              count(*) FILTER (WHERE status = 'denied')::text AS denied,
              count(*) FILTER (WHERE approval = 'approved')::text AS approved_n,
              count(*) FILTER (WHERE approval = 'denied')::text AS denied_n,
              count(*) FILTER (WHERE approval = 'pending' AND status = 'pending')::text AS pending_n
         FROM agent_tool_calls
        WHERE workflow_id = $1 AND created_at >= $2::timestamptz AND created_at < $3::timestamptz
        GROUP BY tool_name, tool_type
        ORDER BY count(*) DESC, tool_name`,
      [workflowId, from.toISOString(), to.toISOString()],
    );
  }
}
