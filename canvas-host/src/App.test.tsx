import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { resetRuntimeConfig } from './config/runtimeConfig';
import { matchRoute, pageTitle, paths } from './routes';
import { error, fakeApi, runtimeConfig, workflow } from './test/fakeApi';

describe('matchRoute', () => {
  it('maps paths to routes', () => {
    expect(matchRoute('/')).toEqual({ name: 'workflows' });
    expect(matchRoute('/login')).toEqual({ name: 'signIn' });
    expect(matchRoute('/register/')).toEqual({ name: 'register' });
    expect(matchRoute('/workflows/new')).toEqual({ name: 'newWorkflow' });
    expect(matchRoute('/workflows/wf_1')).toEqual({ name: 'workflow', workflowId: 'wf_1' });
    expect(matchRoute('/workflows/wf_1/transcripts')).toEqual({ name: 'transcripts', workflowId: 'wf_1' });
    expect(matchRoute('/workflows/wf_1/transcripts/thr_2')).toEqual({ name: 'transcript', workflowId: 'wf_1', threadId: 'thr_2' });
    expect(matchRoute('/workflows/wf_1/audit')).toEqual({ name: 'audit', workflowId: 'wf_1' });
    expect(matchRoute('/sessions')).toEqual({ name: 'sessions' });
    expect(matchRoute('/chat/wf_1')).toEqual({ name: 'publicChat', workflowId: 'wf_1' });
    expect(matchRoute('/chat/wf%201/')).toEqual({ name: 'publicChat', workflowId: 'wf 1' });
  });

  it('rejects everything else', () => {
    for (const path of ['/chat/', '/chat/a/b', '/chat/%E0%A4%A', '/nope', '/workflows/wf_1/audit/x', '/workflows//audit']) {
      expect(matchRoute(path), path).toEqual({ name: 'notFound' });
    }
  });

  it('titles every page for what it is', () => {
    expect(pageTitle(matchRoute('/workflows/wf_1/transcripts'))).toBe('Transcripts · Parley');
    expect(pageTitle(matchRoute('/sessions'))).toBe('Chat sessions · Parley');
    expect(pageTitle(matchRoute('/nope'))).toBe('Page not found · Parley');
    const titles = ['/', '/login', '/register', '/workflows/new', '/workflows/a', '/workflows/a/transcripts', '/workflows/a/transcripts/b', '/workflows/a/audit', '/workflows/a/activity', '/sessions'].map((p) => pageTitle(matchRoute(p)));
    expect(new Set(titles).size).toBe(titles.length);
  });

  it('has a favicon', () => {
    const html = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../index.html'), 'utf8');
    expect(html).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml" />');
    expect(readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../public/favicon.svg'), 'utf8')).toMatch(/^<svg /);
  });

  it('round-trips the path builders', () => {
    expect(matchRoute(paths.transcript('wf 1', 't/2'))).toEqual({ name: 'transcript', workflowId: 'wf 1', threadId: 't/2' });
  });
});

describe('App', () => {
  beforeEach(() => resetRuntimeConfig());
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    window.history.replaceState(null, '', '/');
  });

  it('shows sign-in to a visitor without a session, then the workflows after signing in', async () => {
    const api = fakeApi({
      'GET /api/config': () => ({ json: runtimeConfig({ oidcEnabled: true }) }),
      'GET /api/auth/me': () => ({ status: 401, json: error(401, 'unauthenticated') }),
      'POST /api/auth/refresh': () => ({ status: 401, json: error(401, 'unauthenticated') }),
      'POST /api/auth/login': () => ({ json: { user: { id: 'u1', email: 'ada@example.com', name: 'Ada', createdAt: '' }, accessToken: 'a', expiresIn: 900 } }),
      'GET /api/workflows': () => ({ json: { data: [workflow({ isPublic: true })], nextCursor: null } }),
    });
    vi.stubGlobal('fetch', api.fetch);
    render(<App />);

    expect(await screen.findByRole('heading', { name: 'Sign in to Parley' })).toBeTruthy();
    await waitFor(() => expect(document.title).toBe('Sign in · Parley')); // set by an effect after the render
    expect(((await screen.findByTestId('sso-sign-in')) as HTMLAnchorElement).getAttribute('href')).toBe('/api/auth/oidc/owner/login?returnTo=%2F');
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ada@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse battery' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('heading', { name: 'Workflows' })).toBeTruthy();
    await waitFor(() => expect(document.title).toBe('Workflows · Parley')); // set by an effect after the render
    expect((await screen.findByTestId('workflow-status')).textContent).toBe('Public');
    expect(api.called('POST /api/auth/login')[0]!.body).toEqual({ email: 'ada@example.com', password: 'correct horse battery' });
    expect(api.called('POST /api/auth/login')[0]!.init.credentials).toBe('include');
    expect(screen.getByTestId('signed-in-user').textContent).toBe('ada@example.com');
    // Signed in with a password, the owner can connect SSO to this account (starting SSO while signed in).
    expect((screen.getByTestId('sso-connect') as HTMLAnchorElement).getAttribute('href')).toMatch(/^\/api\/auth\/oidc\/owner\/login\?returnTo=%2F/);
  });

  it("titles a workflow's page with its name once loaded", async () => {
    window.history.replaceState(null, '', '/workflows/wf_1');
    vi.stubGlobal(
      'fetch',
      fakeApi({
        'GET /api/config': () => ({ json: runtimeConfig() }),
        'GET /api/auth/me': () => ({ json: { user: { id: 'u1', email: 'ada@example.com', name: 'Ada', createdAt: '' } } }),
        'GET /api/workflows/wf_1': () => ({ json: workflow() }),
      }).fetch,
    );
    render(<App />);
    await screen.findByTestId('workflow-form');
    await waitFor(() => expect(document.title).toBe('Support bot · Parley'));
  });

  it('loads the code-split public page on /chat/:workflowId', async () => {
    window.history.replaceState(null, '', '/chat/wf_42');
    vi.stubGlobal('fetch', fakeApi({}).fetch);
    render(<App />);
    expect(await screen.findByRole('heading', { name: 'This link is not valid' })).toBeTruthy();
  });

  it('shows a not-found page for unknown paths', () => {
    window.history.replaceState(null, '', '/nope');
    render(<App />);
    expect(screen.getByRole('heading', { name: 'Page not found' })).toBeTruthy();
  });

  it('navigates between owner pages without reloading', async () => {
    const api = fakeApi({
      'GET /api/config': () => ({ json: runtimeConfig({ canvasChat: false }) }),
      'GET /api/auth/me': () => ({ json: { user: { id: 'u1', email: 'ada@example.com', name: null, createdAt: '' } } }),
      'GET /api/workflows': () => ({ json: { data: [workflow()], nextCursor: null } }),
      'GET /api/workflows/wf_1': () => ({ json: workflow() }),
    });
    vi.stubGlobal('fetch', api.fetch);
    render(<App />);
    fireEvent.click(await screen.findByRole('link', { name: 'Support bot' }));
    await waitFor(() => expect(window.location.pathname).toBe('/workflows/wf_1'));
    expect(await screen.findByRole('heading', { level: 1, name: 'Support bot' })).toBeTruthy();
    expect(screen.getByTestId('publish-status').textContent).toContain('Private');
  });
});
