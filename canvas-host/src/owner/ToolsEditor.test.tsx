import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import type { Workflow } from '../api/types';
import { error, fakeApi, workflow } from '../test/fakeApi';
import { draftFromTool, newTool, toolBody, toolProblems } from './ToolsEditor';
import { emptyWorkflowForm, formFromWorkflow, WorkflowForm, workflowBody } from './WorkflowForm';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const agentWorkflow = () =>
  workflow({
    runner: {
      kind: 'agent',
      provider: 'openai',
      model: 'gpt-4o-mini',
      maxSteps: 4,
      tools: [
        { type: 'http', name: 'lookup_order', method: 'GET', url: 'https://shop.test/orders/{id}', approval: 'always', headers: { Authorization: '***' }, timeoutMs: 2000 },
        { type: 'mcp', name: 'tasks', url: 'https://tools.test/mcp', approval: 'never', headers: { 'X-Api-Key': '***' }, allowedTools: ['list_tasks'] },
        { type: 'client', name: 'open_page', approval: 'never', parameters: { type: 'object', properties: { path: { type: 'string' } } } },
      ],
    },
  }) as Workflow;

describe('tool drafts', () => {
  it('round-trips every tool type; a stored header is kept as *** unless a new value is typed', () => {
    const source = agentWorkflow();
    const state = formFromWorkflow(source);
    expect(state.tools.map((t) => [t.type, t.headers.map((h) => [h.name, h.value, h.stored])])).toEqual([
      ['http', [['Authorization', '', true]]],
      ['mcp', [['X-Api-Key', '', true]]],
      ['client', []],
    ]);
    expect(workflowBody(state).runner).toEqual(source.runner);

    const replaced = { ...state.tools[0]!, headers: [{ ...state.tools[0]!.headers[0]!, value: 'Bearer new' }] };
    expect(toolBody(replaced).headers).toEqual({ Authorization: 'Bearer new' });
  });

  it('finds malformed parameter schemas and timeouts before sending', () => {
    const bad = { ...newTool('http'), parameters: '{"type": "object",' , timeoutMs: '2s' };
    const list = { ...newTool('client'), parameters: '[1]' };
    expect(toolProblems([newTool('client'), bad, list])).toEqual({
      'runner.tools.1.parameters': ['Parameters must be a JSON object (a JSON Schema with "type": "object").'],
      'runner.tools.1.timeoutMs': ['A whole number of milliseconds.'],
      'runner.tools.2.parameters': ['Parameters must be a JSON object (a JSON Schema with "type": "object").'],
    });
    expect(draftFromTool({ type: 'client', name: 'x', approval: 'never' }).parameters).toBe('');
  });
});

describe('WorkflowForm with an agent runner', () => {
  it('adds, edits and removes tools of each type and sends them with approval and headers', async () => {
    const onSubmit = vi.fn(async (_body: unknown) => {});
    render(<WorkflowForm initial={emptyWorkflowForm} submitLabel="Create" onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Orders' } });
    fireEvent.click(screen.getByRole('radio', { name: /Agent/ }));
    fireEvent.change(screen.getByLabelText('Model'), { target: { value: 'gpt-4o-mini' } });
    fireEvent.change(screen.getByLabelText('Max steps'), { target: { value: '5' } });

    fireEvent.click(screen.getByTestId('add-tool-http'));
    fireEvent.click(screen.getByTestId('add-tool-mcp'));
    fireEvent.click(screen.getByTestId('add-tool-client'));
    const cards = () => screen.getAllByTestId('tool-card');
    expect(cards().map((c) => c.dataset.toolType)).toEqual(['http', 'mcp', 'client']);

    const http = within(cards()[0]!);
    fireEvent.change(http.getByLabelText('Tool name'), { target: { value: 'refund' } });
    fireEvent.change(http.getByLabelText('Method'), { target: { value: 'POST' } });
    fireEvent.change(http.getByLabelText('URL'), { target: { value: 'https://shop.test/refund/{id}' } });
    fireEvent.click(http.getByTestId('tool-approval'));
    fireEvent.click(http.getByRole('button', { name: 'Add header' }));
    fireEvent.change(http.getByLabelText('Header 1 name'), { target: { value: 'Authorization' } });
    fireEvent.change(http.getByLabelText('Header 1 value'), { target: { value: 'Bearer s3cret' } });
    expect((http.getByLabelText('Header 1 value') as HTMLInputElement).type).toBe('password');
    expect(http.getByRole('button', { name: 'Test connection' }).hasAttribute('disabled')).toBe(true);
    expect(http.getByText('Save the workflow first to test its tools.')).toBeTruthy();

    const mcp = within(cards()[1]!);
    fireEvent.change(mcp.getByLabelText('Tool name'), { target: { value: 'tasks' } });
    fireEvent.change(mcp.getByLabelText('MCP server URL'), { target: { value: 'https://tools.test/mcp' } });
    expect(mcp.getByRole('button', { name: 'List tools' })).toBeTruthy();

    fireEvent.change(within(cards()[2]!).getByLabelText('Tool name'), { target: { value: 'open_page' } });
    // Remove the MCP tool again.
    fireEvent.click(mcp.getByRole('button', { name: 'Remove MCP tool 2: tasks' }));
    expect(cards()).toHaveLength(2);

    fireEvent.submit(screen.getByTestId('workflow-form'));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledOnce());
    expect((onSubmit.mock.calls[0]![0] as { runner: unknown }).runner).toEqual({
      kind: 'agent',
      provider: 'openai',
      model: 'gpt-4o-mini',
      maxSteps: 5,
      tools: [
        {
          type: 'http',
          name: 'refund',
          approval: 'always',
          method: 'POST',
          url: 'https://shop.test/refund/{id}',
          parameters: { type: 'object', properties: {} },
          headers: { Authorization: 'Bearer s3cret' },
        },
        { type: 'client', name: 'open_page', approval: 'never', parameters: { type: 'object', properties: {} } },
      ],
    });
  });

  it('shows a stored header as set, keeps it on save, and blocks a broken schema with an inline error', async () => {
    const onSubmit = vi.fn(async (_body: unknown) => {});
    render(<WorkflowForm initial={formFromWorkflow(agentWorkflow())} submitLabel="Save" onSubmit={onSubmit} workflowId="wf_1" />);
    const http = within(screen.getAllByTestId('tool-card')[0]!);
    expect(http.getByTestId('header-set').textContent).toBe('set');
    expect((http.getByLabelText('Header 1 value') as HTMLInputElement).value).toBe('');
    expect(document.body.textContent).not.toContain('***');

    const client = within(screen.getAllByTestId('tool-card')[2]!);
    fireEvent.change(client.getByLabelText('Parameters (JSON Schema)'), { target: { value: '{ nope' } });
    fireEvent.submit(screen.getByTestId('workflow-form'));
    const field = client.getByLabelText('Parameters (JSON Schema)');
    await waitFor(() => expect(field.getAttribute('aria-invalid')).toBe('true'));
    expect(client.getByText(/must be a JSON object/)).toBeTruthy();
    expect(onSubmit).not.toHaveBeenCalled();

    fireEvent.change(field, { target: { value: '{"type":"object"}' } });
    fireEvent.submit(screen.getByTestId('workflow-form'));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledOnce());
    const tools = (onSubmit.mock.calls[0]![0] as { runner: { tools: Array<{ headers?: unknown }> } }).runner.tools;
    expect(tools.map((t) => t.headers)).toEqual([{ Authorization: '***' }, { 'X-Api-Key': '***' }, undefined]);
  });

  it('puts the API’s tool errors next to the tool fields they name', async () => {
    const onSubmit = vi.fn(async (_body: unknown) => {
      throw new ApiError({
        statusCode: 400,
        code: 'outbound_url_refused',
        message: 'A tool URL points at a private address.',
        details: { fields: { 'runner.tools.0.url': ['resolves to a private address (127.0.0.1)'], 'runner.tools.2.name': ['"open_page" is already the name of another tool'] } },
      });
    });
    render(<WorkflowForm initial={formFromWorkflow(agentWorkflow())} submitLabel="Save" onSubmit={onSubmit} workflowId="wf_1" />);
    fireEvent.submit(screen.getByTestId('workflow-form'));
    const cards = await waitFor(() => {
      const found = screen.getAllByTestId('tool-card');
      expect(within(found[0]!).getByLabelText('URL').getAttribute('aria-invalid')).toBe('true');
      return found;
    });
    expect(within(cards[0]!).getByText('resolves to a private address (127.0.0.1)')).toBeTruthy();
    expect(within(cards[2]!).getByLabelText('Tool name').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByTestId('error-alert').textContent).toContain('A tool URL points at a private address.');
  });

  it('tests an HTTP tool and lists an MCP server’s tools, picking the offered ones and their approval', async () => {
    const api = fakeApi({
      'POST /api/workflows/wf_1/tools/test': [
        () => ({ json: { ok: false, code: 'tool_unreachable', message: 'The tool answered 503.' } }),
        () => ({ json: { ok: true, tools: [{ name: 'list_tasks', description: 'List tasks' }, { name: 'delete_task' }] } }),
        () => ({ status: 400, json: error(400, 'outbound_url_refused', { fields: { 'tool.url': ['is a private address'] } }) }),
      ],
    });
    vi.stubGlobal('fetch', api.fetch);
    const onSubmit = vi.fn(async (_body: unknown) => {});
    render(<WorkflowForm initial={formFromWorkflow(agentWorkflow())} submitLabel="Save" onSubmit={onSubmit} workflowId="wf_1" />);
    const [httpCard, mcpCard] = screen.getAllByTestId('tool-card');

    fireEvent.click(within(httpCard!).getByRole('button', { name: 'Test connection' }));
    expect((await within(httpCard!).findByTestId('tool-test-failed')).textContent).toBe('The tool answered 503. (tool_unreachable)');
    expect(api.called('POST /api/workflows/wf_1/tools/test')[0]!.body).toEqual({
      tool: { type: 'http', name: 'lookup_order', approval: 'always', method: 'GET', url: 'https://shop.test/orders/{id}', headers: { Authorization: '***' }, timeoutMs: 2000 },
    });

    fireEvent.click(within(mcpCard!).getByRole('button', { name: 'List tools' }));
    const table = await within(mcpCard!).findByTestId('mcp-tools');
    expect(within(mcpCard!).getByRole('status').textContent).toBe('Connected: 2 tools.');
    expect((within(table).getByLabelText('Offer list_tasks') as HTMLInputElement).checked).toBe(true);
    expect((within(table).getByLabelText('Offer delete_task') as HTMLInputElement).checked).toBe(false);
    fireEvent.click(within(table).getByLabelText('Offer delete_task'));
    fireEvent.click(within(table).getByLabelText('delete_task needs approval'));

    fireEvent.click(within(mcpCard!).getByRole('button', { name: 'List tools' }));
    expect((await within(mcpCard!).findByTestId('tool-test-failed')).textContent).toBe('is a private address');

    fireEvent.submit(screen.getByTestId('workflow-form'));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledOnce());
    const mcp = (onSubmit.mock.calls[0]![0] as { runner: { tools: unknown[] } }).runner.tools[1];
    expect(mcp).toEqual({
      type: 'mcp',
      name: 'tasks',
      approval: 'never',
      url: 'https://tools.test/mcp',
      headers: { 'X-Api-Key': '***' },
      approvalOverrides: { delete_task: 'always' },
    });
  });
});
