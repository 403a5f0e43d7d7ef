import { ValidationFailedError } from '../common/errors/domain-error';

export const GRANULARITIES = ['hour', 'day', 'week'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** Most buckets one answer holds. */
export const MAX_BUCKETS = 400;

const HOUR_MS = 3_600_000;
export const STEP_MS: Record<Granularity, number> = { hour: HOUR_MS, day: 24 * HOUR_MS, week: 7 * 24 * HOUR_MS };
/** The range when `from` is not given: this many buckets before `to`. */
const DEFAULT_BUCKETS: Record<Granularity, number> = { hour: 24, day: 30, week: 12 };

export interface AnalyticsRange {
  from: Date;
  to: Date;
  granularity: Granularity;
  stepMs: number;
  buckets: number;
}

/**
 * The range of an analytics request. Data is kept per UTC hour, so `from` is rounded down and
 * `to` up to a whole hour; buckets start at `from` and are `granularity` long (a client passes its
 * local midnight as `from` to get local days), the last one ending at `to`. Refuses, with a
 * message that says what to change: an unknown granularity, unparsable dates, `from` not before
 * `to`, and more than MAX_BUCKETS buckets.
 */
export function parseRange(query: { from?: string; to?: string; granularity?: string }, now: Date = new Date()): AnalyticsRange {
  const granularity = (query.granularity ?? 'day') as Granularity;
  if (!GRANULARITIES.includes(granularity)) {
    throw new ValidationFailedError({ granularity: [`granularity must be hour, day or week (got "${String(query.granularity).slice(0, 40)}")`] }, 'Unknown granularity.');
  }
  const stepMs = STEP_MS[granularity];
  const parse = (name: 'from' | 'to', value: string | undefined): Date | undefined => {
    if (value === undefined || value === '') return undefined;
    const date = new Date(value);
    if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
      throw new ValidationFailedError({ [name]: [`${name} must be an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z`] });
    }
    return date;
  };
  const toRaw = parse('to', query.to) ?? now;
  const to = new Date(Math.ceil(toRaw.getTime() / HOUR_MS) * HOUR_MS);
  const fromRaw = parse('from', query.from) ?? new Date(to.getTime() - DEFAULT_BUCKETS[granularity] * stepMs);
  const from = new Date(Math.floor(fromRaw.getTime() / HOUR_MS) * HOUR_MS);
  if (fromRaw.getTime() >= toRaw.getTime()) {
    throw new ValidationFailedError({ from: ['from must be before to'] }, `The range is empty: from (${fromRaw.toISOString()}) is not before to (${toRaw.toISOString()}).`);
  }
  const buckets = Math.ceil((to.getTime() - from.getTime()) / stepMs);
  if (buckets > MAX_BUCKETS) {
    throw new ValidationFailedError(
      { granularity: [`the range holds ${buckets} ${granularity} buckets; at most ${MAX_BUCKETS} are allowed`] },
      `Too many buckets (${buckets} > ${MAX_BUCKETS}): choose a shorter range or a coarser granularity.`,
    );
  }
  return { from, to, granularity, stepMs, buckets };
}

/** TTFT histogram: bucket b holds (1.1^(b-1), 1.1^b] ms (SQL `chat_ttft_bucket`). */
export const TTFT_BASE = 1.1;

/** The value reported for a histogram bucket: its geometric middle, so within 5 % of any value in it. */
export function ttftBucketValue(bucket: number): number {
  return bucket <= 0 ? 1 : Math.round(TTFT_BASE ** (bucket - 0.5));
}

/** The bucket of a TTFT in ms (mirrors SQL `chat_ttft_bucket`, for tests and docs). */
export function ttftBucketOf(ms: number): number {
  return ms <= 1 ? 0 : Math.min(250, Math.ceil(Math.log(ms) / Math.log(TTFT_BASE)));
}

/** The p-quantile (0 < p ≤ 1) of a histogram (bucket → count), as a bucket value; null when empty. */
export function quantileOf(histogram: Map<number, number>, p: number): number | null {
  const entries = [...histogram.entries()].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const [bucket, n] of entries) {
    seen += n;
    if (seen >= rank) return ttftBucketValue(bucket);
  }
  return ttftBucketValue(entries[entries.length - 1][0]);
}
