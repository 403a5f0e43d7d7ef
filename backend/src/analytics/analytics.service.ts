import { Injectable } from '@nestjs/common';
import { WorkflowsService } from '../workflows/workflows.service';
import { AnalyticsRange, parseRange, quantileOf } from './analytics-range';
import { AnalyticsRepository } from './analytics.repository';
import type { AnalyticsFiguresDto, AnalyticsQueryDto, ThumbsDownDto, ToolAnalyticsDto, WorkflowAnalyticsDto } from './analytics.dto';

/** Channels and kinds always present in the answer (0 when nothing happened), so charts keep their series. */
export const CHANNELS = ['canvas', 'page', 'embed', 'host'] as const;
export const PEOPLE_KINDS = ['visitor', 'oauth', 'host', 'user'] as const;
const THUMBS_DOWN_LIMIT = 10;
const THUMBS_DOWN_TEXT = 280;

interface RollupRow {
  b: number;
  metric: string;
  key: string;
  n: string;
}

interface PeopleRow {
  b: number;
  principal_kind: string;
  people: string;
}

/** A bucket's figures while they are summed up. */
class Accumulator {
  conversations = new Map<string, number>();
  userMessages = new Map<string, number>();
  people = new Map<string, number>();
  answers = 0;
  feedback = { positive: 0, negative: 0 };
  errors = new Map<string, number>();
  ttft = new Map<number, number>();

  add(metric: string, key: string, n: number): void {
    switch (metric) {
      case 'conversations':
        return bump(this.conversations, key, n);
      case 'user_messages':
        return bump(this.userMessages, key, n);
      case 'answers':
        this.answers += n;
        return;
      case 'feedback':
        if (key === 'positive' || key === 'negative') this.feedback[key] += n;
        return;
      case 'errors':
        return bump(this.errors, key, n);
      case 'ttft':
        return bump(this.ttft, Number(key), n);
    }
  }

  figures(): AnalyticsFiguresDto {
    const { positive, negative } = this.feedback;
    return {
      conversations: channelCounts(this.conversations),
      userMessages: channelCounts(this.userMessages),
      people: { total: sum(this.people), byKind: withDefaults(this.people, PEOPLE_KINDS) },
      answers: this.answers,
      feedback: { positive, negative, ratio: positive + negative === 0 ? null : round4(positive / (positive + negative)) },
      errors: { total: sum(this.errors), byCode: Object.fromEntries([...this.errors].filter(([, n]) => n !== 0).sort()) },
      ttftMs: { count: sum(this.ttft), p50: quantileOf(this.ttft, 0.5), p95: quantileOf(this.ttft, 0.95) },
    };
  }
}

function bump<K>(map: Map<K, number>, key: K, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

function sum(map: Map<unknown, number>): number {
  let total = 0;
  for (const n of map.values()) total += n;
  return total;
}

function withDefaults(map: Map<string, number>, keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(keys.map((k) => [k, 0]));
  for (const [k, n] of map) if (n !== 0 || k in out) out[k] = (out[k] ?? 0) + n;
  return out;
}

function channelCounts(map: Map<string, number>): { total: number; byChannel: Record<string, number> } {
  return { total: sum(map), byChannel: withDefaults(map, CHANNELS) };
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * Owner analytics of one workflow. Counts come from the hourly rollup the transcript tables'
 * triggers maintain (migration WorkflowAnalytics), so the cost follows the number of hours in the
 * range, not the number of messages; only the thumbs-down list reads transcripts (ten rows, by
 * index). Every statement is bound to the workflow, after the ownership check.
 */
@Injectable()
export class AnalyticsService {
  constructor(
    private readonly repo: AnalyticsRepository,
    private readonly workflows: WorkflowsService,
  ) {}

  async forWorkflow(ownerId: string, workflowId: string, query: AnalyticsQueryDto, now: Date = new Date()): Promise<WorkflowAnalyticsDto> {
    const range = parseRange(query, now);
    await this.workflows.getOwned(ownerId, workflowId);
    const [rollup, people, thumbsDown, tools] = await Promise.all([
      this.rollup(workflowId, range),
      this.people(workflowId, range),
      this.thumbsDown(workflowId, range),
      this.tools(workflowId, range),
    ]);
    const buckets = Array.from({ length: range.buckets }, () => new Accumulator());
    const totals = new Accumulator();
    for (const row of rollup) {
      const n = Number(row.n);
      buckets[row.b]?.add(row.metric, row.key, n);
      totals.add(row.metric, row.key, n);
    }
    for (const row of people) {
      const target = row.b < 0 ? totals : buckets[row.b];
      if (target) bump(target.people, row.principal_kind, Number(row.people));
    }
    return {
      workflowId,
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      granularity: range.granularity,
      buckets: buckets.map((acc, i) => {
        const start = range.from.getTime() + i * range.stepMs;
        return { start: new Date(start).toISOString(), end: new Date(Math.min(start + range.stepMs, range.to.getTime())).toISOString(), ...acc.figures() };
      }),
      totals: totals.figures(),
      recentThumbsDown: thumbsDown,
      tools,
    };
  }

  /**
   * Rollup sums per bucket, metric and key. `date_bin` puts each hour in its bucket (buckets start
   * at `from`) with timestamp arithmetic; one index range scan of the workflow's hours.
   */
  private async rollup(workflowId: string, r: AnalyticsRange): Promise<RollupRow[]> {
    const rows = await this.repo.rollup(workflowId, r.from, r.to, r.stepMs / 1000);
    return rows.map((row) => ({ ...row, b: bucketIndex(row.b, r) }));
  }

  /**
   * Distinct people per bucket and kind, and over the whole range (b = -1), exact, from the people
   * counters (`chat_rollup_reach`: one row per hour and kind, see the repository).
   */
  private async people(workflowId: string, r: AnalyticsRange): Promise<PeopleRow[]> {
    const rows = await this.repo.people(workflowId, r.from, r.to, r.stepMs / 1000);
    return rows.map((row) => ({ ...row, b: row.b === null ? -1 : bucketIndex(row.b, r) }));
  }

  /** The newest thumbs-down ratings in the range with the rated answer's text (the owner's own transcripts). */
  private async thumbsDown(workflowId: string, r: AnalyticsRange): Promise<ThumbsDownDto[]> {
    const rows = await this.repo.thumbsDown(workflowId, r.from, r.to, THUMBS_DOWN_LIMIT);
    return rows.map((row) => ({
      threadId: row.thread_id,
      itemId: row.item_id,
      threadTitle: row.title,
      principalKind: row.principal_kind,
      channel: row.channel,
      answerText: row.item ? Array.from(textOf(row.item)).slice(0, THUMBS_DOWN_TEXT).join('') : null,
      createdAt: new Date(row.created_at).toISOString(),
    }));
  }

  /**
   * Tool calls of agent workflows in the range, by tool, and the outcomes of the ones that needed
   * approval (table `agent_tool_calls`, index `(workflow_id, created_at)`; tool calls are a small
   * fraction of items, so they are counted directly rather than rolled up).
   */
  private async tools(workflowId: string, r: AnalyticsRange): Promise<ToolAnalyticsDto> {
    const rows = await this.repo.tools(workflowId, r.from, r.to);
    const approvals = { approved: 0, denied: 0, pending: 0 };
    for (const row of rows) {
      approvals.approved += Number(row.approved_n);
      approvals.denied += Number(row.denied_n);
      approvals.pending += Number(row.pending_n);
    }
    return {
      byTool: rows.map((row) => ({
        tool: row.tool_name,
        type: row.tool_type,
        calls: Number(row.calls),
        completed: Number(row.completed),
        failed: Number(row.failed),
        denied: Number(row.denied),
      })),
      approvals,
    };
  }
}

/** The index of the bucket starting at `start`. */
function bucketIndex(start: Date | string, r: AnalyticsRange): number {
  return Math.round((new Date(start).getTime() - r.from.getTime()) / r.stepMs);
}

/** The text of an assistant message item. */
function textOf(item: Record<string, unknown>): string {
  const content = item.content;
  if (!Array.isArray(content)) return '';
  return content.map((part: unknown) => (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : '')).join('');
}
