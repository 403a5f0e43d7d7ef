import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RuntimeConfig } from '../config/runtimeConfig';
import { fakeApi, fakeRemote, runtimeConfig, workflow } from '../test/fakeApi';
import { ChatBubble, WorkflowChat } from './ChatBubble';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const MANIFEST = 'http://localhost:3000/widget/mf-manifest.json';

describe('ChatBubble', () => {
  it('downloads the remote on the first open only, and keeps the chat across close and reopen', async () => {
    const remote = fakeRemote();
    render(<ChatBubble workflowId="wf_1" title="Support bot" manifestUrl={MANIFEST} loadOptions={remote.loadOptions} />);

    const fab = screen.getByRole('button', { name: 'Chat with Support bot' });
    expect(fab.getAttribute('aria-haspopup')).toBe('dialog');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(remote.loader).not.toHaveBeenCalled();

    fireEvent.click(fab);
    const dialog = await screen.findByRole('dialog', { name: 'Chat · Support bot' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(await screen.findByTestId('fake-widget')).toBeTruthy();
    expect(remote.loader).toHaveBeenCalledTimes(1);
    expect(remote.loader).toHaveBeenCalledWith(MANIFEST, 1);

    fireEvent.click(screen.getByTestId('chat-dialog-close'));
    expect(screen.getByTestId('chat-dialog').hidden).toBe(true);
    fireEvent.click(fab);
    expect(screen.getByTestId('chat-dialog').hidden).toBe(false);
    expect(remote.loader).toHaveBeenCalledTimes(1);
  });

  it('closes on Escape, returning focus to the button, and traps Tab inside the dialog', async () => {
    const remote = fakeRemote();
    render(<ChatBubble workflowId="wf_1" title="Bot" manifestUrl={MANIFEST} loadOptions={remote.loadOptions} />);
    const fab = screen.getByTestId('chat-bubble');
    fireEvent.click(fab);
    const dialog = await screen.findByTestId('chat-dialog');
    const close = screen.getByTestId('chat-dialog-close');
    await waitFor(() => expect(document.activeElement).toBe(close));

    // The only control in the dialog (the fake widget has none): Tab and Shift+Tab stay on it.
    fireEvent.keyDown(close, { key: 'Tab' });
    expect(document.activeElement).toBe(close);
    fireEvent.keyDown(close, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(close);

    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(dialog.hidden).toBe(true);
    expect(document.activeElement).toBe(fab);
    expect(fab.getAttribute('aria-expanded')).toBe('false');
  });

  it('authenticates the widget with 5-minute chat sessions minted for this workflow', async () => {
    const api = fakeApi({
      'POST /api/workflows/wf_1/chatkit/session': () => ({ json: { token: 'jwt', expiresAt: '2030-01-01T00:05:00Z', sessionId: 's1' } }),
    });
    vi.stubGlobal('fetch', api.fetch);
    const remote = fakeRemote();
    render(<ChatBubble workflowId="wf_1" title="Bot" manifestUrl={MANIFEST} loadOptions={remote.loadOptions} />);
    fireEvent.click(screen.getByTestId('chat-bubble'));
    await screen.findByTestId('fake-widget');

    const auth = remote.mounted.at(-1)!.auth;
    expect(auth.kind).toBe('session');
    if (auth.kind !== 'session') return;
    await expect(auth.getToken()).resolves.toMatchObject({ token: 'jwt', expiresAt: '2030-01-01T00:05:00Z' });
    expect(api.called('POST /api/workflows/wf_1/chatkit/session')[0]!.init.credentials).toBe('include');
  });
});

describe('WorkflowChat', () => {
  const serve = () => {
    const api = fakeApi({
      'GET /api/workflows/wf_1': () => ({ json: workflow({ id: 'wf_1', name: 'First' }) }),
      'GET /api/workflows/wf_2': () => ({ json: workflow({ id: 'wf_2', name: 'Second' }) }),
    });
    vi.stubGlobal('fetch', api.fetch);
  };

  it('is hidden when /api/config turns the canvas chat off', () => {
    serve();
    const { container } = render(<WorkflowChat workflowId="wf_1" config={runtimeConfig({ canvasChat: false }) as RuntimeConfig} />);
    expect(container.innerHTML).toBe('');
  });

  it('follows the workflow being viewed: switching tears the old chat down', async () => {
    serve();
    const remote = fakeRemote();
    const config = runtimeConfig() as RuntimeConfig;
    const { rerender } = render(<WorkflowChat key="wf_1" workflowId="wf_1" config={config} loadOptions={remote.loadOptions} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Chat with First' }));
    expect((await screen.findByTestId('fake-widget')).dataset.workflowId).toBe('wf_1');

    rerender(<WorkflowChat key="wf_2" workflowId="wf_2" config={config} loadOptions={remote.loadOptions} />);
    expect(screen.queryByTestId('fake-widget')).toBeNull();
    expect(screen.queryByRole('dialog')).toBeNull();
    fireEvent.click(await screen.findByRole('button', { name: 'Chat with Second' }));
    expect((await screen.findByTestId('fake-widget')).dataset.workflowId).toBe('wf_2');
    expect(remote.mounted.at(-1)).toMatchObject({ workflowId: 'wf_2', domainKey: 'domain_pk_test', title: 'Second' });
  });
});
