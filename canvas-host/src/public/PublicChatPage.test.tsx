import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { StrictMode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetRuntimeConfig } from '../config/runtimeConfig';
import { error, fakeApi, fakeRemote, runtimeConfig } from '../test/fakeApi';
import PublicChatPage from './PublicChatPage';
import { forgetShareToken } from './shareToken';

const WF = '6f1c1d3e-2b6a-4f0e-9f55-0b8f0e2f6c1a';

beforeEach(() => {
  resetRuntimeConfig();
  forgetShareToken();
  sessionStorage.clear();
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  window.history.replaceState(null, '', '/');
});

function serve(routes: Parameters<typeof fakeApi>[0] = {}) {
  const api = fakeApi({
    'GET /api/config': () => ({ json: runtimeConfig() }),
    [`GET /api/workflows/${WF}/public`]: () => ({ json: { id: WF, name: 'Support bot', requireLogin: false } }),
    ...routes,
  });
  vi.stubGlobal('fetch', api.fetch);
  return api;
}

describe('PublicChatPage', () => {
  it('strips the token from the address bar before anything else and mounts the widget with it', async () => {
    window.history.replaceState({ from: 'test' }, '', `/chat/${WF}#token=pub_secret`);
    const replaceState = vi.spyOn(window.history, 'replaceState');
    const api = serve();
    const remote = fakeRemote();

    render(
      <StrictMode>
        <PublicChatPage workflowId={WF} loadOptions={remote.loadOptions} />
      </StrictMode>,
    );

    // Synchronously, during the first render.
    expect(window.location.hash).toBe('');
    expect(window.location.href).toBe(`http://localhost:3000/chat/${WF}`);
    expect(replaceState).toHaveBeenCalledTimes(1);

    expect(await screen.findByTestId('fake-widget')).toBeTruthy();
    expect(screen.getByRole('heading', { level: 1, name: 'Support bot' })).toBeTruthy();
    expect(document.title).toBe('Support bot · Parley');
    const props = remote.mounted.at(-1)!;
    expect(props).toMatchObject({
      apiBaseUrl: 'http://localhost:3000',
      workflowId: WF,
      auth: { kind: 'publishToken', token: 'pub_secret' },
      domainKey: 'domain_pk_test',
      chatkitScriptUrl: 'https://cdn.test/chatkit.js',
    });
    expect(remote.loader).toHaveBeenCalledWith('http://localhost:3000/widget/mf-manifest.json', 1);
    // The token never travels in a URL.
    expect(api.calls.every((call) => !call.url.href.includes('pub_secret'))).toBe(true);
    // Kept in this tab only, for a reload (docs/adr/0005-share-token-per-tab.md).
    expect(sessionStorage.getItem(`parley.shareToken.${WF}`)).toBe('pub_secret');
  });

  it('shows the invalid-link screen without a token; with a token and a 404, lets the widget ask the gateway', async () => {
    window.history.replaceState(null, '', `/chat/${WF}`);
    serve();
    const { unmount } = render(<PublicChatPage workflowId={WF} />);
    expect(await screen.findByTestId('public-invalid')).toBeTruthy();
    // Headed with the workflow's name when it is public, not a generic "Chat".
    expect(await screen.findByRole('heading', { level: 1, name: 'Support bot' })).toBeTruthy();
    unmount();

    window.history.replaceState(null, '', `/chat/${WF}#token=pub_x`);
    serve({ [`GET /api/workflows/${WF}/public`]: () => ({ status: 404, json: error(404, 'not_found') }) });
    const remote = fakeRemote();
    render(<PublicChatPage workflowId={WF} loadOptions={remote.loadOptions} />);
    // Unknown, private and revoked look alike here (404); the gateway's verdict (invalid link / chat offline) is the
    // widget's to show, under a neutral title.
    await waitFor(() => expect(remote.loader).toHaveBeenCalled());
    expect(screen.getByRole('heading', { level: 1, name: 'Chat' })).toBeTruthy();
    expect(screen.queryByTestId('public-invalid')).toBeNull();
  });

  it('asks for sign-in when required, the token kept in the tab for the round trip', async () => {
    window.history.replaceState(null, '', `/chat/${WF}#token=pub_login`);
    serve({
      [`GET /api/workflows/${WF}/public`]: () => ({ json: { id: WF, name: 'Members only', requireLogin: true } }),
      'GET /api/auth/session': () => ({ json: { authenticated: false } }),
    });
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => {});
    const remote = fakeRemote();
    render(<PublicChatPage workflowId={WF} loadOptions={remote.loadOptions} />);

    fireEvent.click(await screen.findByTestId('public-sign-in'));
    expect(assign).toHaveBeenCalledWith(`/api/auth/oidc/login?returnTo=${encodeURIComponent(`/chat/${WF}`)}`);
    expect(sessionStorage.getItem(`parley.shareToken.${WF}`)).toBe('pub_login');
    expect(remote.loader).not.toHaveBeenCalled();
  });

  it('mounts the widget for a signed-in visitor of a login-required chat', async () => {
    window.history.replaceState(null, '', `/chat/${WF}#token=pub_in`);
    serve({
      [`GET /api/workflows/${WF}/public`]: () => ({ json: { id: WF, name: 'Members only', requireLogin: true } }),
      'GET /api/auth/session': () => ({ json: { authenticated: true, subject: 's', expiresAt: '2030-01-01T00:00:00Z' } }),
    });
    const remote = fakeRemote();
    render(<PublicChatPage workflowId={WF} loadOptions={remote.loadOptions} />);
    expect(await screen.findByTestId('fake-widget')).toBeTruthy();
    expect(typeof remote.mounted.at(-1)!.onSignIn).toBe('function');
  });

  it('says so when public chat is turned off', async () => {
    window.history.replaceState(null, '', `/chat/${WF}#token=pub_x`);
    serve({ 'GET /api/config': () => ({ json: runtimeConfig({ publicChat: false }) }) });
    render(<PublicChatPage workflowId={WF} />);
    expect(await screen.findByTestId('public-disabled')).toBeTruthy();
  });

  it('offers a retry when the server cannot be reached', async () => {
    window.history.replaceState(null, '', `/chat/${WF}#token=pub_x`);
    let up = false;
    const api = fakeApi({
      'GET /api/config': () => ({ json: runtimeConfig() }),
      [`GET /api/workflows/${WF}/public`]: () => (up ? { json: { id: WF, name: 'Back', requireLogin: false } } : { status: 503, json: error(503, 'service_unavailable') }),
    });
    vi.stubGlobal('fetch', api.fetch);
    render(<PublicChatPage workflowId={WF} loadOptions={fakeRemote().loadOptions} />);
    await screen.findByTestId('public-error');
    up = true;
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(screen.getByRole('heading', { level: 1, name: 'Back' })).toBeTruthy());
  });

  it('a reload in the same tab keeps the chat (the token kept in sessionStorage)', async () => {
    window.history.replaceState(null, '', `/chat/${WF}#token=pub_reload`);
    serve();
    const first = render(<PublicChatPage workflowId={WF} loadOptions={fakeRemote().loadOptions} />);
    await screen.findByTestId('fake-widget');
    first.unmount();
    forgetShareToken(); // a reload starts with empty module memory
    expect(window.location.hash).toBe('');
    const remote = fakeRemote();
    render(<PublicChatPage workflowId={WF} loadOptions={remote.loadOptions} />);
    expect(await screen.findByTestId('fake-widget')).toBeTruthy();
    expect(remote.mounted.at(-1)!.auth).toEqual({ kind: 'publishToken', token: 'pub_reload' });
  });

  it('takes a new link pasted into the same tab (hashchange), strips it and starts over', async () => {
    window.history.replaceState(null, '', `/chat/${WF}#token=pub_first`);
    serve();
    const remote = fakeRemote();
    render(<PublicChatPage workflowId={WF} loadOptions={remote.loadOptions} />);
    await screen.findByTestId('fake-widget');
    window.history.replaceState(null, '', `/chat/${WF}#token=pub_second`);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    await waitFor(() => expect(remote.mounted.at(-1)!.auth).toEqual({ kind: 'publishToken', token: 'pub_second' }));
    expect(window.location.hash).toBe('');
    expect(sessionStorage.getItem(`parley.shareToken.${WF}`)).toBe('pub_second');
  });
});
