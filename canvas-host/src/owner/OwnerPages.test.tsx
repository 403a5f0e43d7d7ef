import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeApi } from '../test/fakeApi';
import { AuditPage } from './AuditPage';
import { SessionsPage } from './SessionsPage';
import { apiFilters, TranscriptPage, TranscriptsPage } from './TranscriptsPage';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const thread = (id: string, principalKind: string) => ({
  id,
  title: `Thread ${id}`,
  principalKind,
  createdAt: '2030-01-01T10:00:00Z',
  updatedAt: '2030-01-01T10:05:00Z',
});

describe('TranscriptsPage', () => {
  it('lists threads with the filters from the address bar and links the exports', async () => {
    window.history.replaceState(null, '', '/workflows/wf_1/transcripts?principalKind=visitor&q=refund');
    const api = fakeApi({ 'GET /api/workflows/wf_1/transcripts': () => ({ json: { data: [thread('t1', 'visitor')], nextCursor: null } }) });
    vi.stubGlobal('fetch', api.fetch);
    render(<TranscriptsPage workflowId="wf_1" />);

    const row = await screen.findByTestId('transcript-row');
    expect(within(row).getByRole('link', { name: 'Thread t1' }).getAttribute('href')).toBe('/workflows/wf_1/transcripts/t1');
    expect(row.textContent).toContain('Anonymous visitor');
    const query = api.calls[0]!.url.searchParams;
    expect(query.get('principalKind')).toBe('visitor');
    expect(query.get('q')).toBe('refund');
    expect(screen.getByTestId('export-jsonl').getAttribute('href')).toBe('/api/workflows/wf_1/transcripts/export?format=jsonl');
    expect(screen.getByTestId('export-csv').getAttribute('href')).toBe('/api/workflows/wf_1/transcripts/export?format=csv');
  });

  it('applies new filters through the address bar and refetches', async () => {
    window.history.replaceState(null, '', '/workflows/wf_1/transcripts');
    const api = fakeApi({ 'GET /api/workflows/wf_1/transcripts': () => ({ json: { data: [], nextCursor: null } }) });
    vi.stubGlobal('fetch', api.fetch);
    render(<TranscriptsPage workflowId="wf_1" />);
    await screen.findByText('No conversations match.');

    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2030-01-01' } });
    fireEvent.change(screen.getByLabelText('Who'), { target: { value: 'oauth' } });
    fireEvent.click(screen.getByRole('button', { name: 'Filter' }));

    await waitFor(() => expect(api.calls).toHaveLength(2));
    expect(window.location.search).toBe('?from=2030-01-01&principalKind=oauth');
    const query = api.calls[1]!.url.searchParams;
    expect(query.get('principalKind')).toBe('oauth');
    expect(query.get('from')).toBe(new Date(2030, 0, 1).toISOString());
  });

  it('turns whole days into an inclusive instant range', () => {
    expect(apiFilters({ from: '2030-01-02', to: '2030-01-02', principalKind: '', q: '  ' })).toEqual({
      from: new Date(2030, 0, 2).toISOString(),
      to: new Date(2030, 0, 2, 23, 59, 59, 999).toISOString(),
    });
  });

  it('shows one thread’s items', async () => {
    vi.stubGlobal(
      'fetch',
      fakeApi({
        'GET /api/workflows/wf_1/transcripts/t1': () => ({
          json: {
            ...thread('t1', 'user'),
            items: [
              { id: 'u1', type: 'user_message', created_at: '2030-01-01T10:00:00Z', content: [{ type: 'input_text', text: 'Hello' }] },
              { id: 'a1', type: 'assistant_message', created_at: '2030-01-01T10:00:01Z', content: [{ type: 'output_text', text: 'Echo: Hello' }] },
            ],
            itemVersions: { u1: 2, a1: null },
          },
        }),
      }).fetch,
    );
    render(<TranscriptPage workflowId="wf_1" threadId="t1" />);
    const list = await screen.findByTestId('transcript-items');
    expect(Array.from(list.querySelectorAll('.transcript__text')).map((n) => n.textContent)).toEqual(['Hello', 'Echo: Hello']);
    expect(screen.getByText(/You \(canvas\)/)).toBeTruthy();
    // The version that produced each item: a published one, or the owner's draft.
    expect(screen.getAllByTestId('item-version').map((n) => n.textContent)).toEqual(['v2', 'draft']);
  });

  it('shows a long thread a page at a time', async () => {
    const item = (n: number) => ({ id: `i${n}`, type: 'user_message', created_at: '2030-01-01T10:00:00Z', content: [{ type: 'input_text', text: `m${n}` }] });
    const api = fakeApi({
      'GET /api/workflows/wf_1/transcripts/t1': (request) =>
        request.url.searchParams.get('cursor') === 'i2'
          ? { json: { ...thread('t1', 'user'), items: [item(3)], nextCursor: null } }
          : { json: { ...thread('t1', 'user'), items: [item(1), item(2)], nextCursor: 'i2' } },
    });
    vi.stubGlobal('fetch', api.fetch);
    render(<TranscriptPage workflowId="wf_1" threadId="t1" />);
    const texts = () => Array.from(screen.getByTestId('transcript-items').querySelectorAll('.transcript__text')).map((n) => n.textContent);
    await screen.findByTestId('transcript-items');
    expect(texts()).toEqual(['m1', 'm2']);
    fireEvent.click(screen.getByTestId('transcript-more'));
    await waitFor(() => expect(texts()).toEqual(['m1', 'm2', 'm3']));
    expect(screen.queryByTestId('transcript-more')).toBeNull();
    expect(api.called('GET /api/workflows/wf_1/transcripts/t1').map((c) => c.url.searchParams.get('cursor'))).toEqual([null, 'i2']);
  });
});

describe('SessionsPage', () => {
  it('signs out all devices after confirmation', async () => {
    let revoked = false;
    const session = { id: 's1', workflowId: 'wf_1', device: 'default', createdAt: '2030-01-01T00:00:00Z', lastUsedAt: null, expiresAt: '2030-01-01T00:05:00Z' };
    const api = fakeApi({
      'GET /api/chatkit/sessions': () => ({ json: { data: [{ ...session, revokedAt: revoked ? '2030-01-01T00:01:00Z' : null }] } }),
      'POST /api/chatkit/sessions/revoke-all': () => {
        revoked = true;
        return { status: 204 };
      },
    });
    vi.stubGlobal('fetch', api.fetch);
    render(<SessionsPage />);
    await screen.findByTestId('session-row');

    fireEvent.click(screen.getByTestId('revoke-all-sessions'));
    fireEvent.click(screen.getByTestId('revoke-all-sessions-confirm'));
    await waitFor(() => expect(screen.getByTestId('sessions-message').textContent).toBe('Every chat session was signed out.'));
    expect(api.called('POST /api/chatkit/sessions/revoke-all')).toHaveLength(1);
    await waitFor(() => expect(screen.getByTestId('session-row').textContent).toContain('Signed out'));
  });
});

describe('SessionsPage labels', () => {
  it('shows workflow names and readable device labels, never raw ids or "default"', async () => {
    localStorage.setItem('parley.deviceId', 'web-here1234');
    const base = { createdAt: '2030-01-01T00:00:00Z', lastUsedAt: null, expiresAt: '2030-01-01T00:05:00Z', revokedAt: null };
    vi.stubGlobal(
      'fetch',
      fakeApi({
        'GET /api/chatkit/sessions': () => ({
          json: {
            data: [
              { ...base, id: 's1', workflowId: 'wf_1', deviceId: 'web-here1234', metadata: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' } },
              { ...base, id: 's2', workflowId: 'wf_2', deviceId: 'web-other999', metadata: { userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15' } },
              { ...base, id: 's3', workflowId: 'wf_gone', deviceId: 'default', metadata: {} },
              { ...base, id: 's4', workflowId: 'wf_1', deviceId: 'cli-laptop', metadata: {} },
            ],
          },
        }),
        'GET /api/workflows': () => ({ json: { data: [{ id: 'wf_1', name: 'Support bot' }, { id: 'wf_2', name: 'Sales bot' }], nextCursor: null } }),
      }).fetch,
    );
    render(<SessionsPage />);
    await waitFor(() => expect(screen.getAllByRole('link', { name: 'Support bot' })).toHaveLength(2));
    const rows = screen.getAllByTestId('session-row').map((row) => Array.from(row.querySelectorAll('td')).slice(0, 2).map((td) => td.textContent));
    expect(rows).toEqual([
      ['Chrome on Linux (this browser)', 'Support bot'],
      ['Safari on macOS', 'Sales bot'],
      ['Unnamed device', 'Deleted or unknown workflow'],
      ['cli-laptop', 'Support bot'],
    ]);
    localStorage.removeItem('parley.deviceId');
  });
});

describe('AuditPage', () => {
  it('lists events with readable actions and masked metadata', async () => {
    vi.stubGlobal(
      'fetch',
      fakeApi({
        'GET /api/workflows/wf_1/audit': () => ({
          json: {
            data: [
              { id: 'e2', action: 'workflow.publish_rotated', actor: { kind: 'user', id: 'u1' }, occurredAt: '2030-01-02T00:00:00Z', metadata: { token: 'pub_…abcd' } },
              { id: 'e1', action: 'workflow.published', actor: { kind: 'user', id: 'u1' }, occurredAt: '2030-01-01T00:00:00Z', metadata: {} },
            ],
            nextCursor: null,
          },
        }),
      }).fetch,
    );
    render(<AuditPage workflowId="wf_1" />);
    const events = await screen.findAllByTestId('audit-event');
    expect(events.map((e) => e.dataset.action)).toEqual(['workflow.publish_rotated', 'workflow.published']);
    expect(events[0]!.textContent).toContain('Link replaced');
    expect(events[0]!.textContent).toContain('pub_…abcd');
  });

  it('turns raw metadata keys into sentences, including allowed-site changes', async () => {
    vi.stubGlobal(
      'fetch',
      fakeApi({
        'GET /api/workflows/wf_1/audit': () => ({
          json: {
            data: [
              { id: 'e3', action: 'workflow.allowed_origins_changed', actor: { kind: 'user', id: 'u1' }, occurredAt: '2030-01-03T00:00:00Z', metadata: { added: ['https://shop.example.com'], removed: [] } },
              { id: 'e2', action: 'workflow.publish_revoked', actor: { kind: 'user', id: 'u1' }, occurredAt: '2030-01-02T00:00:00Z', metadata: { linksRevoked: 2 } },
              { id: 'e1', action: 'workflow.published', actor: { kind: 'user', id: 'u1' }, occurredAt: '2030-01-01T00:00:00Z', metadata: { token: 'pub_…abcd', requireLogin: true } },
            ],
            nextCursor: null,
          },
        }),
      }).fetch,
    );
    render(<AuditPage workflowId="wf_1" />);
    const events = await screen.findAllByTestId('audit-event');
    const text = events.map((e) => e.textContent ?? '');
    expect(text[0]).toContain('Allowed sites changed');
    expect(text[0]).toContain('Added: https://shop.example.com');
    expect(text[0]).toContain('Removed: none');
    expect(text[1]).toContain('2 links stopped working');
    expect(text[2]).toContain('Sign-in required');
    for (const line of text) expect(line).not.toMatch(/linksRevoked|requireLogin|previousToken/);
  });

  it('describes version and tool-approval events, and who acted', async () => {
    vi.stubGlobal(
      'fetch',
      fakeApi({
        'GET /api/workflows/wf_1/audit': () => ({
          json: {
            data: [
              { id: 'e2', action: 'agent.tool_call.approved', actor: { kind: 'visitor', id: 'vis_1' }, occurredAt: '2030-01-02T00:00:00Z', metadata: { threadId: 'thr_1', callId: 'c1', tool: 'refund_order', toolType: 'http' } },
              { id: 'e1', action: 'workflow.version_published', actor: { kind: 'user', id: 'u1' }, occurredAt: '2030-01-01T00:00:00Z', metadata: { version: 2, previousVersion: 1, created: true } },
            ],
            nextCursor: null,
          },
        }),
      }).fetch,
    );
    render(<AuditPage workflowId="wf_1" />);
    const [approved, published] = (await screen.findAllByTestId('audit-event')).map((e) => e.textContent ?? '');
    expect(approved).toContain('Tool call approved');
    expect(approved).toContain('by a visitor');
    expect(approved).toContain('Tool: refund_order');
    expect(approved).not.toMatch(/thr_1|callId|toolType/);
    expect(published).toContain('Version published');
    expect(published).toContain('Version 2');
    expect(published).toContain('Before: version 1');
    expect(published).toContain('by you');
  });
});
