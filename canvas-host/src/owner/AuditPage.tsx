import { useCallback, useEffect, useState } from 'react';
import { publishApi } from '../api/endpoints';
import type { AuditEvent } from '../api/types';
import { ErrorAlert, formatDate, Loading } from '../ui/components';
import { WorkflowTabs } from './WorkflowPage';

const ACTIONS: Record<string, string> = {
  'workflow.published': 'Published',
  'workflow.publish_rotated': 'Link replaced',
  'workflow.publish_revoked': 'Revoked',
  'workflow.login_requirement_changed': 'Sign-in requirement changed',
  'workflow.deleted': 'Deleted',
};

/** Publish, rotate, revoke and login-flag events, newest first; tokens arrive masked from the server. */
export function AuditPage({ workflowId }: { workflowId: string }) {
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(
    async (after: string | null) => {
      setError(null);
      try {
        const page = await publishApi.audit(workflowId, after);
        setEvents((current) => (after && current ? [...current, ...page.data] : page.data));
        setCursor(page.nextCursor);
      } catch (caught) {
        setError(caught);
      }
    },
    [workflowId],
  );
  useEffect(() => {
    void load(null);
  }, [load]);

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit trail</h1>
      <WorkflowTabs workflowId={workflowId} current="audit" />
      {error !== null && <ErrorAlert error={error} onRetry={() => void load(null)} />}
      {events === null && error === null && <Loading label="Loading audit trail…" />}
      {events?.length === 0 && <p>Nothing yet: events appear when this workflow is published.</p>}
      {events && events.length > 0 && (
        <ol className="audit" data-testid="audit-list">
          {events.map((event) => (
            <li key={event.id} data-testid="audit-event" data-action={event.action}>
              <strong>{ACTIONS[event.action] ?? event.action}</strong> <time>{formatDate(event.occurredAt)}</time>{' '}
              <span className="muted">by {event.actor.kind === 'system' ? 'Parley' : 'you'}</span>
              {Object.keys(event.metadata).length > 0 && (
                <dl>
                  {Object.entries(event.metadata).map(([key, value]) => (
                    <div key={key}>
                      <dt>{key}</dt>
                      <dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
                    </div>
                  ))}
                </dl>
              )}
            </li>
          ))}
        </ol>
      )}
      {cursor && (
        <button type="button" onClick={() => void load(cursor)}>
          Show more
        </button>
      )}
    </section>
  );
}
