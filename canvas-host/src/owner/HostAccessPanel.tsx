import { useCallback, useEffect, useState } from 'react';
import { hostsApi } from '../api/endpoints';
import type { CreatedServerKey, HostSession, ServerKey, Workflow } from '../api/types';
import { ConfirmButton, CopyButton, ErrorAlert, formatDate } from '../ui/components';

/**
 * "Your app" integration of a workflow (docs/embedding.md): server keys your backend mints end-user sessions with
 * (a new key is shown once, in memory only), the end-user sessions themselves (revocable), and — for `webhook`
 * workflows — the signing secret of the engine (also shown once).
 */
export function HostAccessPanel({ workflow }: { workflow: Workflow }) {
  const [keys, setKeys] = useState<ServerKey[] | null>(null);
  const [sessions, setSessions] = useState<HostSession[] | null>(null);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedServerKey | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const reload = useCallback(async () => {
    try {
      const [k, s] = await Promise.all([hostsApi.keys(workflow.id), hostsApi.sessions(workflow.id)]);
      setKeys(k.keys);
      setSessions(s.data);
    } catch (caught) {
      setError(caught);
    }
  }, [workflow.id]);
  useEffect(() => void reload(), [reload]);

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      await reload();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="host-access-title" data-testid="host-access-panel">
      <h2 id="host-access-title">Your app</h2>
      <p>
        Embed this chat for your own signed-in users: your backend mints a 5-minute session per user with a server key;
        each user's history follows them across devices.
      </p>

      <form
        className="row"
        onSubmit={(event) => {
          event.preventDefault();
          if (name.trim()) void run(async () => {
            setCreated(await hostsApi.createKey(workflow.id, name.trim()));
            setName('');
          });
        }}
      >
        <label>
          Key name <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} placeholder="production backend" data-testid="server-key-name" />
        </label>
        <button type="submit" disabled={busy || !name.trim()} data-testid="create-server-key">
          Create server key
        </button>
      </form>

      {created && (
        <div className="alert alert--warning issued" data-testid="issued-server-key" role="region" aria-label="New server key">
          <p>
            <strong>Copy the key now: it is shown only once.</strong> Keep it on your server; browsers are refused.
          </p>
          <label>
            Server key
            <input readOnly value={created.key} data-testid="server-key-value" onFocus={(event) => event.currentTarget.select()} />
          </label>
          <CopyButton value={created.key} label="Copy key" testId="copy-server-key" />
          <button type="button" onClick={() => setCreated(null)} data-testid="issued-server-key-done">
            I have copied it
          </button>
        </div>
      )}

      <table data-testid="server-keys">
        <caption>Server keys</caption>
        <thead>
          <tr>
            <th>Name</th>
            <th>Key</th>
            <th>Created</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(keys ?? []).map((key) => (
            <tr key={key.id} data-testid="server-key-row">
              <td>{key.name}</td>
              <td>
                <code>{key.prefix}…</code>
              </td>
              <td>{formatDate(key.createdAt)}</td>
              <td>{key.lastUsedAt ? formatDate(key.lastUsedAt) : 'never'}</td>
              <td>
                {key.revokedAt ? (
                  `revoked ${formatDate(key.revokedAt)}`
                ) : (
                  <ConfirmButton
                    label="Revoke"
                    confirmLabel="Revoke key"
                    question="Backends using it can no longer start chats."
                    disabled={busy}
                    onConfirm={() => void run(() => hostsApi.revokeKey(workflow.id, key.id))}
                    testId={`revoke-server-key-${key.id}`}
                  />
                )}
              </td>
            </tr>
          ))}
          {keys?.length === 0 && (
            <tr>
              <td colSpan={5}>No server keys yet.</td>
            </tr>
          )}
        </tbody>
      </table>

      <table data-testid="host-sessions">
        <caption>End-user sessions</caption>
        <thead>
          <tr>
            <th>User</th>
            <th>Device</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(sessions ?? []).map((session) => (
            <tr key={session.id} data-testid="host-session-row">
              <td>
                {session.user.name ?? session.user.id}
                {session.user.email ? ` <${session.user.email}>` : ''} <small>({session.user.id})</small>
              </td>
              <td>{session.deviceId}</td>
              <td>{session.lastUsedAt ? formatDate(session.lastUsedAt) : 'never'}</td>
              <td>
                {session.revokedAt ? (
                  'revoked'
                ) : (
                  <ConfirmButton
                    label="Revoke"
                    confirmLabel="End session"
                    question="Its chat ends now; the user's app must start a new session."
                    disabled={busy}
                    onConfirm={() => void run(() => hostsApi.revokeSession(workflow.id, session.id))}
                    testId={`revoke-host-session-${session.id}`}
                  />
                )}
              </td>
            </tr>
          ))}
          {sessions?.length === 0 && (
            <tr>
              <td colSpan={4}>No end-user sessions.</td>
            </tr>
          )}
        </tbody>
      </table>

      {workflow.runner.kind === 'webhook' && (
        <div data-testid="webhook-secret">
          <h3>Webhook signing secret</h3>
          <p>Your engine checks each request's <code>X-Parley-Signature</code> with it. Creating a new one replaces the old one at once.</p>
          <ConfirmButton
            label="Create or rotate secret"
            confirmLabel="Create new secret"
            question="An existing secret stops working at once."
            disabled={busy}
            onConfirm={() => void run(async () => setSecret((await hostsApi.rotateWebhookSecret(workflow.id)).secret))}
            testId="rotate-webhook-secret"
          />
          {secret && (
            <div className="alert alert--warning issued" role="region" aria-label="New signing secret">
              <p>
                <strong>Copy the secret now: it is shown only once.</strong>
              </p>
              <input readOnly value={secret} data-testid="webhook-secret-value" onFocus={(event) => event.currentTarget.select()} />
              <CopyButton value={secret} label="Copy secret" testId="copy-webhook-secret" />
              <button type="button" onClick={() => setSecret(null)}>
                I have copied it
              </button>
            </div>
          )}
        </div>
      )}
      {error !== null && <ErrorAlert error={error} />}
    </section>
  );
}
