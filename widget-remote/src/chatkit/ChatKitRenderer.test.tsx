import type { ChatKitOptions } from '@openai/chatkit-react';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChatWidget } from '../ChatWidget';
import type { ChatWidgetOptions } from '../contract';
import { fakeServer } from '../test/fakeServer';
import { CHATKIT_ELEMENT } from './loadScript';

// DEPENDENCIES.md gotcha 11: the real element comes from OpenAI's CDN (unreachable here), so a stub records the
// options @openai/chatkit-react hands it.
const received: ChatKitOptions[] = [];
beforeAll(() => {
  customElements.define(
    CHATKIT_ELEMENT,
    class extends HTMLElement {
      setOptions(options: ChatKitOptions) {
        received.push(options);
      }
    },
  );
});
afterEach(() => {
  // Unmount before un-stubbing fetch, so no late request reaches the real network.
  cleanup();
  received.length = 0;
  vi.unstubAllGlobals();
  localStorage.clear();
});

const base: ChatWidgetOptions = {
  apiBaseUrl: 'https://parley.test',
  workflowId: 'wf_1',
  auth: { kind: 'publishToken', token: 'pub_x' },
  renderer: 'chatkit',
  domainKey: 'domain_pk_test',
};

async function optionsHandedToChatKit(): Promise<ChatKitOptions> {
  await waitFor(() => expect(received.length).toBeGreaterThan(0));
  return received.at(-1)!;
}

describe('ChatWidget with the ChatKit renderer', () => {
  it('renders <openai-chatkit> configured for Parley, whose fetch adds the public headers', async () => {
    const server = fakeServer({ 'threads.list': () => ({ json: { data: [], has_more: false }, headers: { 'X-Parley-Visitor': 'vis_9' } }) });
    vi.stubGlobal('fetch', server.fetch);
    const events: unknown[] = [];
    render(<ChatWidget {...base} onEvent={(e) => events.push(e)} />);

    const options = await optionsHandedToChatKit();
    expect(screen.getByTestId('parley-widget').dataset.activeRenderer).toBe('chatkit');
    expect(document.querySelector(CHATKIT_ELEMENT)).not.toBeNull();
    expect(options.api).toMatchObject({
      url: 'https://parley.test/api/chatkit',
      domainKey: 'domain_pk_test',
      uploadStrategy: { type: 'two_phase' },
    });
    expect(options).toMatchObject({ history: { enabled: true }, threadItemActions: { feedback: true, retry: true } });

    // What ChatKit would do: call api.fetch for every protocol request.
    const api = options.api as { url: string; fetch: typeof fetch };
    await api.fetch(api.url, { method: 'POST', body: JSON.stringify({ type: 'threads.list', params: {} }) });
    await api.fetch(api.url, { method: 'POST', body: JSON.stringify({ type: 'threads.create', params: {} }) });
    const [first, second] = server.calls;
    expect(first!.headers.get('X-Parley-Publish-Token')).toBe('pub_x');
    expect(first!.headers.get('X-Parley-Workflow')).toBe('wf_1');
    expect(second!.headers.get('X-Parley-Visitor')).toBe('vis_9');
    expect(localStorage.getItem('parley.visitor.wf_1')).toBe('vis_9');
    expect(events).toContainEqual({ type: 'message_sent' });
  });

  it('uses a Bearer chat token in session mode', async () => {
    const server = fakeServer({ 'threads.list': () => ({ json: {} }) });
    vi.stubGlobal('fetch', server.fetch);
    const getToken = vi.fn(async () => ({ token: 'jwt_1', expiresAt: new Date(Date.now() + 300_000).toISOString() }));
    render(<ChatWidget {...base} auth={{ kind: 'session', getToken }} />);

    const api = (await optionsHandedToChatKit()).api as { url: string; fetch: typeof fetch };
    await api.fetch(api.url, { method: 'POST', body: '{"type":"threads.list","params":{}}' });
    expect(server.calls[0]!.headers.get('Authorization')).toBe('Bearer jwt_1');
    expect(server.calls[0]!.headers.get('X-Parley-Publish-Token')).toBeNull();
  });

  it('reads the domain key and script URL from /api/config when the host passes none', async () => {
    const server = fakeServer({
      'GET /api/config': () => ({
        json: {
          widgetManifestUrl: '/widget/mf-manifest.json',
          features: { canvasChat: true, publicChat: true },
          oidcEnabled: false,
          chatkit: { domainKey: 'domain_pk_runtime', scriptUrl: 'https://cdn.test/chatkit.js' },
        },
      }),
    });
    vi.stubGlobal('fetch', server.fetch);
    render(<ChatWidget {...base} domainKey={undefined} renderer="auto" />);

    const options = await optionsHandedToChatKit();
    expect(options.api).toMatchObject({ domainKey: 'domain_pk_runtime' });
    expect(server.calls[0]!.url).toBe('https://parley.test/api/config');
  });

  it('shows a failure with the full renderer forced but no domain key anywhere', async () => {
    vi.stubGlobal('fetch', fakeServer({ 'GET /api/config': () => ({ json: { chatkit: { domainKey: '' } } }) }).fetch);
    render(<ChatWidget {...base} domainKey={undefined} />);
    expect((await screen.findByTestId('parley-error')).textContent).toContain('ChatKit is not configured');
    expect(received).toEqual([]);
  });
});
