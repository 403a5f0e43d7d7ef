import { useState } from 'react';
import { ApiError, errorMessage } from '../api/client';
import { toolsApi } from '../api/endpoints';
import type { AgentTool, HttpMethod, ToolTestResult, ToolType } from '../api/types';
import { Field } from '../ui/components';

/** The literal the API shows for a stored header value, and reads back as "keep the stored value". */
export const MASKED = '***';

export interface HeaderDraft {
  key: number;
  name: string;
  /** What the owner typed; empty for a stored value they did not change. */
  value: string;
  /** The server holds a value for this header (shown as "set"; kept unless a new value is typed). */
  stored: boolean;
}

/** One tool as the editor holds it: text fields as typed, parsed only when the form is sent. */
export interface ToolDraft {
  key: number;
  type: ToolType;
  name: string;
  description: string;
  approval: 'never' | 'always';
  method: HttpMethod;
  url: string;
  /** JSON Schema text (http and client tools). */
  parameters: string;
  timeoutMs: string;
  headers: HeaderDraft[];
  /** MCP: server tool names offered to the model, one per line or comma; empty = all. */
  allowedTools: string;
  /** MCP: per server tool approval. */
  approvalOverrides: Record<string, 'never' | 'always'>;
}

let nextKey = 1;
const key = () => nextKey++;

export function newTool(type: ToolType): ToolDraft {
  return {
    key: key(),
    type,
    name: '',
    description: '',
    approval: 'never',
    method: 'GET',
    url: '',
    parameters: type === 'mcp' ? '' : '{\n  "type": "object",\n  "properties": {}\n}',
    timeoutMs: '',
    headers: [],
    allowedTools: '',
    approvalOverrides: {},
  };
}

/** The editor's draft of a tool the API returned (header values arrive as `***`). */
export function draftFromTool(tool: AgentTool): ToolDraft {
  return {
    ...newTool(tool.type),
    name: tool.name,
    description: tool.description ?? '',
    approval: tool.approval ?? 'never',
    method: tool.method ?? 'GET',
    url: tool.url ?? '',
    parameters: tool.parameters ? JSON.stringify(tool.parameters, null, 2) : '',
    timeoutMs: tool.timeoutMs === undefined ? '' : String(tool.timeoutMs),
    headers: Object.entries(tool.headers ?? {}).map(([name, value]) => ({ key: key(), name, value: value === MASKED ? '' : value, stored: value === MASKED })),
    allowedTools: (tool.allowedTools ?? []).join('\n'),
    approvalOverrides: { ...(tool.approvalOverrides ?? {}) },
  };
}

/** Problems found before sending (the API checks the rest): keyed like the API's field paths. */
export function toolProblems(tools: ToolDraft[], prefix = 'runner.tools'): Record<string, string[]> {
  const problems: Record<string, string[]> = {};
  tools.forEach((tool, index) => {
    if (tool.type !== 'mcp' && tool.parameters.trim()) {
      try {
        const parsed: unknown = JSON.parse(tool.parameters);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      } catch {
        problems[`${prefix}.${index}.parameters`] = ['Parameters must be a JSON object (a JSON Schema with "type": "object").'];
      }
    }
    if (tool.timeoutMs.trim() && !/^\d+$/.test(tool.timeoutMs.trim())) problems[`${prefix}.${index}.timeoutMs`] = ['A whole number of milliseconds.'];
  });
  return problems;
}

const splitList = (text: string) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

/** The API body of a tool. Call only when `toolProblems` found nothing. */
export function toolBody(tool: ToolDraft): AgentTool {
  const common = {
    type: tool.type,
    name: tool.name.trim(),
    ...(tool.description.trim() ? { description: tool.description } : {}),
    approval: tool.approval,
  };
  const headers = Object.fromEntries(
    tool.headers.filter((h) => h.name.trim()).map((h) => [h.name.trim(), h.stored && h.value === '' ? MASKED : h.value]),
  );
  const hasHeaders = Object.keys(headers).length > 0;
  const parameters = tool.parameters.trim() ? (JSON.parse(tool.parameters) as Record<string, unknown>) : undefined;
  if (tool.type === 'client') return { ...common, ...(parameters ? { parameters } : {}) } as AgentTool;
  if (tool.type === 'http') {
    return {
      ...common,
      method: tool.method,
      url: tool.url.trim(),
      ...(parameters ? { parameters } : {}),
      ...(hasHeaders ? { headers } : {}),
      ...(tool.timeoutMs.trim() ? { timeoutMs: Number(tool.timeoutMs) } : {}),
    } as AgentTool;
  }
  const allowedTools = splitList(tool.allowedTools);
  return {
    ...common,
    url: tool.url.trim(),
    ...(hasHeaders ? { headers } : {}),
    ...(allowedTools.length ? { allowedTools } : {}),
    ...(Object.keys(tool.approvalOverrides).length ? { approvalOverrides: tool.approvalOverrides } : {}),
  } as AgentTool;
}

const TYPE_LABEL: Record<ToolType, string> = { http: 'HTTP', mcp: 'MCP', client: 'Client' };
const METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export interface ToolsEditorProps {
  tools: ToolDraft[];
  onChange: (tools: ToolDraft[]) => void;
  /** Field errors keyed by API path (`runner.tools.0.url`), from the API or `toolProblems`. */
  errors: Record<string, string[]>;
  /** The saved workflow, for "Test connection"; absent while creating one. */
  workflowId?: string | undefined;
}

/** Add, edit and remove an agent's tools (CONTRACTS §1), with approval, write-only headers and a connection test. */
export function ToolsEditor({ tools, onChange, errors, workflowId }: ToolsEditorProps) {
  const update = (index: number, patch: Partial<ToolDraft>) => onChange(tools.map((tool, i) => (i === index ? { ...tool, ...patch } : tool)));
  const listErrors = errors['runner.tools'];
  return (
    <fieldset className="stack" data-testid="tools-editor">
      <legend>Tools</legend>
      {tools.length === 0 && <p className="muted">No tools yet: the model can only answer in text.</p>}
      {listErrors?.map((message) => (
        <p key={message} className="field__error">
          {message}
        </p>
      ))}
      {tools.map((tool, index) => (
        <ToolCard
          key={tool.key}
          tool={tool}
          index={index}
          errors={errors}
          workflowId={workflowId}
          onChange={(patch) => update(index, patch)}
          onRemove={() => onChange(tools.filter((_, i) => i !== index))}
        />
      ))}
      <div className="row">
        {(['http', 'mcp', 'client'] as const).map((type) => (
          <button key={type} type="button" onClick={() => onChange([...tools, newTool(type)])} data-testid={`add-tool-${type}`}>
            Add {TYPE_LABEL[type]} tool
          </button>
        ))}
      </div>
    </fieldset>
  );
}

interface ToolCardProps {
  tool: ToolDraft;
  index: number;
  errors: Record<string, string[]>;
  workflowId?: string | undefined;
  onChange: (patch: Partial<ToolDraft>) => void;
  onRemove: () => void;
}

function ToolCard({ tool, index, errors, workflowId, onChange, onRemove }: ToolCardProps) {
  const path = (field: string) => errors[`runner.tools.${index}.${field}`];
  const label = `${TYPE_LABEL[tool.type]} tool ${index + 1}${tool.name ? `: ${tool.name}` : ''}`;
  const headerErrors = Object.entries(errors)
    .filter(([field]) => field.startsWith(`runner.tools.${index}.headers`))
    .flatMap(([, messages]) => messages);
  return (
    <section className="panel stack" aria-label={label} data-testid="tool-card" data-tool-type={tool.type}>
      <div className="row row--between">
        <strong>{label}</strong>
        <button type="button" onClick={onRemove} aria-label={`Remove ${label}`}>
          Remove
        </button>
      </div>
      {path('')?.map((message) => (
        <p key={message} className="field__error">
          {message}
        </p>
      ))}
      <Field label="Tool name" hint="Letters, digits, _ and -; the name the model calls." errors={path('name')}>
        {(props) => <input {...props} required maxLength={64} pattern="[A-Za-z0-9_\-]{1,64}" value={tool.name} onChange={(e) => onChange({ name: e.target.value })} />}
      </Field>
      <Field label="Tool description" hint="Tells the model when to use it." errors={path('description')}>
        {(props) => <textarea {...props} rows={2} maxLength={1024} value={tool.description} onChange={(e) => onChange({ description: e.target.value })} />}
      </Field>
      <label>
        <input
          type="checkbox"
          checked={tool.approval === 'always'}
          onChange={(e) => onChange({ approval: e.target.checked ? 'always' : 'never' })}
          data-testid="tool-approval"
        />{' '}
        A person approves each call in the chat
      </label>
      {tool.type === 'http' && (
        <div className="row">
          <Field label="Method" errors={path('method')}>
            {(props) => (
              <select {...props} value={tool.method} onChange={(e) => onChange({ method: e.target.value as HttpMethod })}>
                {METHODS.map((m) => (
                  <option key={m}>{m}</option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Timeout (ms)" hint="100 to 60000; empty: 10000." errors={path('timeoutMs')}>
            {(props) => <input {...props} inputMode="numeric" value={tool.timeoutMs} onChange={(e) => onChange({ timeoutMs: e.target.value })} />}
          </Field>
        </div>
      )}
      {tool.type !== 'client' && (
        <Field
          label={tool.type === 'mcp' ? 'MCP server URL' : 'URL'}
          hint={tool.type === 'mcp' ? 'A Streamable HTTP endpoint, e.g. https://tools.example.com/mcp' : 'https://api.example.com/orders/{orderId}: {param}s are filled from the arguments.'}
          errors={path('url')}
        >
          {(props) => <input {...props} type="url" required value={tool.url} onChange={(e) => onChange({ url: e.target.value })} />}
        </Field>
      )}
      {tool.type !== 'mcp' && (
        <Field label="Parameters (JSON Schema)" hint='An object schema, e.g. {"type":"object","properties":{"orderId":{"type":"string"}}}' errors={path('parameters')}>
          {(props) => <textarea {...props} rows={5} spellCheck={false} className="code" value={tool.parameters} onChange={(e) => onChange({ parameters: e.target.value })} />}
        </Field>
      )}
      {tool.type !== 'client' && (
        <HeadersEditor headers={tool.headers} errors={headerErrors} onChange={(headers) => onChange({ headers })} />
      )}
      {tool.type === 'mcp' && (
        <Field label="Allowed server tools" hint="One per line; empty: every tool the server lists." errors={path('allowedTools')}>
          {(props) => <textarea {...props} rows={2} value={tool.allowedTools} onChange={(e) => onChange({ allowedTools: e.target.value })} />}
        </Field>
      )}
      {tool.type !== 'client' && <ConnectionTest tool={tool} workflowId={workflowId} onChange={onChange} />}
    </section>
  );
}

/** Header rows: values are secrets, so a stored one shows as "set" and is kept unless a new value is typed. */
function HeadersEditor({ headers, errors, onChange }: { headers: HeaderDraft[]; errors: string[]; onChange: (headers: HeaderDraft[]) => void }) {
  const update = (index: number, patch: Partial<HeaderDraft>) => onChange(headers.map((h, i) => (i === index ? { ...h, ...patch } : h)));
  return (
    <fieldset className="stack">
      <legend>Headers</legend>
      <p className="muted">Values are stored encrypted and never shown again.</p>
      {headers.map((header, index) => (
        <div key={header.key} className="row" data-testid="tool-header">
          <input aria-label={`Header ${index + 1} name`} placeholder="Authorization" value={header.name} onChange={(e) => update(index, { name: e.target.value })} />
          <input
            aria-label={`Header ${index + 1} value`}
            type="password"
            autoComplete="off"
            placeholder={header.stored ? `${MASKED} (set; type to replace)` : 'value'}
            value={header.value}
            onChange={(e) => update(index, { value: e.target.value })}
          />
          {header.stored && header.value === '' && <span className="badge" data-testid="header-set">set</span>}
          <button type="button" onClick={() => onChange(headers.filter((_, i) => i !== index))} aria-label={`Remove header ${header.name || index + 1}`}>
            ×
          </button>
        </div>
      ))}
      {errors.map((message) => (
        <p key={message} className="field__error">
          {message}
        </p>
      ))}
      <div>
        <button type="button" onClick={() => onChange([...headers, { key: key(), name: '', value: '', stored: false }])}>
          Add header
        </button>
      </div>
    </fieldset>
  );
}

/**
 * "Test connection" (HTTP) / "List tools" (MCP): sends the tool as edited; `***` headers are filled from the saved
 * tool of the same name. MCP results let the owner pick the offered tools and which need approval.
 */
function ConnectionTest({ tool, workflowId, onChange }: { tool: ToolDraft; workflowId?: string | undefined; onChange: (patch: Partial<ToolDraft>) => void }) {
  const [state, setState] = useState<{ busy: boolean; result: ToolTestResult | null; error: unknown }>({ busy: false, result: null, error: null });
  const problems = toolProblems([tool]);
  const run = async () => {
    if (!workflowId) return;
    setState({ busy: true, result: null, error: null });
    try {
      setState({ busy: false, result: await toolsApi.test(workflowId, toolBody(tool)), error: null });
    } catch (error) {
      setState({ busy: false, result: null, error });
    }
  };
  const allowed = new Set(splitList(tool.allowedTools));
  /** An empty list means "every tool": unchecking one from it lists all the others. */
  const toggleAllowed = (name: string, on: boolean, all: string[]) => {
    const next = new Set(allowed.size === 0 ? all : allowed);
    if (on) next.add(name);
    else next.delete(name);
    onChange({ allowedTools: all.every((n) => next.has(n)) ? '' : all.filter((n) => next.has(n)).join('\n') });
  };
  const result = state.result;
  return (
    <div className="stack" data-testid="tool-test">
      <div className="row">
        <button type="button" onClick={() => void run()} disabled={!workflowId || state.busy || Object.keys(problems).length > 0 || !tool.url.trim()}>
          {tool.type === 'mcp' ? 'List tools' : 'Test connection'}
        </button>
        {!workflowId && <span className="muted">Save the workflow first to test its tools.</span>}
        <span role="status">{state.busy ? 'Testing…' : result?.ok ? (tool.type === 'mcp' ? `Connected: ${result.tools?.length ?? 0} tools.` : 'Connected.') : ''}</span>
      </div>
      {result && !result.ok && (
        <p role="alert" className="alert alert--danger" data-testid="tool-test-failed">
          {result.message} <span className="muted">({result.code})</span>
        </p>
      )}
      {state.error !== null && (
        <p role="alert" className="alert alert--danger" data-testid="tool-test-failed">
          {state.error instanceof ApiError && Object.keys(state.error.fields).length
            ? Object.values(state.error.fields).flat().join(' ')
            : errorMessage(state.error)}
        </p>
      )}
      {result?.ok && tool.type === 'mcp' && result.tools && result.tools.length > 0 && (
        <table className="table" data-testid="mcp-tools">
          <thead>
            <tr>
              <th scope="col">Server tool</th>
              <th scope="col">Offered to the model</th>
              <th scope="col">Needs approval</th>
            </tr>
          </thead>
          <tbody>
            {result.tools.map((t) => (
              <tr key={t.name}>
                <td>
                  <code>{t.name}</code>
                  {t.description && <div className="muted">{t.description}</div>}
                </td>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Offer ${t.name}`}
                    checked={allowed.size === 0 || allowed.has(t.name)}
                    onChange={(e) => toggleAllowed(t.name, e.target.checked, result.tools!.map((x) => x.name))}
                  />
                </td>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`${t.name} needs approval`}
                    checked={(tool.approvalOverrides[t.name] ?? tool.approval) === 'always'}
                    onChange={(e) => onChange({ approvalOverrides: { ...tool.approvalOverrides, [t.name]: e.target.checked ? 'always' : 'never' } })}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
