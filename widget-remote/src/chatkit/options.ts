import type { ChatKitOptions, ColorScheme } from '@openai/chatkit-react';
import type { ResolvedWidgetConfig } from '../config';
import { runClientTool } from '../clientTools';
import type { ClientToolHandler } from '../contract';

/** The ChatKit options the widget needs from its config; the domain key must be known by now. */
export type ChatKitConfig = Pick<
  ResolvedWidgetConfig,
  'apiBaseUrl' | 'theme' | 'title' | 'greeting' | 'starterPrompts'
> & { domainKey: string; onClientTool?: ClientToolHandler | undefined };

/**
 * The configuration handed to `<openai-chatkit>` (pure, so tests check it without the web component): Parley's
 * ChatKit endpoint through the widget's auth fetch, the domain key, two-phase uploads, history with delete and
 * rename, feedback and retry on responses, and the widget's theme and start screen.
 */
export function buildChatKitOptions(
  config: ChatKitConfig,
  authFetch: typeof fetch,
  prefersDark: () => boolean = systemPrefersDark,
): ChatKitOptions {
  return {
    api: {
      url: `${config.apiBaseUrl}/api/chatkit`,
      domainKey: config.domainKey,
      fetch: authFetch,
      uploadStrategy: { type: 'two_phase' },
    },
    theme: { colorScheme: colorScheme(config.theme, prefersDark), radius: 'round', density: 'normal' },
    frameTitle: config.title,
    header: { enabled: true, title: { enabled: true, text: config.title } },
    startScreen: {
      greeting: config.greeting,
      prompts: config.starterPrompts.map(({ label, prompt }) => ({ label, prompt })),
    },
    history: { enabled: true, showDelete: true, showRename: true },
    threadItemActions: { feedback: true, retry: true },
    composer: { placeholder: 'Message', attachments: { enabled: false } },
    thread: { autoScroll: true },
    ...(config.onClientTool ? { onClientTool: clientToolAdapter(config.onClientTool) } : {}),
  };
}

/** ChatKit hands client tools `{name, params}`; the widget's contract says `{name, arguments}`. */
function clientToolAdapter(handler: ClientToolHandler): NonNullable<ChatKitOptions['onClientTool']> {
  return ({ name, params }) => runClientTool(handler, { name, arguments: params });
}

function colorScheme(theme: ResolvedWidgetConfig['theme'], prefersDark: () => boolean): ColorScheme {
  if (theme === 'system') return prefersDark() ? 'dark' : 'light';
  return theme;
}

function systemPrefersDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
}
