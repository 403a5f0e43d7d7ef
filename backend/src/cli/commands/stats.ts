import { Command, InvalidArgumentError, Option } from 'commander';
import type { components } from '../api/schema';
import type { Context } from '../context';
import { parseId } from '../ids';
import { examples, table } from '../output';

type Analytics = components['schemas']['WorkflowAnalyticsDto'];
type Figures = components['schemas']['AnalyticsFiguresDto'];

const ID = '6f1c1d3e-2b6a-4f0e-9f55-0b8f0e2f6c1a';

interface StatsOptions {
  from?: string;
  to?: string;
  granularity: 'hour' | 'day' | 'week';
  format: 'table' | 'csv';
}

/** The CSV columns of `parley workflow stats --format csv` (the canvas export writes the same). */
export const STATS_CSV_COLUMNS = [
  'start',
  'end',
  'conversations',
  'conversations_canvas',
  'conversations_page',
  'conversations_embed',
  'conversations_host',
  'user_messages',
  'user_messages_canvas',
  'user_messages_page',
  'user_messages_embed',
  'user_messages_host',
  'people',
  'people_visitor',
  'people_oauth',
  'people_host',
  'people_user',
  'answers',
  'feedback_positive',
  'feedback_negative',
  'feedback_ratio',
  'errors',
  'errors_by_code',
  'ttft_p50_ms',
  'ttft_p95_ms',
] as const;

const num = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));

/** One CSV line per bucket (RFC 4180; no cell can start a formula: all are numbers, dates or `code=n` lists). */
export function statsCsv(a: Analytics): string {
  const line = (f: Figures & { start: string; end: string }) =>
    [
      f.start,
      f.end,
      num(f.conversations.total),
      ...['canvas', 'page', 'embed', 'host'].map((c) => num(f.conversations.byChannel[c] ?? 0)),
      num(f.userMessages.total),
      ...['canvas', 'page', 'embed', 'host'].map((c) => num(f.userMessages.byChannel[c] ?? 0)),
      num(f.people.total),
      ...['visitor', 'oauth', 'host', 'user'].map((k) => num(f.people.byKind[k] ?? 0)),
      num(f.answers),
      num(f.feedback.positive),
      num(f.feedback.negative),
      num(f.feedback.ratio),
      num(f.errors.total),
      Object.entries(f.errors.byCode)
        .map(([code, n]) => `${code.replace(/[^A-Za-z0-9_.-]/g, '_')}=${n}`)
        .join(';'),
      num(f.ttftMs.p50),
      num(f.ttftMs.p95),
    ].join(',');
  return [STATS_CSV_COLUMNS.join(','), ...a.buckets.map(line)].join('\r\n') + '\r\n';
}

const ratio = (r: number | null) => (r === null ? '-' : `${Math.round(r * 100)}%`);
const ms = (n: number | null) => (n === null ? '-' : `${n}`);

/** The terminal table: one row per bucket, then the totals. */
export function statsTable(a: Analytics): string {
  const label = (iso: string) => (a.granularity === 'hour' ? iso.slice(0, 16).replace('T', ' ') : iso.slice(0, 10));
  const row = (name: string, f: Figures) => [
    name,
    String(f.conversations.total),
    String(f.userMessages.total),
    String(f.people.total),
    String(f.answers),
    `${f.feedback.positive}/${f.feedback.negative}`,
    ratio(f.feedback.ratio),
    String(f.errors.total),
    ms(f.ttftMs.p50),
    ms(f.ttftMs.p95),
  ];
  const errors = Object.entries(a.totals.errors.byCode)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  const channels = Object.entries(a.totals.conversations.byChannel)
    .filter(([, n]) => n > 0)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  return [
    `Activity ${a.from.slice(0, 16).replace('T', ' ')} → ${a.to.slice(0, 16).replace('T', ' ')} UTC, per ${a.granularity}`,
    '',
    table(
      ['BUCKET', 'CONVERSATIONS', 'MESSAGES', 'PEOPLE', 'ANSWERS', 'UP/DOWN', 'UP %', 'ERRORS', 'TTFT P50 MS', 'TTFT P95 MS'],
      [...a.buckets.map((b) => row(label(b.start), b)), row('total', a.totals)],
    ),
    '',
    `Conversations by channel: ${channels || 'none'}`,
    `Errors by code: ${errors || 'none'}`,
    `Tool calls: ${a.tools.byTool.length ? a.tools.byTool.map((t) => `${t.tool} ${t.calls} (${t.failed} failed, ${t.denied} denied)`).join(', ') : 'none'}` +
      (a.tools.byTool.length ? `; approvals ${a.tools.approvals.approved} approved, ${a.tools.approvals.denied} denied, ${a.tools.approvals.pending} waiting` : ''),
    `Recent thumbs-down: ${a.recentThumbsDown.length}${a.recentThumbsDown.length ? ' (see them in the canvas Activity tab or with --json)' : ''}`,
  ].join('\n');
}

function isoDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(new Date(value).getTime())) throw new InvalidArgumentError('expected an ISO date or date-time, e.g. 2026-01-31 or 2026-01-31T08:00:00Z');
  return value;
}

/** `parley workflow stats <id>`. */
export function registerStatsCommand(workflow: Command, contextOf: (cmd: Command) => Context): void {
  workflow
    .command('stats')
    .description('usage, ratings, errors and time to first token of a workflow per hour, day or week (counts only)')
    .argument('<id>', 'workflow id')
    .option('--from <date>', 'start (default: 30 days, 24 hours or 12 weeks before --to)', isoDate)
    .option('--to <date>', 'end (default: now)', isoDate)
    .addOption(new Option('--granularity <unit>', 'bucket length').choices(['hour', 'day', 'week']).default('day'))
    .addOption(new Option('--format <format>', 'text output: a table, or CSV (one line per bucket)').choices(['table', 'csv']).default('table'))
    .addHelpText(
      'after',
      examples([
        ['the last 30 days', `parley workflow stats ${ID}`],
        ['yesterday per hour, as JSON for a script', `parley workflow stats ${ID} --from 2026-01-30 --to 2026-01-31 --granularity hour --json | jq .totals`],
        ['a CSV for a spreadsheet', `parley workflow stats ${ID} --format csv > activity.csv`],
      ]),
    )
    .action(async (rawId: string, options: StatsOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const api = ctx.authed();
      const id = parseId(rawId, 'workflow', 'parley workflow list');
      const query: { granularity: StatsOptions['granularity']; from?: string; to?: string } = { granularity: options.granularity };
      if (options.from) query.from = options.from;
      if (options.to) query.to = options.to;
      const stats = await api.call(api.client.GET('/api/workflows/{id}/analytics', { params: { path: { id }, query } }));
      ctx.out.result(stats, () => (options.format === 'csv' ? statsCsv(stats) : statsTable(stats)));
    });
}
