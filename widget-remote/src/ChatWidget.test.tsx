import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChatWidget } from './ChatWidget';
import type { ChatWidgetOptions, WidgetEvent } from './contract';
import { answerEvents, echoEvents, type FakeHandler, fakeServer } from './test/fakeServer';

const T = '2026-01-01T00:00:00Z';
const emptyList: FakeHandler = () => ({ json: { data: [], has_more: false } });
const thread = (id: string, title: string) => ({ id, title, created_at: T, status: { type: 'active' }, metadata: {} });

afterEach(() => {
  // Unmount before un-stubbing fetch, so no late request reaches the real network.
  cleanup();
  vi.unstubAllGlobals();
  vi.useRealTimers();
  localStorage.clear();
});

function setup(handlers: Record<string, FakeHandler | FakeHandler[]>, props: Partial<ChatWidgetOptions> = {}) {
  const server = fakeServer({ 'threads.list': emptyList, ...handlers });
  vi.stubGlobal('fetch', server.fetch);
  const events: WidgetEvent[] = [];
  const utils = render(
    <ChatWidget
      apiBaseUrl="https://parley.test"
      workflowId="wf_1"
      auth={{ kind: 'publishToken', token: 'pub_x' }}
      renderer="lite"
      onEvent={(event) => events.push(event)}
      {...props}
    />,
  );
  return { server, events, ...utils };
}

const composer = () => screen.getByTestId('parley-composer') as HTMLTextAreaElement;
function type(text: string) {
  fireEvent.change(composer(), { target: { value: text } });
}
function pressEnter() {
  fireEvent.keyDown(composer(), { key: 'Enter' });
}
const messages = () =>
  screen.queryAllByTestId('parley-message').map((m) => [m.dataset.role, m.querySelector('.pw-text')?.textContent ?? m.textContent]);

describe('ChatWidget (lite renderer)', () => {
  it('starts on the start screen, then sends with Enter and streams the answer into a polite live log', async () => {
    const { server, events } = setup({ 'threads.create': () => ({ events: echoEvents('thr_1', 'Hello world', { create: true }) }) });

    expect(await screen.findByText('How can I help?')).toBeTruthy();
    const log = screen.getByRole('log', { name: 'Conversation' });
    expect(log.getAttribute('aria-live')).toBe('polite');

    type('Hello world');
    pressEnter();

    await waitFor(() => expect(messages()).toEqual([
      ['user', 'Hello world'],
      ['assistant', 'Echo: Hello world'],
    ]));
    expect(server.ofType('threads.create')[0]!.body!.params).toEqual({
      input: { content: [{ type: 'input_text', text: 'Hello world' }], attachments: [], inference_options: {} },
    });
    expect(composer().value).toBe('');
    expect(document.activeElement).toBe(composer());
    expect(screen.getByTestId('parley-thread-title').textContent).toBe('Hello world');
    expect(events).toEqual([{ type: 'open' }, { type: 'message_sent' }]);
    expect(log.getAttribute('aria-busy')).toBe('false');
  });

  it('opens a returning visitor’s latest conversation and continues it', async () => {
    const { server } = setup({
      'threads.list': () => ({ json: { data: [thread('thr_7', 'Earlier chat')], has_more: false } }),
      'threads.get_by_id': () => ({
        json: { ...thread('thr_7', 'Earlier chat'), items: { data: echoEvents('thr_7', 'first').filter((e) => e.type === 'thread.item.done').map((e) => (e as { item: unknown }).item), has_more: false } },
      }),
      'threads.add_user_message': () => ({ events: echoEvents('thr_7', 'second', { n: 2 }) }),
    });

    await waitFor(() => expect(messages()).toEqual([
      ['user', 'first'],
      ['assistant', 'Echo: first'],
    ]));
    type('second');
    fireEvent.click(screen.getByTestId('parley-send'));
    await waitFor(() => expect(messages()).toHaveLength(4));
    expect(server.ofType('threads.add_user_message')[0]!.body!.params).toMatchObject({ thread_id: 'thr_7' });
  });

  it('retries the last answer, sends feedback, and runs widget button actions with the item id', async () => {
    const widgetEvents = [
      ...echoEvents('thr_1', '/widget please', { create: true }).slice(0, 3),
      {
        type: 'thread.item.done',
        item: {
          id: 'widget1',
          thread_id: 'thr_1',
          created_at: T,
          type: 'widget',
          widget: {
            type: 'Card',
            children: [
              { type: 'Text', value: 'Pick one' },
              { type: 'Button', label: 'Approve', onClickAction: { type: 'echo.approve', payload: { choice: 'yes' }, handler: 'server', loadingBehavior: 'auto', streaming: true } },
            ],
          },
        },
      },
    ];
    const { server } = setup({
      'threads.create': () => ({ events: widgetEvents }),
      'threads.custom_action': () => ({
        events: [{ type: 'stream_options', stream_options: { allow_cancel: true } }, ...answerEvents('thr_1', 'asst1', 'Action: echo.approve {"choice":"yes"}')],
      }),
      'items.feedback': () => ({ json: {} }),
      'threads.retry_after_item': () => ({ events: echoEvents('thr_1', 'x', { n: 2 }).slice(2) }),
    });
    await screen.findByTestId('parley-start');
    type('/widget please');
    pressEnter();

    fireEvent.click(await screen.findByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(server.ofType('threads.custom_action')).toHaveLength(1));
    expect(server.ofType('threads.custom_action')[0]!.body!.params).toEqual({
      thread_id: 'thr_1',
      item_id: 'widget1',
      action: { type: 'echo.approve', payload: { choice: 'yes' } },
    });
    await waitFor(() => expect(screen.getAllByTestId('parley-message').at(-1)!.dataset.role).toBe('assistant'));

    const good = await screen.findByRole('button', { name: 'Good response' });
    fireEvent.click(good);
    await waitFor(() => expect(server.ofType('items.feedback')).toHaveLength(1));
    expect(server.ofType('items.feedback')[0]!.body!.params).toEqual({ thread_id: 'thr_1', item_ids: ['asst1'], kind: 'positive' });
    expect(good.getAttribute('aria-pressed')).toBe('true');

    fireEvent.click(screen.getByTestId('parley-retry'));
    await waitFor(() => expect(server.ofType('threads.retry_after_item')).toHaveLength(1));
    expect(server.ofType('threads.retry_after_item')[0]!.body!.params).toEqual({ thread_id: 'thr_1', item_id: 'user1' });
    // Everything after the user message was replaced by the new answer.
    await waitFor(() => expect(screen.getAllByTestId('parley-message').map((m) => m.dataset.itemId)).toEqual(['user1', 'asst2']));
  });

  it('stops a streaming answer with the Stop button and keeps what arrived', async () => {
    setup({
      'threads.create': () => ({ events: echoEvents('thr_1', 'long answer', { create: true }).slice(0, 5), hold: true }),
    });
    await screen.findByTestId('parley-start');
    type('long answer');
    pressEnter();

    const stop = await screen.findByTestId('parley-stop');
    await waitFor(() => expect(screen.getAllByTestId('parley-message')).toHaveLength(2));
    fireEvent.click(stop);

    expect(await screen.findByTestId('parley-send')).toBeTruthy();
    expect(screen.queryByTestId('parley-stop')).toBeNull();
    expect(messages()[1]).toEqual(['assistant', 'Echo:']);
  });

  it('shows an in-stream error with a retry when the server allows one', async () => {
    setup({
      'threads.create': () => ({
        events: [...echoEvents('thr_1', '/error please', { create: true }).slice(0, 3), { type: 'error', code: 'custom', message: 'Echo failure', allow_retry: true }],
      }),
    });
    await screen.findByTestId('parley-start');
    type('/error please');
    pressEnter();
    const alert = await screen.findByTestId('parley-stream-error');
    expect(alert.textContent).toContain('Echo failure');
    expect(within(alert).getByRole('button', { name: 'Retry' })).toBeTruthy();
  });

  it.each([
    ['publish_token_invalid', 401, 'invalid_link', 'This link is not valid'],
    ['publish_token_rotated', 401, 'link_rotated', 'This link was replaced — ask the owner for the new link'],
    ['workflow_not_published', 403, 'offline', 'This chat is offline'],
  ])('replaces the chat with a screen for %s', async (code, status, kind, title) => {
    const { events } = setup({ 'threads.list': () => ({ error: { status, code } }) });
    const screenEl = await screen.findByTestId('parley-screen');
    expect(screenEl.dataset.kind).toBe(kind);
    expect(screen.getByRole('heading', { name: title })).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { name: title })));
    expect(screen.queryByTestId('parley-composer')).toBeNull();
    expect(events).toContainEqual({ type: 'request_failed', code, status });
  });

  it('offers sign-in for login_required and hands the URL to onSignIn', async () => {
    const onSignIn = vi.fn();
    setup(
      { 'threads.list': () => ({ error: { status: 401, code: 'login_required', details: { loginUrl: '/api/auth/oidc/login?returnTo=%2Fchat%2Fwf_1' } } }) },
      { onSignIn },
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Sign in' }));
    expect(onSignIn).toHaveBeenCalledWith('https://parley.test/api/auth/oidc/login?returnTo=%2Fchat%2Fwf_1');
  });

  it('counts down a rate limit from Retry-After, keeps the draft, then re-enables sending', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const { events } = setup({
      'threads.create': [
        () => ({ error: { status: 429, code: 'rate_limited', details: { retryAfterSeconds: 30 } }, headers: { 'Retry-After': '3' } }),
        () => ({ events: echoEvents('thr_1', 'again', { create: true }) }),
      ],
    });
    await screen.findByTestId('parley-start');
    type('again');
    pressEnter();

    expect((await screen.findByTestId('parley-countdown')).textContent).toBe('3');
    await waitFor(() => expect(composer().value).toBe('again'));
    expect((screen.getByTestId('parley-send') as HTMLButtonElement).disabled).toBe(true);
    expect(events).toContainEqual({ type: 'request_failed', code: 'rate_limited', status: 429 });

    act(() => vi.advanceTimersByTime(1000));
    expect(screen.getByTestId('parley-countdown').textContent).toBe('2');
    act(() => vi.advanceTimersByTime(2000));
    await waitFor(() => expect(screen.queryByTestId('parley-rate-limit')).toBeNull());
    expect((screen.getByTestId('parley-send') as HTMLButtonElement).disabled).toBe(false);

    pressEnter();
    await waitFor(() => expect(messages()).toHaveLength(2));
  });

  it('keeps the draft after a network failure and retries it', async () => {
    const { server, events } = setup({
      'threads.create': [() => ({ network: true }), () => ({ events: echoEvents('thr_1', 'hi there', { create: true }) })],
    });
    await screen.findByTestId('parley-start');
    type('hi there');
    pressEnter();

    const banner = await screen.findByTestId('parley-error');
    expect(banner.dataset.kind).toBe('network');
    expect(banner.textContent).toContain('Cannot reach the chat service');
    expect(composer().value).toBe('hi there');
    expect(events).toContainEqual({ type: 'request_failed', code: 'network_error' });

    fireEvent.click(screen.getByTestId('parley-retry-request'));
    await waitFor(() => expect(messages()).toEqual([
      ['user', 'hi there'],
      ['assistant', 'Echo: hi there'],
    ]));
    expect(server.ofType('threads.create')).toHaveLength(2);
    expect(screen.queryByTestId('parley-error')).toBeNull();
  });

  it('in session mode, refreshes the token once on a revoked session and keeps the draft when that fails too', async () => {
    let n = 0;
    const getToken = vi.fn(async () => ({ token: `jwt_${++n}`, expiresAt: new Date(Date.now() + 300_000).toISOString() }));
    const { server } = setup(
      { 'threads.create': () => ({ error: { status: 401, code: 'chat_session_revoked' } }) },
      { auth: { kind: 'session', getToken } },
    );
    await screen.findByTestId('parley-start');
    type('my long draft');
    pressEnter();

    const banner = await screen.findByTestId('parley-error');
    expect(banner.dataset.kind).toBe('session_expired');
    expect(composer().value).toBe('my long draft');
    expect(server.ofType('threads.create').map((c) => c.headers.get('Authorization'))).toEqual(['Bearer jwt_1', 'Bearer jwt_2']);
  });

  it('navigates the conversation list with the keyboard and returns focus on Escape', async () => {
    setup({
      'threads.list': () => ({ json: { data: [thread('a', 'Alpha'), thread('b', 'Beta'), thread('c', 'Gamma')], has_more: false } }),
      'threads.get_by_id': (params) => ({ json: { ...thread(params.thread_id as string, 'x'), items: { data: [], has_more: false } } }),
    });
    const toggle = screen.getByTestId('parley-history-toggle');
    await waitFor(() => expect(screen.getAllByTestId('parley-thread-item')).toHaveLength(3));

    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const [alpha, beta, gamma] = screen.getAllByTestId('parley-thread-item');
    await waitFor(() => expect(document.activeElement).toBe(alpha));
    fireEvent.keyDown(alpha!, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(beta);
    fireEvent.keyDown(beta!, { key: 'End' });
    expect(document.activeElement).toBe(gamma);
    fireEvent.keyDown(gamma!, { key: 'Escape' });
    expect(document.activeElement).toBe(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');

    fireEvent.click(toggle);
    fireEvent.click(screen.getByRole('button', { name: 'Gamma' }));
    expect(document.activeElement).toBe(composer());
    await waitFor(() => expect(screen.getByRole('button', { name: 'Gamma', hidden: true }).getAttribute('aria-current')).toBe('true'));
  });

  it('uses lite under auto, quietly, when the server has no ChatKit domain key', async () => {
    const { server, events } = setup({ 'GET /api/config': () => ({ json: { chatkit: { domainKey: '' } } }) }, { renderer: 'auto' });
    expect(await screen.findByTestId('parley-lite')).toBeTruthy();
    expect(screen.queryByTestId('parley-fallback-notice')).toBeNull();
    expect(events).toContainEqual({ type: 'renderer_fallback', from: 'chatkit', to: 'lite', reason: 'missing_domain_key' });
    expect(server.calls[0]!.url).toBe('https://parley.test/api/config');
  });

  it('falls back from auto to lite when the ChatKit script fails to load', async () => {
    // The CDN is unreachable: the script tag fails.
    const appendChild = vi.spyOn(document.head, 'appendChild').mockImplementation(<T extends Node>(node: T): T => {
      setTimeout(() => node.dispatchEvent(new Event('error')));
      return node;
    });
    const { events } = setup({}, { renderer: 'auto', domainKey: 'dk', chatkitScriptUrl: 'https://cdn.invalid/chatkit.js' });
    expect(await screen.findByTestId('parley-fallback-notice')).toBeTruthy();
    expect((appendChild.mock.calls[0]![0] as HTMLScriptElement).src).toBe('https://cdn.invalid/chatkit.js');
    appendChild.mockRestore();
    expect(events).toContainEqual({ type: 'renderer_fallback', from: 'chatkit', to: 'lite', reason: 'script_error' });
  });
});
