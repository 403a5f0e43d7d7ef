import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Workflow } from '../api/types';
import { fakeApi, workflow } from '../test/fakeApi';
import { PublishPanel } from './PublishPanel';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function Harness({ initial }: { initial: Workflow }) {
  const [current, setCurrent] = useState(initial);
  return <PublishPanel workflow={current} onChange={setCurrent} />;
}

const TOKEN = 'pub_' + 'a'.repeat(43);
const publicWf = (extra: Record<string, unknown> = {}) =>
  workflow({ isPublic: true, publishedAt: '2030-01-01T00:00:00Z', shareUrl: 'http://localhost:3000/chat/wf_1', ...extra });

describe('PublishPanel', () => {
  it('publishes with the login flag and shows the token and share link once, with copy buttons', async () => {
    const api = fakeApi({
      'POST /api/workflows/wf_1/publish': ({ body }) => ({
        status: 201,
        json: {
          workflow: publicWf({ requireLogin: (body as { requireLogin: boolean }).requireLogin }),
          publishToken: TOKEN,
          shareUrl: `http://localhost:3000/chat/wf_1#token=${TOKEN}`,
        },
      }),
    });
    vi.stubGlobal('fetch', api.fetch);
    const writeText = vi.fn(async () => {});
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    render(<Harness initial={workflow() as Workflow} />);

    fireEvent.click(screen.getByTestId('require-login'));
    expect(api.calls).toHaveLength(0); // applied when publishing
    fireEvent.click(screen.getByTestId('publish'));

    const issued = await screen.findByTestId('issued-link');
    expect(api.called('POST /api/workflows/wf_1/publish')[0]!.body).toEqual({ requireLogin: true });
    expect(issued.textContent).toContain('shown only once');
    expect((screen.getByTestId('share-url') as HTMLInputElement).value).toBe(`http://localhost:3000/chat/wf_1#token=${TOKEN}`);
    expect((screen.getByTestId('publish-token') as HTMLInputElement).value).toBe(TOKEN);
    await waitFor(() => expect(document.activeElement).toBe(issued));
    expect(screen.getByTestId('publish-status').textContent).toContain('visitors sign in');

    fireEvent.click(screen.getByTestId('copy-share-url'));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(`http://localhost:3000/chat/wf_1#token=${TOKEN}`));
    const copied = await screen.findByText('Copied');
    // Spaced from its button and the next label (styles.css `.copy-status`).
    expect(copied.classList.contains('copy-status')).toBe(true);
    expect(readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../styles.css'), 'utf8')).toMatch(/\.copy-status:not\(:empty\) \{ margin: 0 0\.75rem 0 0\.5rem; \}/);

    fireEvent.click(screen.getByTestId('issued-link-done'));
    expect(screen.queryByTestId('issued-link')).toBeNull();
    expect(document.body.textContent).not.toContain(TOKEN);
  });

  it('rotates after confirmation and shows the new link', async () => {
    const api = fakeApi({
      'POST /api/workflows/wf_1/publish/rotate': () => ({
        json: { workflow: publicWf({ publishTokenRotatedAt: '2030-01-02T00:00:00Z' }), publishToken: 'pub_new', shareUrl: 'http://localhost:3000/chat/wf_1#token=pub_new' },
      }),
    });
    vi.stubGlobal('fetch', api.fetch);
    render(<Harness initial={publicWf() as Workflow} />);

    fireEvent.click(screen.getByTestId('rotate-link'));
    expect(api.calls).toHaveLength(0);
    fireEvent.click(screen.getByTestId('rotate-link-confirm'));
    expect(((await screen.findByTestId('publish-token')) as HTMLInputElement).value).toBe('pub_new');
    expect(screen.getByTestId('publish-message').textContent).toContain('old link no longer works');
  });

  it('revokes after confirmation, and the login toggle of a public workflow applies at once', async () => {
    const api = fakeApi({
      'PATCH /api/workflows/wf_1/publish': ({ body }) => ({ json: publicWf(body as Record<string, unknown>) }),
      'POST /api/workflows/wf_1/publish/revoke': () => ({ json: workflow() }),
    });
    vi.stubGlobal('fetch', api.fetch);
    render(<Harness initial={publicWf() as Workflow} />);

    fireEvent.click(screen.getByTestId('require-login'));
    await waitFor(() => expect(screen.getByTestId('publish-status').textContent).toContain('visitors sign in'));
    expect(api.called('PATCH /api/workflows/wf_1/publish')[0]!.body).toEqual({ requireLogin: true });

    fireEvent.click(screen.getByTestId('revoke-link'));
    fireEvent.click(screen.getByTestId('revoke-link-confirm'));
    await waitFor(() => expect(screen.getByTestId('publish-status').textContent).toContain('Private'));
    expect(screen.getByTestId('publish')).toBeTruthy();
  });

  it('shows the server’s error', async () => {
    vi.stubGlobal(
      'fetch',
      fakeApi({
        'POST /api/workflows/wf_1/publish': () => ({
          status: 409,
          json: { statusCode: 409, code: 'publish_invalid_state', message: 'Already public.', requestId: 'r9' },
        }),
      }).fetch,
    );
    render(<Harness initial={workflow() as Workflow} />);
    fireEvent.click(screen.getByTestId('publish'));
    expect((await screen.findByRole('alert')).textContent).toContain('Already public. (reference r9)');
  });
});
