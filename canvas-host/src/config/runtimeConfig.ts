import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import type { ResponseOf } from '../api/types';

/**
 * `GET /api/config`: what hosts need at runtime (the one place this contract is written down on the front end).
 * REGENERATE: the generated type replaces this fallback once the route is in docs/openapi.json.
 */
interface RuntimeConfigContract {
  /** URL of the widget remote's `mf-manifest.json` (absolute, or relative to this origin). */
  widgetManifestUrl: string;
  features: {
    /** The chat bubble on workflow pages. */
    canvasChat: boolean;
    /** Public share-link pages. */
    publicChat: boolean;
  };
  /** Whether "Sign in with SSO" (OpenID Connect) is available. */
  oidcEnabled: boolean;
  chatkit: { domainKey: string; scriptUrl: string };
}

export type RuntimeConfig = ResponseOf<'/api/config', 'get', RuntimeConfigContract>;

let cached: Promise<RuntimeConfig> | null = null;

/** Fetched once per page; a failure is not cached, so a retry fetches again. */
export function loadRuntimeConfig(): Promise<RuntimeConfig> {
  cached ??= api<RuntimeConfig>('/config').catch((error: unknown) => {
    cached = null;
    throw error;
  });
  return cached;
}

/** Test seam: forget the cached config. */
export function resetRuntimeConfig(): void {
  cached = null;
}

/** The manifest URL made absolute against this page, as the federation runtime expects. */
export function manifestUrlOf(config: RuntimeConfig): string {
  return new URL(config.widgetManifestUrl, window.location.href).href;
}

export type RuntimeConfigState =
  | { status: 'loading' }
  | { status: 'ready'; config: RuntimeConfig }
  | { status: 'error'; error: unknown; retry: () => void };

export function useRuntimeConfig(): RuntimeConfigState {
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<RuntimeConfigState>({ status: 'loading' });
  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  useEffect(() => {
    let active = true;
    loadRuntimeConfig().then(
      (config) => active && setState({ status: 'ready', config }),
      (error: unknown) => active && setState({ status: 'error', error, retry }),
    );
    return () => {
      active = false;
    };
  }, [attempt, retry]);
  return state;
}
