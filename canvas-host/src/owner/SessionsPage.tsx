import { useCallback, useEffect, useState } from 'react';
import { chatSessionsApi, workflowsApi } from '../api/endpoints';
import type { ChatSessionInfo } from '../api/types';
import { paths } from '../routes';
import { Link } from '../router';
import { ConfirmButton, ErrorAlert, formatDate, Loading } from '../ui/components';
import { browserDeviceId, deviceLabel } from './device';

/** The owner's chat sessions (canvas bubble tokens): revoke one, or sign out every device at once. */
export function SessionsPage() {
  const [sessions, setSessions] = useState<ChatSessionInfo[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState('');
  const [names, setNames] = useState<Record<string, string>>({});
  const [thisDevice] = useState(() => browserDeviceId());

  const load = useCallback(async () => {
    setError(null);
    try {
      setSessions(await chatSessionsApi.list());
    } catch (caught) {
      setError(caught);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  // Workflow names for the list (ids of deleted workflows stay as they are).
  useEffect(() => {
    let active = true;
    workflowsApi.list().then(
      (page) => active && setNames(Object.fromEntries(page.data.map((workflow) => [workflow.id, workflow.name]))),
      () => {},
    );
    return () => {
      active = false;
    };
  }, []);

  const act = async (action: () => Promise<void>, done: string) => {
    setMessage('');
    setError(null);
    try {
      await action();
      setMessage(done);
      await load();
    } catch (caught) {
      setError(caught);
    }
  };

  const active = sessions?.filter((session) => !session.revokedAt) ?? [];
  return (
    <section aria-labelledby="sessions-title">
      <h1 id="sessions-title">Chat sessions</h1>
      <p>Each device where you opened a workflow's chat bubble holds a short-lived chat session.</p>
      <ConfirmButton
        label="Sign out all devices"
        confirmLabel="Sign out everywhere"
        question="Open chats on every device stop working until they reconnect."
        disabled={active.length === 0}
        onConfirm={() => void act(() => chatSessionsApi.revokeAll(), 'Every chat session was signed out.')}
        testId="revoke-all-sessions"
      />
      <p role="status" data-testid="sessions-message">
        {message}
      </p>
      {error !== null && <ErrorAlert error={error} onRetry={() => void load()} />}
      {sessions === null && error === null && <Loading label="Loading sessions…" />}
      {sessions?.length === 0 && <p>No chat sessions.</p>}
      {sessions && sessions.length > 0 && (
        <table className="table" data-testid="session-list">
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Workflow</th>
              <th scope="col">Started</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((session) => (
              <tr key={session.id} data-testid="session-row">
                <td title={session.deviceId}>{deviceLabel(session, thisDevice)}</td>
                <td>
                  {names[session.workflowId] ? (
                    <Link to={paths.workflow(session.workflowId)}>{names[session.workflowId]}</Link>
                  ) : (
                    <span className="muted">Deleted or unknown workflow</span>
                  )}
                </td>
                <td>{formatDate(session.createdAt)}</td>
                <td>{formatDate(session.lastUsedAt)}</td>
                <td>{session.revokedAt ? `Signed out ${formatDate(session.revokedAt)}` : `Until ${formatDate(session.expiresAt)}`}</td>
                <td>
                  {!session.revokedAt && (
                    <button type="button" onClick={() => void act(() => chatSessionsApi.revoke(session.id), 'Signed out.')}>
                      Sign out<span className="sr-only"> {deviceLabel(session, thisDevice)}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
