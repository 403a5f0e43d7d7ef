import { describe, expect, it } from 'vitest';
import { resolveWidgetConfig } from '../config';
import { buildChatKitOptions } from './options';

const authFetch = (async () => new Response('{}')) as unknown as typeof fetch;

describe('buildChatKitOptions', () => {
  const config = resolveWidgetConfig({
    apiBaseUrl: 'https://parley.test/base/',
    workflowId: 'wf_1',
    auth: { kind: 'publishToken', token: 'pub_x' },
    theme: 'dark',
    title: 'Support bot',
    greeting: 'Hi there',
    starterPrompts: [{ label: 'Pricing', prompt: 'What does it cost?' }],
    domainKey: 'domain_pk_123',
  });

  it('points ChatKit at Parley’s endpoint through the auth fetch with the domain key and two-phase uploads', () => {
    const options = buildChatKitOptions({ ...config, domainKey: 'domain_pk_123' }, authFetch);
    expect(options.api).toEqual({
      url: 'https://parley.test/base/api/chatkit',
      domainKey: 'domain_pk_123',
      fetch: authFetch,
      uploadStrategy: { type: 'two_phase' },
    });
  });

  it('passes theme, title, start screen, history and item actions', () => {
    const options = buildChatKitOptions({ ...config, domainKey: 'dk' }, authFetch);
    expect(options).toMatchObject({
      theme: { colorScheme: 'dark' },
      frameTitle: 'Support bot',
      header: { title: { text: 'Support bot' } },
      startScreen: { greeting: 'Hi there', prompts: [{ label: 'Pricing', prompt: 'What does it cost?' }] },
      history: { enabled: true, showDelete: true, showRename: true },
      threadItemActions: { feedback: true, retry: true },
      composer: { attachments: { enabled: false } },
    });
  });

  it('resolves the system theme from the colour-scheme preference', () => {
    const system = { ...config, theme: 'system' as const, domainKey: 'dk' };
    expect(buildChatKitOptions(system, authFetch, () => true).theme).toMatchObject({ colorScheme: 'dark' });
    expect(buildChatKitOptions(system, authFetch, () => false).theme).toMatchObject({ colorScheme: 'light' });
  });

  it('wires onClientTool through ChatKit’s option: {name, params} in, the host’s {name, arguments} call, an object out', async () => {
    expect(buildChatKitOptions({ ...config, domainKey: 'dk' }, authFetch).onClientTool).toBeUndefined();
    const seen: unknown[] = [];
    const options = buildChatKitOptions(
      {
        ...config,
        domainKey: 'dk',
        onClientTool: (call) => {
          seen.push(call);
          if (call.name === 'fail') throw new Error('nope');
          return call.name === 'count' ? 3 : { ok: true };
        },
      },
      authFetch,
    );
    expect(await options.onClientTool!({ name: 'open_page', params: { path: '/a' } })).toEqual({ ok: true });
    expect(await options.onClientTool!({ name: 'count', params: {} })).toEqual({ result: 3 });
    expect(await options.onClientTool!({ name: 'fail', params: {} })).toEqual({ error: 'nope' });
    expect(seen).toEqual([
      { name: 'open_page', arguments: { path: '/a' } },
      { name: 'count', arguments: {} },
      { name: 'fail', arguments: {} },
    ]);
  });
});
