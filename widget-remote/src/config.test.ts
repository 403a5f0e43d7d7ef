import { describe, expect, it, vi } from 'vitest';
import { resolveWidgetConfig, WIDGET_DEFAULTS, WidgetConfigError } from './config';
import type { ChatWidgetOptions } from './contract';

const base: ChatWidgetOptions = {
  apiBaseUrl: 'https://parley.test/',
  workflowId: 'wf_1',
  auth: { kind: 'session', getToken: async () => ({ token: 't', expiresAt: '2030-01-01T00:00:00Z' }) },
};

describe('resolveWidgetConfig', () => {
  it('uses props first, then runtime config, then defaults', () => {
    expect(resolveWidgetConfig(base)).toMatchObject(WIDGET_DEFAULTS);
    expect(resolveWidgetConfig({ ...base, theme: 'system', renderer: 'lite' })).toMatchObject({
      theme: 'system',
      renderer: 'lite',
    });
    const runtime = { chatkit: { domainKey: 'dk_runtime', scriptUrl: 'https://cdn.test/chatkit.js' } };
    expect(resolveWidgetConfig(base, runtime)).toMatchObject({
      domainKey: 'dk_runtime',
      chatkitScriptUrl: 'https://cdn.test/chatkit.js',
    });
    expect(resolveWidgetConfig({ ...base, domainKey: 'dk_props' }, runtime).domainKey).toBe('dk_props');
  });

  it('rejects unknown theme and renderer props', () => {
    expect(() => resolveWidgetConfig({ ...base, renderer: 'holographic' } as unknown as ChatWidgetOptions)).toThrow(
      WidgetConfigError,
    );
    expect(() => resolveWidgetConfig({ ...base, theme: 'neon' } as unknown as ChatWidgetOptions)).toThrow(WidgetConfigError);
  });

  it('normalises apiBaseUrl and validates required options', () => {
    expect(resolveWidgetConfig(base).apiBaseUrl).toBe('https://parley.test');
    expect(() => resolveWidgetConfig({ ...base, apiBaseUrl: ' ' })).toThrow(/apiBaseUrl/);
    expect(() =>
      resolveWidgetConfig({ ...base, auth: { kind: 'session' } } as unknown as ChatWidgetOptions),
    ).toThrow(/auth/);
  });

  it('never lets a throwing onEvent handler escape', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const config = resolveWidgetConfig({
      ...base,
      onEvent: () => {
        throw new Error('host bug');
      },
    });
    expect(() => config.emit({ type: 'open' })).not.toThrow();
    expect(error).toHaveBeenCalledOnce();
    error.mockRestore();
  });

  it('takes onClientTool when it is a function and refuses anything else', () => {
    const onClientTool = () => ({ ok: true });
    expect(resolveWidgetConfig({ ...base, onClientTool }).onClientTool).toBe(onClientTool);
    expect(resolveWidgetConfig(base).onClientTool).toBeUndefined();
    expect(() => resolveWidgetConfig({ ...base, onClientTool: 'run' } as unknown as ChatWidgetOptions)).toThrow('onClientTool must be a function');
  });
});
