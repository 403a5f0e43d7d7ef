import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Workflow } from '../api/types';
import { error, fakeApi, workflow } from '../test/fakeApi';
import { VersionsPanel } from './VersionsPanel';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function Harness({ initial }: { initial: Workflow }) {
  const [current, setCurrent] = useState(initial);
  return <VersionsPanel workflow={current} onChange={setCurrent} />;
}

const echo = { kind: 'echo' };
const agent = { kind: 'agent', provider: 'openai', model: 'gpt-4o-mini', tools: [{ type: 'client', name: 'x', approval: 'never' }] };
const version = (n: number, runner: unknown, published: boolean) => ({ version: n, runner, published, createdAt: '2030-01-01T00:00:00Z', createdBy: 'user_1' });
const live = (extra: Record<string, unknown>) => workflow({ isPublic: true, publishedAt: '2030-01-01T00:00:00Z', ...extra }) as Workflow;

describe('VersionsPanel', () => {
  it('says the draft differs, publishes it after confirmation and shows the new live version', async () => {
    const api = fakeApi({
      'GET /api/workflows/wf_1/versions': [
        () => ({ json: { data: [version(1, echo, true)], nextCursor: null } }),
        () => ({ json: { data: [version(2, agent, true), version(1, echo, false)], nextCursor: null } }),
      ],
      'POST /api/workflows/wf_1/versions': () => ({ status: 201, json: { workflow: live({ publishedVersion: 2, draftDiffers: false }), version: version(2, agent, true) } }),
    });
    vi.stubGlobal('fetch', api.fetch);
    render(<Harness initial={live({ publishedVersion: 1, draftDiffers: true })} />);

    expect(screen.getByTestId('versions-status').textContent).toContain('Visitors chat with version 1.');
    expect(screen.getByTestId('draft-differs').textContent).toBe('Draft differs from published');
    await waitFor(() => expect(screen.getAllByTestId('version-row')).toHaveLength(1));

    fireEvent.click(screen.getByTestId('publish-draft'));
    expect(api.called('POST /api/workflows/wf_1/versions')).toHaveLength(0);
    fireEvent.click(screen.getByTestId('publish-draft-confirm'));

    expect(await screen.findByText('Published the draft as version 2.')).toBeTruthy();
    expect(api.called('POST /api/workflows/wf_1/versions')).toHaveLength(1);
    expect(screen.getByTestId('versions-status').textContent).toContain('Visitors chat with version 2. The draft is the same.');
    expect(screen.queryByTestId('draft-differs')).toBeNull();
    expect(screen.queryByTestId('publish-draft')).toBeNull();
    await waitFor(() => expect(screen.getAllByTestId('version-row')).toHaveLength(2));
    const [v2, v1] = screen.getAllByTestId('version-row');
    expect(v2!.getAttribute('aria-current')).toBe('true');
    expect(v2!.textContent).toContain('Agent · openai · gpt-4o-mini · 1 tools');
    expect(within(v1!).getByTestId('rollback-1')).toBeTruthy();
  });

  it('rolls back to an earlier version and shows an API refusal', async () => {
    const api = fakeApi({
      'GET /api/workflows/wf_1/versions': [
        () => ({ json: { data: [version(2, agent, true), version(1, echo, false)], nextCursor: null } }),
        () => ({ json: { data: [version(2, agent, false), version(1, echo, true)], nextCursor: null } }),
      ],
      'POST /api/workflows/wf_1/versions/1/rollback': [
        () => ({ status: 409, json: error(409, 'publish_invalid_state') }),
        () => ({ json: { workflow: live({ publishedVersion: 1, draftDiffers: true }), version: version(1, echo, true) } }),
      ],
    });
    vi.stubGlobal('fetch', api.fetch);
    render(<Harness initial={live({ publishedVersion: 2, draftDiffers: false })} />);

    fireEvent.click(await screen.findByTestId('rollback-1'));
    fireEvent.click(screen.getByTestId('rollback-1-confirm'));
    expect((await screen.findByTestId('error-alert')).textContent).toContain('message for publish_invalid_state');

    fireEvent.click(screen.getByTestId('rollback-1'));
    fireEvent.click(screen.getByTestId('rollback-1-confirm'));
    expect(await screen.findByText('Rolled back: visitors chat with version 1.')).toBeTruthy();
    expect(screen.getByTestId('draft-differs')).toBeTruthy();
    expect(screen.queryByTestId('error-alert')).toBeNull();
    await waitFor(() => expect(screen.getByTestId('rollback-2')).toBeTruthy());
  });

  it('a private workflow has nothing to publish or roll back', async () => {
    vi.stubGlobal('fetch', fakeApi({ 'GET /api/workflows/wf_1/versions': () => ({ json: { data: [version(1, echo, false)], nextCursor: null } }) }).fetch);
    render(<Harness initial={workflow() as Workflow} />);
    expect(screen.getByText(/Private: publishing snapshots the current settings/)).toBeTruthy();
    await waitFor(() => expect(screen.getAllByTestId('version-row')).toHaveLength(1));
    expect(screen.queryByTestId('rollback-1')).toBeNull();
    expect(screen.queryByTestId('publish-draft')).toBeNull();
  });
});
