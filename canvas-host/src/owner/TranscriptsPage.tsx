import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { ApiError } from '../api/client';
import { type TranscriptFilters, transcriptsApi } from '../api/endpoints';
import type { TranscriptDetail, TranscriptThread } from '../api/types';
import { paths } from '../routes';
import { Link, navigate, useLocation } from '../router';
import { ConfirmButton, ErrorAlert, formatDate, Loading } from '../ui/components';
import { WorkflowTabs } from './WorkflowPage';

const PRINCIPALS: Record<string, string> = {
  user: 'You (canvas)',
  visitor: 'Anonymous visitor',
  oauth: 'Signed-in visitor',
  host: 'User of your app',
};

/** Host-app users are shown as the app named them (`Ada <ada@example.com> (user_7)`), marked as such. */
export const principalLabel = (thread: { principalKind: string; principalLabel?: string | null }) =>
  thread.principalKind === 'host' && thread.principalLabel
    ? `${thread.principalLabel} · app user`
    : thread.principalLabel || PRINCIPALS[thread.principalKind] || thread.principalKind;

/** Form values as they sit in the address bar: dates as YYYY-MM-DD. */
export interface FilterForm {
  from: string;
  to: string;
  principalKind: string;
  q: string;
}

export function filterFormFromSearch(search: string): FilterForm {
  const params = new URLSearchParams(search);
  return {
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    principalKind: params.get('principalKind') ?? '',
    q: params.get('q') ?? '',
  };
}

/** The API filters: whole local days become instants (from the start of `from` to the end of `to`). */
export function apiFilters(form: FilterForm): TranscriptFilters {
  const day = (value: string, end: boolean) => {
    const [y, m, d] = value.split('-').map(Number);
    if (!y || !m || !d) return undefined;
    return (end ? new Date(y, m - 1, d, 23, 59, 59, 999) : new Date(y, m - 1, d)).toISOString();
  };
  const from = form.from ? day(form.from, false) : undefined;
  const to = form.to ? day(form.to, true) : undefined;
  return {
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(form.principalKind ? { principalKind: form.principalKind } : {}),
    ...(form.q.trim() ? { q: form.q.trim() } : {}),
  };
}

/** A workflow's chat threads, filtered by date, principal and text, with JSONL and CSV export. */
export function TranscriptsPage({ workflowId }: { workflowId: string }) {
  const { search } = useLocation();
  const applied = filterFormFromSearch(search);
  const [form, setForm] = useState<FilterForm>(applied);
  const [threads, setThreads] = useState<TranscriptThread[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(
    async (after: string | null) => {
      setError(null);
      if (!after) setThreads(null);
      try {
        const page = await transcriptsApi.list(workflowId, apiFilters(filterFormFromSearch(search)), after);
        setThreads((current) => (after && current ? [...current, ...page.data] : page.data));
        setCursor(page.nextCursor);
      } catch (caught) {
        setError(caught);
      }
    },
    [workflowId, search],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(form)) if (value.trim()) params.set(key, value.trim());
    const query = params.toString();
    navigate(`${paths.transcripts(workflowId)}${query ? `?${query}` : ''}`, { replace: true });
  };

  return (
    <section aria-labelledby="transcripts-title">
      <h1 id="transcripts-title">Transcripts</h1>
      <WorkflowTabs workflowId={workflowId} current="transcripts" />
      <form className="filters" role="search" aria-label="Filter transcripts" onSubmit={apply} data-testid="transcript-filters">
        <label>
          From <input type="date" value={form.from} onChange={(e) => setForm({ ...form, from: e.target.value })} />
        </label>
        <label>
          To <input type="date" value={form.to} onChange={(e) => setForm({ ...form, to: e.target.value })} />
        </label>
        <label>
          Who
          <select value={form.principalKind} onChange={(e) => setForm({ ...form, principalKind: e.target.value })}>
            <option value="">Everyone</option>
            {Object.entries(PRINCIPALS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Text <input type="search" value={form.q} onChange={(e) => setForm({ ...form, q: e.target.value })} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <p className="row">
        Export all:{' '}
        <a href={transcriptsApi.exportUrl(workflowId, 'jsonl')} download data-testid="export-jsonl">
          JSON Lines
        </a>{' '}
        <a href={transcriptsApi.exportUrl(workflowId, 'csv')} download data-testid="export-csv">
          CSV
        </a>
      </p>
      {error !== null && <ErrorAlert error={error} onRetry={() => void load(null)} />}
      {threads === null && error === null && <Loading label="Loading transcripts…" />}
      {threads?.length === 0 && <p>No conversations match.</p>}
      {threads && threads.length > 0 && (
        <table className="table" data-testid="transcript-list">
          <thead>
            <tr>
              <th scope="col">Conversation</th>
              <th scope="col">Who</th>
              <th scope="col">Started</th>
              <th scope="col">Last activity</th>
            </tr>
          </thead>
          <tbody>
            {threads.map((thread) => (
              <tr key={thread.id} data-testid="transcript-row">
                <td>
                  <Link to={paths.transcript(workflowId, thread.id)}>{thread.title || 'Untitled conversation'}</Link>
                </td>
                <td>{principalLabel(thread)}</td>
                <td>{formatDate(thread.createdAt)}</td>
                <td>{formatDate(thread.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button type="button" onClick={() => void load(cursor)}>
          Show more
        </button>
      )}
    </section>
  );
}

/** A ChatKit thread item as stored (the API types items as open JSON objects). */
type Item = {
  id: string;
  type: string;
  created_at?: string;
  createdAt?: string;
  content?: { text?: unknown }[];
  copy_text?: unknown;
  name?: unknown;
  arguments?: unknown;
};

const ROLES: Record<string, string> = {
  user_message: 'User',
  assistant_message: 'Assistant',
  widget: 'Widget',
  client_tool_call: 'Tool call',
  workflow: 'Steps',
};

function itemText(item: Item): string {
  if (Array.isArray(item.content)) {
    const text = item.content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('');
    if (text) return text;
  }
  if (item.type === 'widget') return typeof item.copy_text === 'string' ? item.copy_text : '(widget)';
  if (item.type === 'client_tool_call') return `${String(item.name ?? 'tool')} ${JSON.stringify(item.arguments ?? {})}`;
  return '';
}

/** Which published version produced an item; the owner's draft chats have none. */
function VersionTag({ version }: { version: number | null | undefined }) {
  if (version === undefined) return null;
  return (
    <span className="badge" data-testid="item-version" title={version === null ? 'Answered by the draft (or before versions existed)' : `Published version ${version}`}>
      {version === null ? 'draft' : `v${version}`}
    </span>
  );
}

/** One conversation, read-only; long ones a page at a time ("Show more"). */
export function TranscriptPage({ workflowId, threadId }: { workflowId: string; threadId: string }) {
  const [thread, setThread] = useState<TranscriptDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const load = useCallback(async () => {
    setError(null);
    try {
      setThread(await transcriptsApi.thread(workflowId, threadId));
    } catch (caught) {
      setError(caught);
    }
  }, [workflowId, threadId]);
  useEffect(() => {
    void load();
  }, [load]);

  const loadMore = async () => {
    if (!thread?.nextCursor) return;
    setLoadingMore(true);
    setError(null);
    try {
      const next = await transcriptsApi.thread(workflowId, threadId, thread.nextCursor);
      setThread({ ...next, items: [...thread.items, ...next.items], itemVersions: { ...thread.itemVersions, ...next.itemVersions } });
    } catch (caught) {
      setError(caught);
    } finally {
      setLoadingMore(false);
    }
  };

  const remove = async () => {
    try {
      await transcriptsApi.remove(workflowId, threadId);
      navigate(paths.transcripts(workflowId));
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <section aria-labelledby="transcript-title">
      <p>
        <Link to={paths.transcripts(workflowId)}>← All transcripts</Link>
      </p>
      <h1 id="transcript-title">{thread?.title || 'Conversation'}</h1>
      {error instanceof ApiError && error.status === 404 ? (
        <p>This conversation no longer exists.</p>
      ) : (
        error !== null && <ErrorAlert error={error} onRetry={() => void load()} />
      )}
      {!thread && error === null && <Loading label="Loading conversation…" />}
      {thread && (
        <>
          <p className="muted">
            {principalLabel(thread)} · started {formatDate(thread.createdAt)}
          </p>
          <ol className="transcript" data-testid="transcript-items">
            {(thread.items as unknown as Item[]).map((item) => (
              <li key={item.id} data-role={item.type}>
                <span className="transcript__role">{ROLES[item.type] ?? item.type}</span>{' '}
                <time className="muted">{formatDate(item.createdAt ?? item.created_at)}</time>{' '}
                <VersionTag version={thread.itemVersions?.[item.id]} />
                <p className="transcript__text">{itemText(item)}</p>
              </li>
            ))}
          </ol>
          {thread.nextCursor && (
            <p>
              <button type="button" onClick={() => void loadMore()} disabled={loadingMore} data-testid="transcript-more">
                {loadingMore ? 'Loading…' : 'Show more'}
              </button>
            </p>
          )}
          <ConfirmButton
            label="Delete this transcript"
            confirmLabel="Delete"
            question="The visitor's copy goes too."
            onConfirm={() => void remove()}
          />
        </>
      )}
    </section>
  );
}
