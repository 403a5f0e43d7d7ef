import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import type { ResponseOf } from '../api/types';

/** `GET /api/config`: what hosts need at runtime (`RuntimeConfigDto` of docs/openapi.json). */
export type RuntimeConfig = ResponseOf<'/api/config', 'get', never>;

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
