/**
 * The public contract between the Parley chat widget and its hosts (STYLE.md item 14).
 *
 * Hosts import these types directly (canvas-host via a relative path), never through `declare module` stubs, so a
 * change here breaks the host's type-check instead of its users. Keep this module free of imports and side effects:
 * it is compiled into hosts as well as into the remote.
 */

/** Federation coordinates of the remote; the remote's vite.config.ts and the hosts' loaders both read them. */
export const WIDGET_FEDERATION = {
  name: 'parley_widget',
  exposes: {
    ChatWidget: './ChatWidget',
    mount: './mount',
  },
} as const;

/** A short-lived chat session token, as returned by `POST /api/workflows/:id/chatkit/session`. */
export interface SessionToken {
  token: string;
  /** ISO 8601 instant; the widget refreshes the token before it passes. */
  expiresAt: string;
}

/**
 * How the widget authenticates to `/api/chatkit`.
 * - `session`: signed-in owners in the canvas; the host mints 5-minute chat tokens on demand.
 * - `publishToken`: public share links; the `pub_…` token taken from the page's URL fragment.
 */
export type WidgetAuth =
  | { kind: 'session'; getToken: () => Promise<SessionToken> }
  | { kind: 'publishToken'; token: string };

/** `system` follows the visitor's `prefers-color-scheme`. */
export type WidgetTheme = 'light' | 'dark' | 'system';

/**
 * `chatkit` is the OpenAI ChatKit web component (needs OpenAI's CDN), `lite` the built-in renderer, and `auto` tries
 * ChatKit and falls back to `lite` when its script cannot load.
 */
export type WidgetRenderer = 'chatkit' | 'lite' | 'auto';

/** Telemetry the widget reports to its host. Never carries tokens or message text. */
export type WidgetEvent =
  | { type: 'open' }
  | { type: 'close' }
  | { type: 'message_sent' }
  /** `code` is the API error code (`publish_token_invalid`, `rate_limited`, …) or `network_error`. */
  | { type: 'request_failed'; code: string; status?: number }
  | { type: 'renderer_fallback'; from: 'chatkit'; to: 'lite'; reason: string };

/** Options accepted by `<ChatWidget>` (as props) and by `mount(element, options)`. */
export interface ChatWidgetOptions {
  /** Origin (and optional path prefix) of the Parley API, e.g. `https://parley.example.com`; `/api/…` is appended. */
  apiBaseUrl: string;
  workflowId: string;
  auth: WidgetAuth;
  /** Default `light`. */
  theme?: WidgetTheme;
  /** Default `auto`. */
  renderer?: WidgetRenderer;
  onEvent?: (event: WidgetEvent) => void;
}

/** Removes the widget and releases what it holds. Calling it twice is harmless. */
export type UnmountWidget = () => void;

/** Signature of the `./mount` export, for hosts without React. */
export type MountWidget = (element: Element, options: ChatWidgetOptions) => UnmountWidget;
