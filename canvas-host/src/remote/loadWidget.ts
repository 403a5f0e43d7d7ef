import { loadRemote, registerRemotes } from '@module-federation/runtime';
import type { ComponentType } from 'react';
import { type ChatWidgetOptions, WIDGET_FEDERATION } from './widgetContract';

export type ChatWidgetComponent = ComponentType<ChatWidgetOptions>;

/**
 * - `remote_unavailable`: every attempt failed (manifest, entry or chunk unreachable, or the remote threw).
 * - `remote_invalid`: the remote loaded but `./ChatWidget` is not a component; not retried, a deploy problem.
 * - `aborted`: the caller's signal fired.
 */
export type WidgetLoadErrorCode = 'remote_unavailable' | 'remote_invalid' | 'aborted';

/** Why the widget remote could not be loaded; `cause` holds the last underlying error. */
export class WidgetLoadError extends Error {
  override readonly name = 'WidgetLoadError';

  constructor(
    readonly code: WidgetLoadErrorCode,
    message: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One try at fetching the remote's `./ChatWidget` module; `attempt` starts at 1. */
export type RemoteModuleLoader = (manifestUrl: string, attempt: number) => Promise<unknown>;

export interface LoadWidgetOptions {
  /** Total tries, including the first. Default 3. */
  attempts?: number;
  /** Wait before the first retry; doubles for each further retry. Default 500 ms. */
  baseDelayMs?: number;
  /** Upper bound for one wait. Default 4000 ms. */
  maxDelayMs?: number;
  signal?: AbortSignal;
  /** Replaced in tests; defaults to the Module Federation runtime. */
  loader?: RemoteModuleLoader;
  /** Replaced in tests; defaults to a timer that the signal cancels. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Observes each failed attempt that will be retried (for logging or telemetry). */
  onRetry?: (failure: { attempt: number; delayMs: number; error: unknown }) => void;
}

export const LOAD_WIDGET_DEFAULTS = { attempts: 3, baseDelayMs: 500, maxDelayMs: 4000 } as const;

let registeredManifestUrl: string | undefined;

/**
 * Loads `./ChatWidget` through the federation runtime. The manifest carries the entry's URL and type (`module` for
 * this plugin) and `publicPath: "auto"`, so chunks resolve against the manifest's own URL.
 * Re-registering with `force` drops what a failed attempt left in the runtime's caches; it is skipped on a first
 * attempt for the same URL so a second widget on the page reuses the loaded remote.
 */
export const federationLoader: RemoteModuleLoader = (manifestUrl, attempt) => {
  const force = attempt > 1 || (registeredManifestUrl !== undefined && registeredManifestUrl !== manifestUrl);
  registerRemotes([{ name: WIDGET_FEDERATION.name, entry: manifestUrl, type: 'module' }], { force });
  registeredManifestUrl = manifestUrl;
  const expose = WIDGET_FEDERATION.exposes.ChatWidget.replace(/^\.\//, '');
  return loadRemote<unknown>(`${WIDGET_FEDERATION.name}/${expose}`);
};

/**
 * Loads the chat widget component from the remote whose `mf-manifest.json` is at `manifestUrl` (given by runtime
 * config), retrying failed attempts with exponential backoff: with the defaults, 3 tries over about 1.5 s.
 * Rejects with a {@link WidgetLoadError}.
 */
export async function loadWidget(manifestUrl: string, options: LoadWidgetOptions = {}): Promise<ChatWidgetComponent> {
  const {
    attempts = LOAD_WIDGET_DEFAULTS.attempts,
    baseDelayMs = LOAD_WIDGET_DEFAULTS.baseDelayMs,
    maxDelayMs = LOAD_WIDGET_DEFAULTS.maxDelayMs,
    signal,
    loader = federationLoader,
    sleep = abortableSleep,
    onRetry,
  } = options;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError('attempts must be a positive integer');

  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    throwIfAborted(signal, attempt - 1, lastError);
    let loaded: unknown;
    try {
      loaded = await loader(manifestUrl, attempt);
    } catch (error) {
      lastError = error;
      throwIfAborted(signal, attempt, error);
      if (attempt === attempts) break;
      const delayMs = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      onRetry?.({ attempt, delayMs, error });
      try {
        await sleep(delayMs, signal);
      } catch (sleepError) {
        throwIfAborted(signal, attempt, error);
        throw sleepError;
      }
      continue;
    }
    return pickComponent(loaded, attempt);
  }
  throw new WidgetLoadError(
    'remote_unavailable',
    `The chat widget could not be loaded after ${attempts} attempt(s)`,
    attempts,
    { cause: lastError },
  );
}

function pickComponent(loaded: unknown, attempts: number): ChatWidgetComponent {
  const module = (typeof loaded === 'object' && loaded !== null ? loaded : {}) as Record<string, unknown>;
  const candidate = module.default ?? module.ChatWidget;
  // Function components, or the objects React.memo / forwardRef return.
  const isComponent =
    typeof candidate === 'function' ||
    (typeof candidate === 'object' && candidate !== null && '$$typeof' in candidate);
  if (!isComponent) {
    throw new WidgetLoadError('remote_invalid', 'The widget remote does not export a ChatWidget component', attempts);
  }
  return candidate as ChatWidgetComponent;
}

function throwIfAborted(signal: AbortSignal | undefined, attempts: number, cause: unknown): void {
  if (signal?.aborted) {
    throw new WidgetLoadError('aborted', 'Loading the chat widget was cancelled', attempts, {
      cause: signal.reason ?? cause,
    });
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
