import { type FormEvent, useState } from 'react';
import { ApiError } from '../api/client';
import type { CreateWorkflowBody, RunnerKind, RunnerProvider, Workflow } from '../api/types';
import { ErrorAlert, Field } from '../ui/components';
import { draftFromTool, type ToolDraft, toolBody, toolProblems, ToolsEditor } from './ToolsEditor';

export interface WorkflowFormState {
  name: string;
  description: string;
  runnerKind: RunnerKind;
  provider: RunnerProvider;
  model: string;
  instructions: string;
  baseUrl: string;
  temperature: string;
  /** Agent runners: most model turns per answer (empty: the server's default, 8). */
  maxSteps: string;
  tools: ToolDraft[];
  /** Webhook runner: the engine's URL. */
  webhookUrl: string;
  /** Webhook runner: `Name: value` per line; stored values come back as `***` and are kept when sent as `***`. */
  webhookHeaders: string;
  /** Webhook runner: milliseconds, empty for the default. */
  webhookTimeoutMs: string;
  /** One origin per line. */
  allowedOrigins: string;
}

export const emptyWorkflowForm: WorkflowFormState = {
  name: '',
  description: '',
  runnerKind: 'echo',
  provider: 'openai',
  model: '',
  instructions: '',
  baseUrl: '',
  temperature: '',
  maxSteps: '',
  tools: [],
  webhookUrl: '',
  webhookHeaders: '',
  webhookTimeoutMs: '',
  allowedOrigins: '',
};

export function formFromWorkflow(workflow: Workflow): WorkflowFormState {
  const runner = workflow.runner;
  return {
    name: workflow.name,
    description: workflow.description ?? '',
    runnerKind: runner.kind as RunnerKind,
    provider: (runner.provider as RunnerProvider | undefined) ?? 'openai',
    model: runner.model ?? '',
    instructions: runner.instructions ?? '',
    baseUrl: runner.baseUrl ?? '',
    temperature: runner.temperature === undefined ? '' : String(runner.temperature),
    maxSteps: runner.kind === 'agent' && runner.maxSteps !== undefined ? String(runner.maxSteps) : '',
    tools: (runner.tools ?? []).map(draftFromTool),
    webhookUrl: runner.url ?? '',
    webhookHeaders: Object.entries(runner.headers ?? {})
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n'),
    webhookTimeoutMs: runner.timeoutMs === undefined ? '' : String(runner.timeoutMs),
    allowedOrigins: workflow.allowedOrigins.join('\n'),
  };
}

/** Splits the origins field and reports entries that are not a bare origin (`https://host[:port]`). */
export function parseOrigins(text: string): { origins: string[]; invalid: string[] } {
  const origins: string[] = [];
  const invalid: string[] = [];
  for (const line of text.split(/[\s,]+/).map((l) => l.trim()).filter(Boolean)) {
    let ok = false;
    try {
      const url = new URL(line);
      ok = (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === line.replace(/\/$/, '');
    } catch {
      ok = false;
    }
    if (ok) origins.push(line.replace(/\/$/, ''));
    else invalid.push(line);
  }
  return { origins, invalid };
}

/** Problems the form finds before sending, keyed like the API's field paths. */
export function formProblems(state: WorkflowFormState): Record<string, string[]> {
  if (state.runnerKind !== 'agent') return {};
  const problems = toolProblems(state.tools);
  const steps = state.maxSteps.trim();
  if (steps && !(/^\d+$/.test(steps) && Number(steps) >= 1 && Number(steps) <= 25)) problems['runner.maxSteps'] = ['A whole number from 1 to 25.'];
  return problems;
}

/**
 * The request body for create and update: model fields only for the openai and agent runners, tools and steps only
 * for agents. Call only when `formProblems` found nothing.
 */
export function workflowBody(state: WorkflowFormState): CreateWorkflowBody {
  const model = {
    provider: state.provider,
    model: state.model.trim(),
    ...(state.instructions.trim() ? { instructions: state.instructions } : {}),
    ...(state.baseUrl.trim() ? { baseUrl: state.baseUrl.trim() } : {}),
    ...(state.temperature.trim() !== '' ? { temperature: Number(state.temperature) } : {}),
  };
  const runner =
    state.runnerKind === 'echo'
      ? { kind: 'echo' as const }
      : state.runnerKind === 'openai'
        ? { kind: 'openai' as const, ...model }
        : state.runnerKind === 'webhook'
          ? {
              kind: 'webhook' as const,
              url: state.webhookUrl.trim(),
              headers: parseHeaders(state.webhookHeaders),
              ...(state.webhookTimeoutMs.trim() !== '' ? { timeoutMs: Number(state.webhookTimeoutMs) } : {}),
            }
          : {
              kind: 'agent' as const,
              ...model,
              ...(state.maxSteps.trim() ? { maxSteps: Number(state.maxSteps) } : {}),
              tools: state.tools.map(toolBody),
            };
  return {
    name: state.name.trim(),
    description: state.description,
    runner,
    allowedOrigins: parseOrigins(state.allowedOrigins).origins,
  } as CreateWorkflowBody;
}

/** `Name: value` lines → headers (a value of `***` keeps the stored one). */
export function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Where the model's API key comes from: the server's environment, never this form (so it is never in the browser). */
export const API_KEY_VARIABLES: Record<RunnerProvider, string> = {
  openai: 'OPENAI_API_KEY',
  gemini: 'GEMINI_API_KEY',
  compatible: 'OPENAI_COMPATIBLE_API_KEY',
};

export function apiKeyHint(provider: RunnerProvider): string {
  const variable = API_KEY_VARIABLES[provider];
  return provider === 'compatible'
    ? `The API key, if your server needs one, comes from the Parley server's environment variable ${variable}, not from this form.`
    : `The API key comes from the Parley server's environment variable ${variable}, not from this form. Without it, chats answer that the assistant is not available.`;
}

export interface WorkflowFormProps {
  initial: WorkflowFormState;
  submitLabel: string;
  onSubmit: (body: CreateWorkflowBody) => Promise<void>;
  /** The saved workflow, for testing its tools; absent while creating. */
  workflowId?: string;
}

/**
 * Name, description, runner (echo, an OpenAI-compatible model, or an agent with tools) and the origins allowed to
 * embed the chat. Field errors of the API (`details.fields`, also carried by the tool error codes) show next to their
 * fields.
 */
export function WorkflowForm({ initial, submitLabel, onSubmit, workflowId }: WorkflowFormProps) {
  const [state, setState] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const set = <K extends keyof WorkflowFormState>(key: K, value: WorkflowFormState[K]) => {
    setSaved(false);
    setState((current) => ({ ...current, [key]: value }));
  };
  const [checked, setChecked] = useState<Record<string, string[]>>({});
  const server = { ...(error instanceof ApiError ? error.fields : {}), ...checked };
  const { invalid } = parseOrigins(state.allowedOrigins);
  const originErrors = invalid.length ? [`Not an origin: ${invalid.join(', ')} (use https://host or https://host:port).`] : undefined;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (invalid.length) return;
    const problems = formProblems(state);
    setChecked(problems);
    if (Object.keys(problems).length) return;
    setBusy(true);
    setError(null);
    try {
      await onSubmit(workflowBody(state));
      setSaved(true);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(event) => void submit(event)} className="stack" data-testid="workflow-form">
      <Field label="Name" errors={server.name}>
        {(props) => <input {...props} required maxLength={120} value={state.name} onChange={(e) => set('name', e.target.value)} />}
      </Field>
      <Field label="Description" hint="Only you see this; the public page shows the name only." errors={server.description}>
        {(props) => <textarea {...props} maxLength={2000} rows={3} value={state.description} onChange={(e) => set('description', e.target.value)} />}
      </Field>
      <fieldset>
        <legend>Runner</legend>
        <label>
          <input type="radio" name="runner" value="echo" checked={state.runnerKind === 'echo'} onChange={() => set('runnerKind', 'echo')} /> Echo
          (repeats the message; for trying things out)
        </label>
        <label>
          <input type="radio" name="runner" value="openai" checked={state.runnerKind === 'openai'} onChange={() => set('runnerKind', 'openai')} />{' '}
          Model (OpenAI-compatible)
        </label>
        <label>
          <input type="radio" name="runner" value="agent" checked={state.runnerKind === 'agent'} onChange={() => set('runnerKind', 'agent')} /> Agent (a
          model that calls tools)
        </label>
        <label>
          <input type="radio" name="runner" value="webhook" checked={state.runnerKind === 'webhook'} onChange={() => set('runnerKind', 'webhook')} />{' '}
          Your own engine (webhook)
        </label>
        {state.runnerKind === 'webhook' && (
          <div className="stack">
            <Field label="Engine URL" hint="Parley POSTs each turn here, signed (see docs/embedding.md)." errors={server['runner.url']}>
              {(props) => <input {...props} type="url" required value={state.webhookUrl} onChange={(e) => set('webhookUrl', e.target.value)} />}
            </Field>
            <Field label="Headers" hint="One `Name: value` per line. Values are secret: stored encrypted and shown as ***; leave *** to keep one." errors={server['runner.headers']}>
              {(props) => <textarea {...props} rows={2} value={state.webhookHeaders} onChange={(e) => set('webhookHeaders', e.target.value)} />}
            </Field>
            <Field label="Timeout (ms)" hint="Longest wait for the answer to start and between lines; empty for 30000." errors={server['runner.timeoutMs']}>
              {(props) => <input {...props} inputMode="numeric" value={state.webhookTimeoutMs} onChange={(e) => set('webhookTimeoutMs', e.target.value)} />}
            </Field>
          </div>
        )}
        {state.runnerKind !== 'echo' && state.runnerKind !== 'webhook' && (
          <div className="stack">
            <Field label="Provider" hint={apiKeyHint(state.provider)} errors={server['runner.provider']}>
              {(props) => (
                <select {...props} value={state.provider} onChange={(e) => set('provider', e.target.value as RunnerProvider)}>
                  <option value="openai">OpenAI</option>
                  <option value="gemini">Gemini</option>
                  <option value="compatible">Other OpenAI-compatible</option>
                </select>
              )}
            </Field>
            <Field label="Model" errors={server['runner.model']}>
              {(props) => <input {...props} required maxLength={200} value={state.model} onChange={(e) => set('model', e.target.value)} />}
            </Field>
            <Field label="Instructions" errors={server['runner.instructions']}>
              {(props) => <textarea {...props} rows={4} maxLength={20000} value={state.instructions} onChange={(e) => set('instructions', e.target.value)} />}
            </Field>
            <Field
              label="Base URL"
              hint={state.provider === 'compatible' ? 'Required, e.g. http://127.0.0.1:8080/v1' : 'Optional.'}
              errors={server['runner.baseUrl']}
            >
              {(props) => (
                <input {...props} type="url" required={state.provider === 'compatible'} value={state.baseUrl} onChange={(e) => set('baseUrl', e.target.value)} />
              )}
            </Field>
            <Field label="Temperature" hint="0 to 2; empty for the provider's default." errors={server['runner.temperature']}>
              {(props) => (
                <input {...props} type="number" min={0} max={2} step={0.1} value={state.temperature} onChange={(e) => set('temperature', e.target.value)} />
              )}
            </Field>
            {state.runnerKind === 'agent' && (
              <>
                <Field label="Max steps" hint="Model turns per answer, 1 to 25; empty: 8." errors={server['runner.maxSteps']}>
                  {(props) => <input {...props} inputMode="numeric" value={state.maxSteps} onChange={(e) => set('maxSteps', e.target.value)} />}
                </Field>
                <ToolsEditor tools={state.tools} onChange={(tools) => set('tools', tools)} errors={server} workflowId={workflowId} />
              </>
            )}
          </div>
        )}
      </fieldset>
      <Field
        label="Allowed origins"
        hint="Sites that may embed this chat, one per line (https://app.example.com). Empty: the server's default list. Parley's own share page is always allowed."
        errors={originErrors ?? server.allowedOrigins}
      >
        {(props) => <textarea {...props} rows={3} value={state.allowedOrigins} onChange={(e) => set('allowedOrigins', e.target.value)} />}
      </Field>
      {error !== null && <ErrorAlert error={error} />}
      <div className="row">
        <button type="submit" className="primary" disabled={busy || invalid.length > 0}>
          {submitLabel}
        </button>
        <span role="status">{saved ? 'Saved.' : ''}</span>
      </div>
    </form>
  );
}
