import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeApi, workflow } from '../test/fakeApi';
import { ActivityPage } from './ActivityPage';
import { analyticsCsv, rangeQuery } from './analyticsData';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const figures = (n: number, extra: Record<string, unknown> = {}) => ({
  conversations: { total: n, byChannel: { canvas: 0, page: n, embed: 0, host: 0 } },
  userMessages: { total: 2 * n, byChannel: { canvas: 0, page: 2 * n, embed: 0, host: 0 } },
  people: { total: n, byKind: { visitor: n, oauth: 0, host: 0, user: 0 } },
  answers: 2 * n,
  feedback: { positive: n, negative: n, ratio: n ? 0.5 : null },
  errors: { total: n, byCode: n ? { rate_limited: n } : {} },
  ttftMs: { count: n, p50: n ? 320 : null, p95: n ? 900 : null },
  ...extra,
});

const analytics = (counts: number[]) => ({
  workflowId: 'wf_1',
  from: '2030-01-01T00:00:00.000Z',
  to: `2030-01-0${counts.length + 1}T00:00:00.000Z`,
  granularity: 'day',
  buckets: counts.map((n, i) => ({ start: `2030-01-0${i + 1}T00:00:00.000Z`, end: `2030-01-0${i + 2}T00:00:00.000Z`, ...figures(n) })),
  totals: figures(counts.reduce((a, b) => a + b, 0)),
  recentThumbsDown: counts.some(Boolean)
    ? [{ threadId: 'thr_1', itemId: 'msg_1', threadTitle: 'Refunds', principalKind: 'visitor', channel: 'page', answerText: 'Refunds take 90 days.', createdAt: '2030-01-02T10:00:00.000Z' }]
    : [],
  tools: counts.some(Boolean)
    ? { byTool: [{ tool: 'refund', type: 'mcp', calls: 3, completed: 1, failed: 0, denied: 1 }], approvals: { approved: 1, denied: 1, pending: 1 } }
    : { byTool: [], approvals: { approved: 0, denied: 0, pending: 0 } },
});

describe('ActivityPage', () => {
  it('shows totals, a chart per figure with a table alternative, and the thumbs-down list', async () => {
    const api = fakeApi({
      'GET /api/workflows/wf_1': () => ({ json: workflow({ isPublic: true }) }),
      'GET /api/workflows/wf_1/analytics': () => ({ json: analytics([1, 2]) }),
    });
    vi.stubGlobal('fetch', api.fetch);
    render(<ActivityPage workflowId="wf_1" />);

    const totals = await screen.findByTestId('activity-totals');
    expect(totals.textContent).toContain('Conversations3');
    expect(totals.textContent).toContain('320 / 900 ms');
    for (const id of ['conversations', 'messages', 'feedback', 'errors', 'ttft']) expect(screen.getByTestId(`chart-${id}`)).toBeTruthy();

    // No 2D canvas in this DOM: every chart falls back to its table (the browser suite draws them).
    const table = await screen.findByTestId('table-errors');
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(within(table).getByRole('columnheader', { name: 'Rate limited' })).toBeTruthy();

    const tools = screen.getByTestId('activity-tools');
    expect(within(tools).getByRole('rowheader', { name: 'refund' })).toBeTruthy();
    expect(tools.textContent).toContain('1 approved, 1 denied, 1 waiting');

    const list = screen.getByTestId('thumbs-down');
    expect(within(list).getByRole('link', { name: 'Refunds' }).getAttribute('href')).toBe('/workflows/wf_1/transcripts/thr_1');
    expect(list.textContent).toContain('Refunds take 90 days.');

    const query = api.called('GET /api/workflows/wf_1/analytics')[0]!.url.searchParams;
    expect(query.get('granularity')).toBe('day');
  });

  it('says what to do when nothing happened and the workflow is private', async () => {
    vi.stubGlobal(
      'fetch',
      fakeApi({
        'GET /api/workflows/wf_1': () => ({ json: workflow({ isPublic: false }) }),
        'GET /api/workflows/wf_1/analytics': () => ({ json: analytics([0, 0]) }),
      }).fetch,
    );
    render(<ActivityPage workflowId="wf_1" />);
    const empty = await screen.findByTestId('activity-empty');
    await waitFor(() => expect(empty.textContent).toContain('Publish the workflow to see visitors here'));
    expect(screen.queryByTestId('chart-conversations')).toBeNull();
  });

  it('asks for hours over the last 24 hours, and refuses a custom range that ends before it starts', async () => {
    const api = fakeApi({
      'GET /api/workflows/wf_1': () => ({ json: workflow() }),
      'GET /api/workflows/wf_1/analytics': () => ({ json: analytics([1]) }),
    });
    vi.stubGlobal('fetch', api.fetch);
    render(<ActivityPage workflowId="wf_1" />);
    await screen.findByTestId('activity-totals');
    fireEvent.change(screen.getByTestId('range-select'), { target: { value: '24h' } });
    await waitFor(() => expect(api.called('GET /api/workflows/wf_1/analytics').at(-1)!.url.searchParams.get('granularity')).toBe('hour'));
    expect(rangeQuery('custom', { from: '2030-01-05', to: '2030-01-01' })).toEqual({ error: 'The start date must be on or before the end date.' });
  });
});

describe('analytics data', () => {
  it('custom ranges pick hours, days or weeks; presets end on whole hours', () => {
    expect(rangeQuery('custom', { from: '2030-01-01', to: '2030-01-02' })).toMatchObject({ granularity: 'hour' });
    expect(rangeQuery('custom', { from: '2030-01-01', to: '2030-03-01' })).toMatchObject({ granularity: 'day' });
    expect(rangeQuery('custom', { from: '2028-01-01', to: '2030-03-01' })).toMatchObject({ granularity: 'week' });
    const q = rangeQuery('24h', { from: '', to: '' }, new Date('2030-01-01T10:20:00Z'));
    expect(q).toEqual({ from: '2029-12-31T11:00:00.000Z', to: '2030-01-01T11:00:00.000Z', granularity: 'hour' });
  });

  it('writes the CLI’s CSV columns, one line per bucket', () => {
    const lines = analyticsCsv(analytics([1]) as never).trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^start,end,conversations,/);
    expect(lines[1]).toBe('2030-01-01T00:00:00.000Z,2030-01-02T00:00:00.000Z,1,0,1,0,0,2,0,2,0,0,1,1,0,0,0,2,1,1,0.5,1,rate_limited=1,320,900');
  });
});
