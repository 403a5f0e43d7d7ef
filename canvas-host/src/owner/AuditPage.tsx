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
  'workflow.allowed_origins_changed': 'Allowed sites changed',
  'workflow.version_published': 'Version published',
  'workflow.version_rolled_back': 'Rolled back',
  'workflow.deleted': 'Deleted',
  'agent.tool_call.approved': 'Tool call approved',
  'agent.tool_call.denied': 'Tool call denied',
};

/** Who acted, as the owner reads it. */
const ACTORS: Record<string, string> = {
  user: 'you',
  system: 'Parley',
  chat: 'you',
  visitor: 'a visitor',
  oauth: 'a signed-in visitor',
  host: 'a user of your app',
};

const list = (value: unknown) => (Array.isArray(value) && value.length ? value.map(String).join(', ') : 'none');
const yesNo = (value: unknown) => (value ? 'required' : 'not required');

/** One readable line per metadata fact; raw keys never reach the page. Unknown keys get a generic phrasing. */
export function describeAuditMetadata(action: string, metadata: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    switch (key) {
      case 'token':
        lines.push(`Link ${String(value)}`);
        break;
      case 'previousToken':
        lines.push(value ? `Replaced link ${String(value)}` : 'No previous link');
        break;
      case 'requireLogin':
        lines.push(action === 'workflow.login_requirement_changed' ? `Sign-in now ${yesNo(value)}` : `Sign-in ${yesNo(value)}`);
        break;
      case 'previous':
        if (action === 'workflow.login_requirement_changed') lines.push(`Before: sign-in ${yesNo(value)}`);
        break;
      case 'linksRevoked':
        lines.push(`${Number(value)} link${Number(value) === 1 ? '' : 's'} stopped working`);
        break;
      case 'added':
        lines.push(`Added: ${list(value)}`);
        break;
      case 'removed':
        lines.push(`Removed: ${list(value)}`);
        break;
      case 'name':
        lines.push(`Name: ${String(value)}`);
        break;
      case 'wasPublic':
        lines.push(value ? 'It was public' : 'It was private');
        break;
      case 'version':
        lines.push(`Version ${String(value)}`);
        break;
      case 'previousVersion':
        lines.push(value === null || value === undefined ? 'No version was published before' : `Before: version ${String(value)}`);
        break;
      case 'created':
        if (value) lines.push('A new version was created from the draft');
        break;
      case 'tool':
        lines.push(`Tool: ${String(value)}`);
        break;
      case 'threadId':
      case 'callId':
      case 'toolType':
        break; // identifiers: in the JSON export, not worth a sentence here
      default: {
        const words = key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_.]/g, ' ').toLowerCase();
        lines.push(`${words.charAt(0).toUpperCase()}${words.slice(1)}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
      }
    }
  }
  return lines;
}

/** The workflow's audit events (publishing, versions, allowed sites, tool approvals), newest first; tokens arrive masked. */
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
              <span className="muted">by {ACTORS[event.actor.kind] ?? event.actor.kind}</span>
              {Object.keys(event.metadata).length > 0 && (
                <ul className="audit__details">
                  {describeAuditMetadata(event.action, event.metadata).map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </ul>
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
