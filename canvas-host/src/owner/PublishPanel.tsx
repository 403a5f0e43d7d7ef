import { useEffect, useRef, useState } from 'react';
import { publishApi } from '../api/endpoints';
import type { IssuedLink, Workflow } from '../api/types';
import { ConfirmButton, CopyButton, ErrorAlert, formatDate } from '../ui/components';

export interface PublishPanelProps {
  workflow: Workflow;
  onChange: (workflow: Workflow) => void;
}

/**
 * Publish, rotate and revoke the share link, and the login toggle. A new link's token is shown exactly once, in
 * memory only: the server stores a hash and no endpoint returns it again.
 */
export function PublishPanel({ workflow, onChange }: PublishPanelProps) {
  const [requireLogin, setRequireLogin] = useState(workflow.requireLogin);
  const [issued, setIssued] = useState<IssuedLink | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState('');
  const issuedRef = useRef<HTMLDivElement>(null);

  useEffect(() => setRequireLogin(workflow.requireLogin), [workflow.requireLogin]);
  // Take keyboard and screen reader users straight to the link they must copy now.
  useEffect(() => {
    if (issued) issuedRef.current?.focus();
  }, [issued]);

  const run = async (action: () => Promise<void>, done: string) => {
    setBusy(true);
    setError(null);
    setStatus('');
    try {
      await action();
      setStatus(done);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const publish = () =>
    run(async () => {
      const link = await publishApi.publish(workflow.id, requireLogin);
      setIssued(link);
      onChange(link.workflow);
    }, 'Published.');
  const rotate = () =>
    run(async () => {
      const link = await publishApi.rotate(workflow.id);
      setIssued(link);
      onChange(link.workflow);
    }, 'The link was replaced. The old link no longer works.');
  const revoke = () =>
    run(async () => {
      setIssued(null);
      onChange(await publishApi.revoke(workflow.id));
    }, 'Revoked. The chat is private again.');
  const toggleLogin = (next: boolean) => {
    setRequireLogin(next);
    if (!workflow.isPublic) return; // Applied when publishing.
    void run(async () => onChange(await publishApi.setRequireLogin(workflow.id, next)), next ? 'Visitors must now sign in.' : 'Visitors no longer need to sign in.');
  };

  return (
    <section className="panel" aria-labelledby="publish-title" data-testid="publish-panel">
      <h2 id="publish-title">Share</h2>
      <p data-testid="publish-status">
        {workflow.isPublic ? (
          <>
            <strong>Public</strong> since {formatDate(workflow.publishedAt)}
            {workflow.requireLogin ? ' · visitors sign in' : ' · anyone with the link'}
            {workflow.publishTokenRotatedAt ? ` · link replaced ${formatDate(workflow.publishTokenRotatedAt)}` : ''}
          </>
        ) : (
          <>
            <strong>Private</strong>: only you can chat, in the bubble on this page.
          </>
        )}
      </p>

      <label className="toggle">
        <input
          type="checkbox"
          checked={requireLogin}
          disabled={busy}
          onChange={(event) => toggleLogin(event.target.checked)}
          data-testid="require-login"
        />{' '}
        Visitors must sign in (OpenID Connect) before chatting
      </label>

      {issued && (
        <div ref={issuedRef} tabIndex={-1} className="alert alert--warning issued" data-testid="issued-link" role="region" aria-label="New share link">
          <p>
            <strong>Copy the link now: it is shown only once.</strong> Anyone with it can chat with this workflow
            {issued.workflow.requireLogin ? ' after signing in' : ''}. If it is lost, replace it.
          </p>
          <label>
            Share link
            <input readOnly value={issued.shareUrl} data-testid="share-url" onFocus={(event) => event.currentTarget.select()} />
          </label>
          <CopyButton value={issued.shareUrl} label="Copy link" testId="copy-share-url" />
          <label>
            Token
            <input readOnly value={issued.publishToken} data-testid="publish-token" onFocus={(event) => event.currentTarget.select()} />
          </label>
          <CopyButton value={issued.publishToken} label="Copy token" testId="copy-publish-token" />
          <p>
            <button type="button" onClick={() => setIssued(null)} data-testid="issued-link-done">
              I have copied it
            </button>
          </p>
        </div>
      )}

      <div className="row">
        {workflow.isPublic ? (
          <>
            <ConfirmButton
              label="Replace link"
              confirmLabel="Replace"
              question="The current link stops working for new messages."
              disabled={busy}
              onConfirm={() => void rotate()}
              testId="rotate-link"
            />
            <ConfirmButton
              label="Revoke"
              confirmLabel="Revoke"
              question="Every link stops working and the chat goes offline."
              disabled={busy}
              onConfirm={() => void revoke()}
              testId="revoke-link"
            />
          </>
        ) : (
          <button type="button" className="primary" disabled={busy} onClick={() => void publish()} data-testid="publish">
            Publish
          </button>
        )}
      </div>
      <p role="status" data-testid="publish-message">
        {status}
      </p>
      {error !== null && <ErrorAlert error={error} />}
    </section>
  );
}
