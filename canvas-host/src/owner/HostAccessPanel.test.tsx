import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Workflow } from '../api/types';
import { fakeApi } from '../test/fakeApi';
import { workflow } from '../test/fakeApi';
import { HostAccessPanel } from './HostAccessPanel';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const KEY = 'wsk_' + 'k'.repeat(43);
const row = (extra: Record<string, unknown> = {}) => ({ id: 'key_1', name: 'prod', prefix: 'wsk_kkkk', createdAt: '2030-01-01T00:00:00Z', lastUsedAt: null, revokedAt: null, ...extra });

describe('HostAccessPanel', () => {
  it('creates a server key shown once, lists keys by prefix and end-user sessions with the host user', async () => {
    const api = fakeApi({
      'GET /api/workflows/wf_1/server-keys': [() => ({ json: { keys: [] } }), () => ({ json: { keys: [row()] } })],
      'POST /api/workflows/wf_1/server-keys': () => ({ status: 201, json: { id: 'key_1', name: 'prod', key: KEY, createdAt: '2030-01-01T00:00:00Z' } }),
      'GET /api/workflows/wf_1/end-user-sessions': () => ({
        json: { data: [{ id: 's1', user: { id: 'user-7', email: 'ada@example.com', name: 'Ada' }, deviceId: 'laptop', createdAt: '2030-01-01T00:00:00Z', lastUsedAt: null, expiresAt: '2030-01-02T00:00:00Z', revokedAt: null }] },
      }),
    });
    vi.stubGlobal('fetch', api.fetch);
    render(<HostAccessPanel workflow={workflow() as Workflow} />);
    expect(await screen.findByText('No server keys yet.')).toBeTruthy();
    expect((await screen.findByTestId('host-session-row')).textContent).toContain('Ada <ada@example.com> (user-7)');

    fireEvent.change(screen.getByTestId('server-key-name'), { target: { value: ' prod ' } });
    fireEvent.click(screen.getByTestId('create-server-key'));
    const issued = await screen.findByTestId('issued-server-key');
    expect(api.called('POST /api/workflows/wf_1/server-keys')[0]!.body).toEqual({ name: 'prod' });
    expect(issued.textContent).toContain('shown only once');
    expect((screen.getByTestId('server-key-value') as HTMLInputElement).value).toBe(KEY);
    await waitFor(() => expect(screen.getByTestId('server-key-row').textContent).toContain('wsk_kkkk…'));
    fireEvent.click(screen.getByTestId('issued-server-key-done'));
    expect(document.body.textContent).not.toContain(KEY);
  });

  it('shows the webhook secret control only for webhook workflows, and the secret once', async () => {
    const api = fakeApi({
      'GET /api/workflows/wf_1/server-keys': () => ({ json: { keys: [] } }),
      'GET /api/workflows/wf_1/end-user-sessions': () => ({ json: { data: [] } }),
      'POST /api/workflows/wf_1/webhook-secret': () => ({ status: 201, json: { secret: 'whsec_' + 's'.repeat(43) } }),
    });
    vi.stubGlobal('fetch', api.fetch);
    const { unmount } = render(<HostAccessPanel workflow={workflow() as Workflow} />);
    await screen.findByText('No end-user sessions.');
    expect(screen.queryByTestId('webhook-secret')).toBeNull();
    unmount();
    render(<HostAccessPanel workflow={workflow({ runner: { kind: 'webhook', url: 'https://engine.example.com' } }) as unknown as Workflow} />);
    fireEvent.click(await screen.findByTestId('rotate-webhook-secret'));
    fireEvent.click(await screen.findByRole('button', { name: 'Create new secret' }));
    expect(((await screen.findByTestId('webhook-secret-value')) as HTMLInputElement).value).toBe('whsec_' + 's'.repeat(43));
  });
});

describe('transcript labels', () => {
  it("marks host-app users and keeps the host's label; other principals keep theirs", async () => {
    const { principalLabel } = await import('./TranscriptsPage');
    expect(principalLabel({ principalKind: 'host', principalLabel: 'Ada <ada@example.com> (user_7)' })).toBe('Ada <ada@example.com> (user_7) · app user');
    expect(principalLabel({ principalKind: 'visitor', principalLabel: 'vis_…9f3a' })).toBe('vis_…9f3a');
    expect(principalLabel({ principalKind: 'host' })).toBe('User of your app');
  });
});
