import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import type { Workflow } from '../api/types';
import { workflow } from '../test/fakeApi';
import { emptyWorkflowForm, formFromWorkflow, parseOrigins, WorkflowForm, workflowBody } from './WorkflowForm';

afterEach(cleanup);

describe('workflow form helpers', () => {
  it('accepts bare origins only', () => {
    expect(parseOrigins('https://app.example.com\nhttp://localhost:5173/, https://x.test:8443')).toEqual({
      origins: ['https://app.example.com', 'http://localhost:5173', 'https://x.test:8443'],
      invalid: [],
    });
    expect(parseOrigins('https://a.test/path ftp://b.test nonsense').invalid).toEqual(['https://a.test/path', 'ftp://b.test', 'nonsense']);
  });

  it('sends openai-only fields only for the openai runner', () => {
    expect(workflowBody({ ...emptyWorkflowForm, name: ' Bot ', model: 'ignored' })).toEqual({
      name: 'Bot',
      description: '',
      runner: { kind: 'echo' },
      allowedOrigins: [],
    });
    expect(
      workflowBody({ ...emptyWorkflowForm, name: 'Bot', runnerKind: 'openai', provider: 'compatible', model: 'm', baseUrl: 'http://127.0.0.1:8080/v1', temperature: '0.5' }).runner,
    ).toEqual({ kind: 'openai', provider: 'compatible', model: 'm', baseUrl: 'http://127.0.0.1:8080/v1', temperature: 0.5 });
  });

  it('round-trips a webhook workflow: masked headers go back as *** (kept), new ones are sent', () => {
    const source = workflow({ runner: { kind: 'webhook', url: 'https://engine.test/hook', headers: { Authorization: '***' }, timeoutMs: 5000 } }) as unknown as Workflow;
    const form = formFromWorkflow(source);
    expect(form.webhookHeaders).toBe('Authorization: ***');
    expect(workflowBody({ ...form, webhookHeaders: `${form.webhookHeaders}\nX-Tenant: acme` }).runner).toEqual({
      kind: 'webhook',
      url: 'https://engine.test/hook',
      headers: { Authorization: '***', 'X-Tenant': 'acme' },
      timeoutMs: 5000,
    });
  });

  it('round-trips a workflow', () => {
    const source = workflow({ runner: { kind: 'openai', provider: 'gemini', model: 'g', instructions: 'Be brief' }, allowedOrigins: ['https://a.test'] }) as Workflow;
    const body = workflowBody(formFromWorkflow(source));
    expect(body).toMatchObject({ name: 'Support bot', runner: { kind: 'openai', provider: 'gemini', model: 'g', instructions: 'Be brief' }, allowedOrigins: ['https://a.test'] });
  });
});

describe('WorkflowForm', () => {
  it('blocks invalid origins and shows server field errors next to their fields', async () => {
    const onSubmit = vi.fn(async (_body: unknown) => {
      throw new ApiError({ statusCode: 400, code: 'validation_failed', message: 'Invalid.', details: { fields: { name: ['name is taken'] } } });
    });
    render(<WorkflowForm initial={emptyWorkflowForm} submitLabel="Create" onSubmit={onSubmit} />);

    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Bot' } });
    fireEvent.change(screen.getByLabelText('Allowed origins'), { target: { value: 'not an origin' } });
    expect((screen.getByRole('button', { name: 'Create' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText(/Not an origin: not/)).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Allowed origins'), { target: { value: 'https://ok.test' } });
    fireEvent.click(screen.getByRole('radio', { name: /Model/ }));
    expect(screen.getByLabelText('Model')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Model'), { target: { value: 'gpt-x' } });
    fireEvent.submit(screen.getByTestId('workflow-form'));

    await waitFor(() => expect(onSubmit).toHaveBeenCalledOnce());
    expect(onSubmit.mock.calls[0]![0]).toMatchObject({ allowedOrigins: ['https://ok.test'], runner: { kind: 'openai', model: 'gpt-x' } });
    const name = screen.getByLabelText('Name');
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(name.getAttribute('aria-describedby')!.split(' ').at(-1)!)?.textContent).toBe('name is taken');
  });

  it('says where the API key comes from (the server environment variable of the chosen provider)', () => {
    render(<WorkflowForm initial={{ ...emptyWorkflowForm, runnerKind: 'openai' }} submitLabel="Save" onSubmit={vi.fn()} />);
    const provider = screen.getByLabelText('Provider');
    const hint = () => document.getElementById(provider.getAttribute('aria-describedby')!.split(' ')[0]!)?.textContent ?? '';
    expect(hint()).toContain('OPENAI_API_KEY');
    fireEvent.change(provider, { target: { value: 'gemini' } });
    expect(hint()).toContain('GEMINI_API_KEY');
    fireEvent.change(provider, { target: { value: 'compatible' } });
    expect(hint()).toContain('OPENAI_COMPATIBLE_API_KEY');
    expect(screen.getByText(/own share page is always allowed/)).toBeTruthy();
  });
});

