/**
 * The public contract between the Parley chat widget and its hosts (docs/embedding.md, The options contract).
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
 * A host-app end-user session's client secret, as `POST /api/workflows/:id/end-user-sessions` (or hosted ChatKit's
 * `sessions.create`) returns it: a JWT, and when it expires in Unix seconds.
 */
export interface HostClientSecret {
  client_secret: string;
  expires_at: number;
}

/**
 * How the widget authenticates to `/api/chatkit`.
 * - `session`: signed-in owners in the canvas; the host mints 5-minute chat tokens on demand. The widget calls
 *   `getToken` again shortly before the current token expires, and once more when the API answers 401.
 * - `publishToken`: public share links; the `pub_…` token taken from the page's URL fragment. The widget keeps the
 *   anonymous visitor token the API hands out in `localStorage`, per workflow, so a reload shows the same history.
 * - `hostSession`: your own app's signed-in users. `getClientSecret(current)` asks your backend, which mints an
 *   end-user session with its server key, and returns the `client_secret` (or the whole `{client_secret,
 *   expires_at}` answer). Like hosted ChatKit's option of the same name; the widget calls it again shortly before the
 *   secret expires and once more when the API answers 401. The user's history follows them across devices.
 */
export type WidgetAuth =
  | { kind: 'session'; getToken: () => Promise<SessionToken> }
  | { kind: 'publishToken'; token: string }
  | { kind: 'hostSession'; getClientSecret: (current: string | null) => Promise<string | HostClientSecret> };

/** `system` follows the visitor's `prefers-color-scheme`. */
export type WidgetTheme = 'light' | 'dark' | 'system';

/**
 * `chatkit` is the OpenAI ChatKit web component (needs OpenAI's CDN), `lite` the built-in renderer, and `auto` tries
 * ChatKit and falls back to `lite` when its script cannot load within a few seconds.
 */
export type WidgetRenderer = 'chatkit' | 'lite' | 'auto';

/** Telemetry the widget reports to its host. Never carries tokens or message text. */
export type WidgetEvent =
  | { type: 'open' }
  | { type: 'close' }
  | { type: 'message_sent' }
  /** `code` is the API error code (`publish_token_invalid`, `rate_limited`, …) or `network_error`. */
  | { type: 'request_failed'; code: string; status?: number }
  | { type: 'renderer_fallback'; from: 'chatkit'; to: 'lite'; reason: RendererFallbackReason };

/** Why `auto` did not use ChatKit: its script failed or timed out, or no ChatKit domain key is configured. */
export type RendererFallbackReason = 'script_error' | 'timeout' | 'missing_domain_key';

/** A suggested first message on the start screen. */
export interface StarterPrompt {
  label: string;
  prompt: string;
}

/** A client tool call the assistant asked this page to run (a workflow tool of type `client`). */
export interface ClientToolCall {
  /** The tool's name as defined in the workflow. */
  name: string;
  /** The arguments the model chose, validated by the server against the tool's JSON Schema. */
  arguments: Record<string, unknown>;
}

/**
 * Runs a client tool in the page and returns its result, which goes back to the assistant: an object as it is, any
 * other JSON value as `{ result: value }`. A thrown error or rejected promise is sent as `{ error: message }`, so the
 * conversation goes on.
 */
export type ClientToolHandler = (call: ClientToolCall) => unknown | Promise<unknown>;

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
  /** Shown as the chat's heading, e.g. the workflow name. Default "Chat". */
  title?: string;
  /** Start screen greeting. Default "How can I help?". */
  greeting?: string;
  starterPrompts?: StarterPrompt[];
  /**
   * ChatKit domain key (platform.openai.com › Domain allowlist). Default: `chatkit.domainKey` from the API's
   * `/api/config`, fetched only when the ChatKit renderer may be used.
   */
  domainKey?: string;
  /** URL of OpenAI's ChatKit script. Default: `chatkit.scriptUrl` from `/api/config`, then OpenAI's CDN. */
  chatkitScriptUrl?: string;
  /**
   * Called with the absolute sign-in URL when a visitor presses "Sign in" on a login-required chat. Default: the
   * widget navigates the page there. Hosts that hold state in memory (the public page's share token) use it to save
   * that state first.
   */
  onSignIn?: (loginUrl: string) => void;
  onEvent?: (event: WidgetEvent) => void;
  /**
   * Runs the workflow's `client` tools in this page (both renderers). Without it, a client tool call is shown as
   * something this chat cannot do and the assistant gets no answer.
   */
  onClientTool?: ClientToolHandler;
}

/** Removes the widget and releases what it holds. Calling it twice is harmless. */
export type UnmountWidget = () => void;

/** Signature of the `./mount` export, for hosts without React. */
export type MountWidget = (element: Element, options: ChatWidgetOptions) => UnmountWidget;
