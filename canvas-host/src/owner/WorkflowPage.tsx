import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../api/client';
import { workflowsApi } from '../api/endpoints';
import type { Workflow } from '../api/types';
import { paths } from '../routes';
import { Link, navigate } from '../router';
import { ConfirmButton, ErrorAlert, Loading } from '../ui/components';
import { HostAccessPanel } from './HostAccessPanel';
import { PublishPanel } from './PublishPanel';
import { VersionsPanel } from './VersionsPanel';
import { emptyWorkflowForm, formFromWorkflow, WorkflowForm } from './WorkflowForm';

export type WorkflowTab = 'settings' | 'activity' | 'transcripts' | 'audit';

/** The sub-navigation shared by a workflow's pages. */
export function WorkflowTabs({ workflowId, current }: { workflowId: string; current: WorkflowTab }) {
  const tab = (key: WorkflowTab, to: string, label: string) => (
    <Link to={to} aria-current={current === key ? 'page' : undefined}>
      {label}
    </Link>
  );
  return (
    <nav className="tabs" aria-label="Workflow">
      {tab('settings', paths.workflow(workflowId), 'Settings & sharing')}
      {tab('activity', paths.activity(workflowId), 'Activity')}
      {tab('transcripts', paths.transcripts(workflowId), 'Transcripts')}
      {tab('audit', paths.audit(workflowId), 'Audit trail')}
    </nav>
  );
}

/** Loads one workflow for a page; `reload` after changes made elsewhere. */
export function useWorkflow(workflowId: string) {
  const [workflow, setWorkflow] = useState<Workflow | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = useCallback(async () => {
    setError(null);
    try {
      setWorkflow(await workflowsApi.get(workflowId));
    } catch (caught) {
      setError(caught);
    }
  }, [workflowId]);
  useEffect(() => {
    setWorkflow(null);
    void reload();
  }, [reload]);
  return { workflow, setWorkflow, error, reload };
}

export function NewWorkflowPage() {
  return (
    <section aria-labelledby="new-workflow-title">
      <h1 id="new-workflow-title">New workflow</h1>
      <WorkflowForm
        initial={emptyWorkflowForm}
        submitLabel="Create workflow"
        onSubmit={async (body) => {
          const created = await workflowsApi.create(body);
          navigate(paths.workflow(created.id));
        }}
      />
    </section>
  );
}

/** A workflow's settings and its share panel. */
export function WorkflowPage({ workflowId }: { workflowId: string }) {
  const { workflow, setWorkflow, error, reload } = useWorkflow(workflowId);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  // Once known, the workflow's name titles the page (the owner app's generic title comes first).
  const name = workflow?.name;
  useEffect(() => {
    if (name) document.title = `${name} · Parley`;
  }, [name]);

  if (error instanceof ApiError && error.status === 404) return <NotFoundWorkflow />;
  if (error !== null) return <ErrorAlert error={error} onRetry={() => void reload()} />;
  if (!workflow) return <Loading label="Loading workflow…" />;

  const remove = async () => {
    try {
      await workflowsApi.remove(workflow.id);
      navigate(paths.workflows());
    } catch (caught) {
      setDeleteError(caught);
    }
  };

  return (
    <section aria-labelledby="workflow-title">
      <h1 id="workflow-title">{workflow.name}</h1>
      <WorkflowTabs workflowId={workflow.id} current="settings" />
      <PublishPanel workflow={workflow} onChange={setWorkflow} />
      <VersionsPanel workflow={workflow} onChange={setWorkflow} />
      <HostAccessPanel workflow={workflow} />
      <section className="panel" aria-labelledby="settings-title">
        <h2 id="settings-title">Settings</h2>
        <WorkflowForm
          key={workflow.id}
          initial={formFromWorkflow(workflow)}
          submitLabel="Save changes"
          workflowId={workflow.id}
          onSubmit={async (body) => setWorkflow(await workflowsApi.update(workflow.id, body))}
        />
      </section>
      <section className="panel" aria-labelledby="danger-title">
        <h2 id="danger-title">Delete</h2>
        <ConfirmButton
          label="Delete workflow"
          confirmLabel="Delete for good"
          question="Its share links and every transcript are deleted too."
          onConfirm={() => void remove()}
          testId="delete-workflow"
        />
        {deleteError !== null && <ErrorAlert error={deleteError} />}
      </section>
    </section>
  );
}

export function NotFoundWorkflow() {
  return (
    <section aria-labelledby="wf-missing">
      <h1 id="wf-missing">Workflow not found</h1>
      <p>
        It may have been deleted. <Link to={paths.workflows()}>Back to your workflows</Link>
      </p>
    </section>
  );
}
