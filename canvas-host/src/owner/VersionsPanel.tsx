import { useCallback, useEffect, useState } from 'react';
import { versionsApi } from '../api/endpoints';
import type { Workflow, WorkflowVersion } from '../api/types';
import { ConfirmButton, ErrorAlert } from '../ui/components';

function runnerLabel(runner: WorkflowVersion['runner']): string {
  if (runner.kind === 'echo') return 'Echo';
  const base = `${runner.kind === 'agent' ? 'Agent' : 'Model'} · ${runner.provider ?? ''} · ${runner.model ?? ''}`;
  return runner.kind === 'agent' ? `${base} · ${runner.tools?.length ?? 0} tools` : base;
}

const when = (iso: string) => new Date(iso).toLocaleString();

/**
 * Published versions (WORKFLOWS §8): what the public runs, whether the draft differs, publishing the draft and
 * rolling back. The canvas chat bubble always runs the draft, so the owner tries a change there first.
 */
export function VersionsPanel({ workflow, onChange }: { workflow: Workflow; onChange: (workflow: Workflow) => void }) {
  const [versions, setVersions] = useState<WorkflowVersion[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');

  const load = useCallback(async () => {
    try {
      setVersions((await versionsApi.list(workflow.id)).data);
    } catch (caught) {
      setError(caught);
    }
  }, [workflow.id]);
  // Reload when what the public runs may have changed (publish, revoke, a new draft).
  useEffect(() => {
    void load();
  }, [load, workflow.publishedVersion, workflow.isPublic]);

  const act = async (run: () => Promise<{ workflow: Workflow; version: WorkflowVersion }>, done: (version: number) => string) => {
    setBusy(true);
    setError(null);
    setStatus('');
    try {
      const change = await run();
      onChange(change.workflow);
      setStatus(done(change.version.version));
      await load();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="versions-title" data-testid="versions-panel">
      <h2 id="versions-title">Versions</h2>
      {workflow.publishedVersion === null ? (
        <p className="muted">
          {workflow.isPublic ? 'No version is published.' : 'Private: publishing snapshots the current settings as a version visitors chat with.'} Your chat
          bubble runs the draft.
        </p>
      ) : (
        <p data-testid="versions-status">
          Visitors chat with <strong>version {workflow.publishedVersion}</strong>.{' '}
          {workflow.draftDiffers ? (
            <span className="badge" data-testid="draft-differs">
              Draft differs from published
            </span>
          ) : (
            'The draft is the same.'
          )}{' '}
          <span className="muted">Your chat bubble runs the draft.</span>
        </p>
      )}
      {workflow.isPublic && workflow.draftDiffers && (
        <div className="row">
          <ConfirmButton
            label="Publish draft"
            confirmLabel="Publish to visitors"
            question="Visitors get the draft from their next message."
            disabled={busy}
            onConfirm={() => void act(() => versionsApi.publishDraft(workflow.id), (v) => `Published the draft as version ${v}.`)}
            testId="publish-draft"
          />
        </div>
      )}
      <span role="status">{status}</span>
      {error !== null && <ErrorAlert error={error} />}
      {versions && versions.length > 0 && (
        <table className="table" data-testid="versions-table">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Runner</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.version} data-testid="version-row" aria-current={v.published ? 'true' : undefined}>
                <td>
                  {v.version}
                  {v.published && (
                    <>
                      {' '}
                      <span className="badge badge--public">live</span>
                    </>
                  )}
                </td>
                <td>{runnerLabel(v.runner)}</td>
                <td>{when(v.createdAt)}</td>
                <td>
                  {workflow.isPublic && !v.published && (
                    <ConfirmButton
                      label={`Roll back to version ${v.version}`}
                      confirmLabel="Roll back"
                      question={`Visitors get version ${v.version} from their next message; your draft stays as it is.`}
                      disabled={busy}
                      onConfirm={() => void act(() => versionsApi.rollback(workflow.id, v.version), (n) => `Rolled back: visitors chat with version ${n}.`)}
                      testId={`rollback-${v.version}`}
                    />
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
