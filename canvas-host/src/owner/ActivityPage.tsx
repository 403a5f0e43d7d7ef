import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError } from '../api/client';
import { analyticsApi } from '../api/endpoints';
import type { WorkflowAnalytics } from '../api/types';
import { paths } from '../routes';
import { Link } from '../router';
import { ErrorAlert, formatDate, Loading } from '../ui/components';
import { ActivityChart } from './ActivityChart';
import { analyticsCsv, bucketLabel, CHANNEL_LABELS, chartsOf, type RangeKey, rangeQuery } from './analyticsData';
import { NotFoundWorkflow, useWorkflow, WorkflowTabs } from './WorkflowPage';

const RANGES: { key: RangeKey; label: string }[] = [
  { key: '24h', label: 'Last 24 hours' },
  { key: '7d', label: 'Last 7 days' },
  { key: '30d', label: 'Last 30 days' },
  { key: 'custom', label: 'Custom' },
];

const PEOPLE_LABELS: Record<string, string> = { visitor: 'Anonymous visitors', oauth: 'Signed-in visitors', host: 'Host-app users', user: 'You (canvas)' };
const personLabel = (kind: string) => PEOPLE_LABELS[kind] ?? kind;

const localDate = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

/** A workflow's Activity tab: usage, ratings, errors and speed over a range, with charts, tables and a CSV. */
export function ActivityPage({ workflowId }: { workflowId: string }) {
  const { workflow, error: workflowError } = useWorkflow(workflowId);
  const [range, setRange] = useState<RangeKey>('7d');
  const [custom, setCustom] = useState(() => {
    const today = new Date();
    return { from: localDate(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 13)), to: localDate(today) };
  });
  const [data, setData] = useState<WorkflowAnalytics | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const query = useMemo(() => rangeQuery(range, custom), [range, custom]);

  const load = useCallback(async () => {
    if ('error' in query) return;
    setLoading(true);
    setError(null);
    try {
      setData(await analyticsApi.get(workflowId, query));
    } catch (caught) {
      setError(caught);
    } finally {
      setLoading(false);
    }
  }, [workflowId, query]);
  useEffect(() => {
    void load();
  }, [load]);

  const charts = useMemo(() => (data ? chartsOf(data) : []), [data]);
  const labels = useMemo(() => (data ? data.buckets.map((b) => bucketLabel(b.start, data.granularity)) : []), [data]);
  const times = useMemo(() => (data ? data.buckets.map((b) => Date.parse(b.start) / 1000) : []), [data]);

  if (workflowError instanceof ApiError && workflowError.status === 404) return <NotFoundWorkflow />;

  const download = () => {
    if (!data) return;
    const url = URL.createObjectURL(new Blob([analyticsCsv(data)], { type: 'text/csv;charset=utf-8' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `activity-${workflowId}-${data.from.slice(0, 10)}-${data.to.slice(0, 10)}.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const t = data?.totals;
  const empty = t !== undefined && t.conversations.total === 0 && t.userMessages.total === 0;
  return (
    <section aria-labelledby="activity-title">
      <h1 id="activity-title">{workflow?.name ?? 'Workflow'}: activity</h1>
      <WorkflowTabs workflowId={workflowId} current="activity" />
      <form className="row panel" aria-label="Range" onSubmit={(e) => e.preventDefault()} data-testid="activity-range">
        <label className="field">
          <span>Range</span>
          <select value={range} onChange={(e) => setRange(e.target.value as RangeKey)} data-testid="range-select">
            {RANGES.map((r) => (
              <option key={r.key} value={r.key}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        {range === 'custom' && (
          <>
            <label className="field">
              <span>From</span>
              <input type="date" value={custom.from} onChange={(e) => setCustom({ ...custom, from: e.target.value })} />
            </label>
            <label className="field">
              <span>To (included)</span>
              <input type="date" value={custom.to} onChange={(e) => setCustom({ ...custom, to: e.target.value })} />
            </label>
          </>
        )}
        <button type="button" onClick={download} disabled={!data} data-testid="activity-csv">
          Download CSV
        </button>
      </form>
      {'error' in query && (
        <p role="alert" className="alert alert--danger">
          {query.error}
        </p>
      )}
      {error !== null && <ErrorAlert error={error} onRetry={() => void load()} />}
      {loading && !data && <Loading label="Loading activity…" />}
      {data && t && (
        <div aria-busy={loading}>
          <p className="muted" data-testid="activity-range-text">
            {formatDate(data.from)} – {formatDate(data.to)}, per {data.granularity}
          </p>
          {empty && (
            <div className="panel" data-testid="activity-empty">
              <h2>No conversations in this range</h2>
              {workflow && !workflow.isPublic ? (
                <p>
                  Publish the workflow to see visitors here: <Link to={paths.workflow(workflowId)}>Settings &amp; sharing</Link>. Your own chats in the
                  canvas bubble count too.
                </p>
              ) : (
                <p>Share the link or embed the chat on your site; conversations show up here as they happen. Try a longer range too.</p>
              )}
            </div>
          )}
          <dl className="activity-totals" data-testid="activity-totals">
            <div>
              <dt>Conversations</dt>
              <dd>{t.conversations.total}</dd>
            </div>
            <div>
              <dt>Messages</dt>
              <dd>{t.userMessages.total}</dd>
            </div>
            <div>
              <dt>People</dt>
              <dd>{t.people.total}</dd>
            </div>
            <div>
              <dt>Thumbs up</dt>
              <dd>{t.feedback.ratio === null ? '–' : `${Math.round(t.feedback.ratio * 100)}% of ${t.feedback.positive + t.feedback.negative}`}</dd>
            </div>
            <div>
              <dt>Errors</dt>
              <dd>{t.errors.total}</dd>
            </div>
            <div>
              <dt>Time to first token (p50 / p95)</dt>
              <dd>{t.ttftMs.p50 === null ? '–' : `${t.ttftMs.p50} / ${t.ttftMs.p95} ms`}</dd>
            </div>
          </dl>
          <p className="muted">
            People by kind: {Object.entries(t.people.byKind).map(([k, n]) => `${personLabel(k)} ${n}`).join(', ')}. Channels:{' '}
            {Object.entries(t.conversations.byChannel).map(([c, n]) => `${CHANNEL_LABELS[c] ?? c} ${n}`).join(', ')}.
          </p>
          {!empty && charts.map((chart) => <ActivityChart key={chart.id} chart={chart} labels={labels} times={times} />)}
          {data.tools.byTool.length > 0 && (
            <section className="panel" aria-labelledby="tools-title" data-testid="activity-tools">
              <h2 id="tools-title">Tool calls</h2>
              <div className="table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Tool</th>
                      <th scope="col">Type</th>
                      <th scope="col">Calls</th>
                      <th scope="col">Completed</th>
                      <th scope="col">Failed</th>
                      <th scope="col">Denied</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.tools.byTool.map((tool) => (
                      <tr key={`${tool.tool}-${tool.type}`}>
                        <th scope="row">{tool.tool}</th>
                        <td>{tool.type}</td>
                        <td>{tool.calls}</td>
                        <td>{tool.completed}</td>
                        <td>{tool.failed}</td>
                        <td>{tool.denied}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <p className="muted">
                Approvals: {data.tools.approvals.approved} approved, {data.tools.approvals.denied} denied, {data.tools.approvals.pending} waiting.
              </p>
            </section>
          )}
          <section className="panel" aria-labelledby="thumbs-down-title" data-testid="thumbs-down">
            <h2 id="thumbs-down-title">Recent thumbs-down answers</h2>
            {data.recentThumbsDown.length === 0 ? (
              <p className="muted">No thumbs-down in this range. When people rate an answer down, it is listed here with a link to the conversation.</p>
            ) : (
              <ul>
                {data.recentThumbsDown.map((r) => (
                  <li key={`${r.threadId}-${r.createdAt}`}>
                    <Link to={paths.transcript(workflowId, r.threadId)}>{r.threadTitle || 'Untitled conversation'}</Link>{' '}
                    <span className="muted">
                      {formatDate(r.createdAt)} · {personLabel(r.principalKind)} · {CHANNEL_LABELS[r.channel] ?? r.channel}
                    </span>
                    <blockquote>{r.answerText ?? '(the answer was replaced by a retry)'}</blockquote>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      )}
    </section>
  );
}
