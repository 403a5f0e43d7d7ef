import { act } from 'react';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { WidgetConfigError } from './config';
import type { ChatWidgetOptions, WidgetEvent } from './contract';
import { mount } from './mount';
import { fakeServer } from './test/fakeServer';

const options = (overrides: Partial<ChatWidgetOptions> = {}): ChatWidgetOptions => ({
  apiBaseUrl: 'https://parley.test/',
  workflowId: 'wf_123',
  auth: { kind: 'publishToken', token: 'pub_test' },
  renderer: 'lite',
  ...overrides,
});

beforeAll(() => {
  // Lets React flush renders inside act() outside of Testing Library.
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
});

beforeEach(() => {
  vi.stubGlobal('fetch', fakeServer({ 'threads.list': () => ({ json: { data: [], has_more: false } }) }).fetch);
});

afterEach(() => {
  document.body.replaceChildren();
  vi.unstubAllGlobals();
});

describe('mount', () => {
  it('renders an accessible panel into the element and unmount() empties it', async () => {
    const element = document.body.appendChild(document.createElement('div'));

    let unmount = () => {};
    await act(async () => {
      unmount = mount(element, options({ theme: 'dark' }));
    });

    const region = element.querySelector('section');
    const heading = element.querySelector('h2');
    expect(heading?.textContent).toBe('Chat');
    expect(region?.getAttribute('aria-labelledby')).toBe(heading?.id);
    expect(region?.dataset.theme).toBe('dark');
    expect(region?.dataset.renderer).toBe('lite');
    expect(element.querySelector('[aria-live="polite"]')?.getAttribute('role')).toBe('log');
    expect(element.querySelector('textarea')?.id).toContain('parley-');

    await act(async () => unmount());
    expect(element.childNodes).toHaveLength(0);
    // Idempotent: a host calling it twice must not get "Cannot update an unmounted root".
    expect(() => unmount()).not.toThrow();
  });

  it('reports open on mount and close on unmount through onEvent', async () => {
    const events: WidgetEvent[] = [];
    const element = document.body.appendChild(document.createElement('div'));

    let unmount = () => {};
    await act(async () => {
      unmount = mount(element, options({ onEvent: (event) => events.push(event) }));
    });
    await act(async () => unmount());

    // StrictMode replays effects in development, so only the first and the last event are fixed.
    expect(events[0]).toEqual({ type: 'open' });
    expect(events.at(-1)).toEqual({ type: 'close' });
  });

  it('rejects invalid options synchronously and leaves the element untouched', () => {
    const element = document.body.appendChild(document.createElement('div'));
    element.textContent = 'host content';

    expect(() => mount(element, options({ workflowId: '' }))).toThrow(WidgetConfigError);
    expect(() => mount(element, { ...options(), auth: { kind: 'publishToken' } } as unknown as ChatWidgetOptions)).toThrow(
      /auth/,
    );
    expect(element.textContent).toBe('host content');
  });
});

describe('exposed modules', () => {
  it('have no side effects at import time', async () => {
    vi.resetModules();
    const fetchSpy = vi.fn();
    vi.stubGlobal('fetch', fetchSpy);
    const html = document.documentElement.outerHTML;
    const globals = new Set(Object.keys(globalThis));

    const [widget, mountModule, contract] = await Promise.all([
      import('./ChatWidget'),
      import('./mount'),
      import('./contract'),
    ]);

    expect(typeof widget.default).toBe('function');
    expect(typeof mountModule.mount).toBe('function');
    expect(contract.WIDGET_FEDERATION.name).toBe('parley_widget');
    expect(document.documentElement.outerHTML).toBe(html);
    expect(Object.keys(globalThis).filter((key) => !globals.has(key))).toEqual([]);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('passes onClientTool to the renderer: a client tool call is run by the host and answered', async () => {
    const thread = { id: 'thr_1', created_at: 'T', status: { type: 'active' }, metadata: {}, items: { data: [], has_more: false } };
    const call = { id: 'tool1', thread_id: 'thr_1', created_at: 'T', type: 'client_tool_call', status: 'pending', call_id: 'c1', name: 'whoami', arguments: {} };
    const server = fakeServer({
      'threads.list': () => ({ json: { data: [], has_more: false } }),
      'threads.create': () => ({ events: [{ type: 'thread.created', thread }, { type: 'thread.item.done', item: call }] }),
      'threads.add_client_tool_output': () => ({ events: [] }),
    });
    vi.stubGlobal('fetch', server.fetch);
    const element = document.body.appendChild(document.createElement('div'));
    const onClientTool = vi.fn(() => ({ user: 'ada' }));
    await act(async () => {
      mount(element, options({ onClientTool }));
    });
    const composer = element.querySelector('textarea')!;
    await act(async () => {
      const setValue = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!;
      setValue.call(composer, 'who am I?');
      composer.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(async () => {
      composer.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    });
    await vi.waitFor(() => expect(server.ofType('threads.add_client_tool_output')).toHaveLength(1));
    expect(onClientTool).toHaveBeenCalledWith({ name: 'whoami', arguments: {} });
    expect(server.ofType('threads.add_client_tool_output')[0]!.body!.params).toEqual({ thread_id: 'thr_1', result: { user: 'ada' } });
  });
});
