import type { components } from '@parley/api-types';
import type {
  ChatWidgetOptions,
  ClientToolHandler,
  StarterPrompt,
  WidgetAuth,
  WidgetEvent,
  WidgetRenderer,
  WidgetTheme,
} from './contract';

/**
 * The one place that turns what a host passes into what the widget uses (docs/embedding.md, The options contract): host props win, then
 * runtime config (the API's `/api/config`), then the defaults below.
 */

/**
 * Settings supplied at runtime; hosts can still override them with props: what the widget reads of the API's
 * `/api/config` (`RuntimeConfigDto` of docs/openapi.json, generated into `@parley/api-types`), every field optional
 * because the fetch may fail or meet an older server.
 */
export interface WidgetRuntimeConfig {
  chatkit?: Partial<components['schemas']['RuntimeConfigDto']['chatkit']>;
}

export interface ResolvedWidgetConfig {
  /** Without a trailing slash, so `${apiBaseUrl}/api/chatkit` is always well formed. */
  apiBaseUrl: string;
  workflowId: string;
  auth: WidgetAuth;
  theme: WidgetTheme;
  renderer: WidgetRenderer;
  title: string;
  greeting: string;
  starterPrompts: StarterPrompt[];
  /** Undefined when neither the host nor the API configured one: the ChatKit renderer cannot start without it. */
  domainKey: string | undefined;
  chatkitScriptUrl: string;
  /** How long `auto` waits for the ChatKit script to define `<openai-chatkit>` before falling back to `lite`. */
  chatkitTimeoutMs: number;
  onSignIn: ((loginUrl: string) => void) | undefined;
  onClientTool: ClientToolHandler | undefined;
  emit: (event: WidgetEvent) => void;
}

export const WIDGET_DEFAULTS = {
  theme: 'light',
  renderer: 'auto',
  title: 'Chat',
  greeting: 'How can I help?',
  chatkitScriptUrl: 'https://cdn.platform.openai.com/deployments/chatkit/chatkit.js',
  chatkitTimeoutMs: 4000,
} as const;

const THEMES: readonly WidgetTheme[] = ['light', 'dark', 'system'];
const RENDERERS: readonly WidgetRenderer[] = ['chatkit', 'lite', 'auto'];

/** Thrown for options a host got wrong; `mount()` callers may not have TypeScript to catch these. */
export class WidgetConfigError extends Error {
  override readonly name = 'WidgetConfigError';
}

export function resolveWidgetConfig(
  options: ChatWidgetOptions,
  runtime: WidgetRuntimeConfig = {},
): ResolvedWidgetConfig {
  if (typeof options !== 'object' || options === null) {
    throw new WidgetConfigError('ChatWidget options must be an object');
  }
  const apiBaseUrl = requireString(options.apiBaseUrl, 'apiBaseUrl').replace(/\/+$/, '');
  const workflowId = requireString(options.workflowId, 'workflowId');
  const auth = checkAuth(options.auth);
  const onEvent = options.onEvent;

  return {
    apiBaseUrl,
    workflowId,
    auth,
    theme: pick('theme', THEMES, options.theme, WIDGET_DEFAULTS.theme),
    renderer: pick('renderer', RENDERERS, options.renderer, WIDGET_DEFAULTS.renderer),
    title: optionalString(options.title) ?? WIDGET_DEFAULTS.title,
    greeting: optionalString(options.greeting) ?? WIDGET_DEFAULTS.greeting,
    starterPrompts: (options.starterPrompts ?? []).filter(
      (p) => typeof p?.label === 'string' && typeof p.prompt === 'string' && p.prompt.trim() !== '',
    ),
    domainKey: optionalString(options.domainKey) ?? optionalString(runtime.chatkit?.domainKey),
    chatkitScriptUrl:
      optionalString(options.chatkitScriptUrl) ??
      optionalString(runtime.chatkit?.scriptUrl) ??
      WIDGET_DEFAULTS.chatkitScriptUrl,
    chatkitTimeoutMs: WIDGET_DEFAULTS.chatkitTimeoutMs,
    onSignIn: typeof options.onSignIn === 'function' ? options.onSignIn : undefined,
    onClientTool: optionalFunction(options.onClientTool, 'onClientTool'),
    emit: (event) => {
      if (!onEvent) return;
      // A host's telemetry bug must never break the chat.
      try {
        onEvent(event);
      } catch (error) {
        console.error('[parley-widget] onEvent handler threw', error);
      }
    },
  };
}

/**
 * Reads the widget's part of the API's public `GET /api/config`
 * (`{chatkit: {domainKey, scriptUrl}, …}`). Never throws: without runtime config the widget still works on props and
 * defaults.
 */
export async function fetchWidgetRuntimeConfig(
  apiBaseUrl: string,
  fetchImpl: typeof fetch = fetch,
  signal?: AbortSignal,
): Promise<WidgetRuntimeConfig> {
  try {
    const response = await fetchImpl(`${apiBaseUrl}/api/config`, { signal, headers: { Accept: 'application/json' } });
    if (!response.ok) return {};
    const body = (await response.json()) as { chatkit?: { domainKey?: unknown; scriptUrl?: unknown } } | null;
    const chatkit = body?.chatkit;
    return {
      chatkit: {
        domainKey: typeof chatkit?.domainKey === 'string' ? chatkit.domainKey : undefined,
        scriptUrl: typeof chatkit?.scriptUrl === 'string' ? chatkit.scriptUrl : undefined,
      },
    };
  } catch {
    return {};
  }
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new WidgetConfigError(`ChatWidget option "${field}" must be a non-empty string`);
  }
  return value.trim();
}

function checkAuth(auth: unknown): WidgetAuth {
  const candidate = auth as Partial<Record<string, unknown>> | null | undefined;
  if (candidate?.kind === 'session' && typeof candidate.getToken === 'function') return auth as WidgetAuth;
  if (candidate?.kind === 'hostSession' && typeof candidate.getClientSecret === 'function') return auth as WidgetAuth;
  if (candidate?.kind === 'publishToken' && typeof candidate.token === 'string' && candidate.token !== '') {
    return auth as WidgetAuth;
  }
  throw new WidgetConfigError(
    'ChatWidget option "auth" must be {kind: "session", getToken}, {kind: "publishToken", token} or {kind: "hostSession", getClientSecret}',
  );
}

function pick<T extends string>(field: string, allowed: readonly T[], fromProps: T | undefined, fallback: T): T {
  if (fromProps === undefined) return fallback;
  if (!allowed.includes(fromProps)) {
    throw new WidgetConfigError(`ChatWidget option "${field}" must be one of ${allowed.join(', ')}`);
  }
  return fromProps;
}

/** An optional callback; anything else but `undefined` is a host mistake worth failing on. */
function optionalFunction<F>(value: F | undefined, name: string): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new WidgetConfigError(`${name} must be a function`);
  return value;
}
