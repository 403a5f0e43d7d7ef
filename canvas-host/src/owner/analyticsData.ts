import type { AnalyticsBucket, WorkflowAnalytics } from '../api/types';

export type RangeKey = '24h' | '7d' | '30d' | 'custom';
export type Granularity = 'hour' | 'day' | 'week';

export interface RangeQuery {
  from: string;
  to: string;
  granularity: Granularity;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The API query of a range choice. Preset ranges end at the next whole hour; day buckets start at
 * local midnight (the API starts buckets at `from`), so a day on the chart is a day where the owner is.
 * `custom` takes two local dates (YYYY-MM-DD, both included): hours up to two days, days up to
 * 400, weeks beyond.
 */
export function rangeQuery(key: RangeKey, custom: { from: string; to: string }, now: Date = new Date()): RangeQuery | { error: string } {
  const nextHour = new Date(Math.ceil(now.getTime() / HOUR) * HOUR);
  const localMidnight = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate());
  switch (key) {
    case '24h':
      return { from: new Date(nextHour.getTime() - DAY).toISOString(), to: nextHour.toISOString(), granularity: 'hour' };
    case '7d':
    case '30d': {
      const days = key === '7d' ? 7 : 30;
      const today = localMidnight(now);
      const from = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (days - 1));
      const to = new Date(today.getFullYear(), today.getMonth(), today.getDate() + 1);
      return { from: from.toISOString(), to: to.toISOString(), granularity: 'day' };
    }
    case 'custom': {
      const parse = (value: string) => {
        const [y, m, d] = value.split('-').map(Number);
        return y && m && d ? new Date(y, m - 1, d) : null;
      };
      const from = parse(custom.from);
      const toDay = parse(custom.to);
      if (!from || !toDay) return { error: 'Choose both dates.' };
      const to = new Date(toDay.getFullYear(), toDay.getMonth(), toDay.getDate() + 1);
      if (from >= to) return { error: 'The start date must be on or before the end date.' };
      const days = (to.getTime() - from.getTime()) / DAY;
      const granularity: Granularity = days <= 2 ? 'hour' : days <= 400 ? 'day' : 'week';
      return { from: from.toISOString(), to: to.toISOString(), granularity };
    }
  }
}

/** A bucket's label on axes and in tables. */
export function bucketLabel(iso: string, granularity: Granularity): string {
  const d = new Date(iso);
  const date = d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  return granularity === 'hour' ? `${date} ${d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}` : granularity === 'week' ? `Week of ${date}` : date;
}

export const CHANNEL_LABELS: Record<string, string> = {
  canvas: 'Canvas (you)',
  page: 'Share-link page',
  embed: 'Embedded on a site',
  host: 'Host app',
  api: 'API (no origin)',
  unknown: 'Before recording',
};

export const ERROR_LABELS: Record<string, string> = {
  rate_limited: 'Rate limited',
  provider_timeout: 'Provider timed out',
  provider_unreachable: 'Provider unreachable',
  provider_unavailable: 'Provider unavailable',
  provider_auth: 'Provider refused the key',
  provider_error: 'Provider error',
  provider_bad_response: 'Bad provider response',
  provider_not_configured: 'Provider not configured',
  'stream.error': 'Server error',
  custom: 'Runner error',
};

/** One chart: labelled series of numbers (null = no value) over the buckets. */
export interface ChartData {
  id: string;
  title: string;
  unit: string;
  series: { label: string; values: (number | null)[] }[];
}

const keysOf = (buckets: AnalyticsBucket[], pick: (b: AnalyticsBucket) => Record<string, number>, always: string[]) => {
  const keys = new Set(always);
  for (const b of buckets) for (const [k, n] of Object.entries(pick(b))) if (n) keys.add(k);
  return [...keys];
};

/** The Activity tab's charts, from the API answer. */
export function chartsOf(a: WorkflowAnalytics): ChartData[] {
  const b = a.buckets;
  const channels = keysOf(b, (x) => x.conversations.byChannel, ['canvas', 'page', 'embed', 'host']).filter(
    (c) => ['canvas', 'page', 'embed'].includes(c) || b.some((x) => x.conversations.byChannel[c] || x.userMessages.byChannel[c]),
  );
  const codes = keysOf(b, (x) => x.errors.byCode, []);
  return [
    {
      id: 'conversations',
      title: 'Conversations started, by channel',
      unit: 'conversations',
      series: channels.map((c) => ({ label: CHANNEL_LABELS[c] ?? c, values: b.map((x) => x.conversations.byChannel[c] ?? 0) })),
    },
    {
      id: 'messages',
      title: 'Messages from people, by channel',
      unit: 'messages',
      series: channels.map((c) => ({ label: CHANNEL_LABELS[c] ?? c, values: b.map((x) => x.userMessages.byChannel[c] ?? 0) })),
    },
    {
      id: 'feedback',
      title: 'Thumbs up, share of all ratings',
      unit: '%',
      series: [{ label: 'Thumbs up %', values: b.map((x) => (x.feedback.ratio === null ? null : Math.round(x.feedback.ratio * 1000) / 10)) }],
    },
    {
      id: 'errors',
      title: 'Answers that ended in an error, by cause',
      unit: 'answers',
      series: codes.length ? codes.map((c) => ({ label: ERROR_LABELS[c] ?? c, values: b.map((x) => x.errors.byCode[c] ?? 0) })) : [{ label: 'Errors', values: b.map(() => 0) }],
    },
    {
      id: 'ttft',
      title: 'Time to first token',
      unit: 'ms',
      series: [
        { label: 'p50', values: b.map((x) => x.ttftMs.p50) },
        { label: 'p95', values: b.map((x) => x.ttftMs.p95) },
      ],
    },
  ];
}

/** The same columns as `parley workflow stats --format csv`. */
export function analyticsCsv(a: WorkflowAnalytics): string {
  const cols = [
    'start', 'end', 'conversations', 'conversations_canvas', 'conversations_page', 'conversations_embed', 'conversations_host',
    'user_messages', 'user_messages_canvas', 'user_messages_page', 'user_messages_embed', 'user_messages_host',
    'people', 'people_visitor', 'people_oauth', 'people_host', 'people_user', 'answers', 'feedback_positive', 'feedback_negative',
    'feedback_ratio', 'errors', 'errors_by_code', 'ttft_p50_ms', 'ttft_p95_ms',
  ];
  const n = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
  const line = (f: AnalyticsBucket) =>
    [
      f.start,
      f.end,
      n(f.conversations.total),
      ...['canvas', 'page', 'embed', 'host'].map((c) => n(f.conversations.byChannel[c] ?? 0)),
      n(f.userMessages.total),
      ...['canvas', 'page', 'embed', 'host'].map((c) => n(f.userMessages.byChannel[c] ?? 0)),
      n(f.people.total),
      ...['visitor', 'oauth', 'host', 'user'].map((k) => n(f.people.byKind[k] ?? 0)),
      n(f.answers),
      n(f.feedback.positive),
      n(f.feedback.negative),
      n(f.feedback.ratio),
      n(f.errors.total),
      Object.entries(f.errors.byCode)
        .map(([code, count]) => `${code.replace(/[^A-Za-z0-9_.-]/g, '_')}=${count}`)
        .join(';'),
      n(f.ttftMs.p50),
      n(f.ttftMs.p95),
    ].join(',');
  return [cols.join(','), ...a.buckets.map(line)].join('\r\n') + '\r\n';
}
