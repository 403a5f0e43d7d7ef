import { useCallback, useEffect, useState } from 'react';
import { workflowsApi } from '../api/endpoints';
import type { Workflow } from '../api/types';
import { paths } from '../routes';
import { Link } from '../router';
import { ErrorAlert, formatDate, Loading } from '../ui/components';

export function publishStatus(workflow: Workflow): string {
  if (!workflow.isPublic) return 'Private';
  return workflow.requireLogin ? 'Public · sign-in required' : 'Public';
}

/** The owner's workflows with their publish status, newest first. */
export function WorkflowsPage() {
  const [items, setItems] = useState<Workflow[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async (after: string | null) => {
    setError(null);
    try {
      const page = await workflowsApi.list(after);
      setItems((current) => (after && current ? [...current, ...page.data] : page.data));
      setCursor(page.nextCursor);
    } catch (caught) {
      setError(caught);
    }
  }, []);

  useEffect(() => {
    void load(null);
  }, [load]);

  return (
    <section aria-labelledby="workflows-title">
      <div className="row row--between">
        <h1 id="workflows-title">Workflows</h1>
        <Link className="button primary" to={paths.newWorkflow()} data-testid="new-workflow">
          New workflow
        </Link>
      </div>
      {error !== null && <ErrorAlert error={error} onRetry={() => void load(null)} />}
      {items === null && error === null && <Loading label="Loading workflows…" />}
      {items?.length === 0 && <p>No workflows yet. Create one to publish it as a chat.</p>}
      {items && items.length > 0 && (
        <table className="table" data-testid="workflow-list">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Runner</th>
              <th scope="col">Status</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {items.map((workflow) => (
              <tr key={workflow.id} data-testid="workflow-row" data-workflow-id={workflow.id}>
                <td>
                  <Link to={paths.workflow(workflow.id)}>{workflow.name}</Link>
                </td>
                <td>{workflow.runner.kind === 'echo' ? 'Echo' : `${workflow.runner.kind === 'agent' ? 'Agent · ' : ''}${workflow.runner.provider ?? 'openai'} · ${workflow.runner.model ?? ''}`}</td>
                <td>
                  <span className={`badge ${workflow.isPublic ? 'badge--public' : ''}`} data-testid="workflow-status">
                    {publishStatus(workflow)}
                  </span>
                </td>
                <td>{formatDate(workflow.updatedAt)}</td>
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
