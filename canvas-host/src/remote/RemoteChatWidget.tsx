import { lazy, Suspense, useEffect, useMemo, useRef, useState } from 'react';
import { type LoadWidgetOptions, loadWidget } from './loadWidget';
import { RemoteBoundary } from './RemoteBoundary';
import type { ChatWidgetOptions } from './widgetContract';

export interface RemoteChatWidgetProps extends ChatWidgetOptions {
  /** URL of the remote's `mf-manifest.json`, from runtime config. */
  manifestUrl: string;
  /** Retry tuning and test seams; read when a load starts, so passing a new object on each render is fine. */
  loadOptions?: LoadWidgetOptions;
}

/**
 * The widget loaded from the remote at runtime: a loading state while it downloads, the error boundary's fallback
 * once the bounded retries are used up, and a fresh load each time the visitor presses "Try again".
 */
export function RemoteChatWidget({ manifestUrl, loadOptions, ...options }: RemoteChatWidgetProps) {
  const [generation, setGeneration] = useState(0);
  const loadOptionsRef = useRef(loadOptions);
  useEffect(() => {
    loadOptionsRef.current = loadOptions;
  });

  const Widget = useMemo(
    () => lazy(async () => ({ default: await loadWidget(manifestUrl, loadOptionsRef.current) })),
    // `generation` is the retry counter: a new lazy component is a new load.
    [manifestUrl, generation],
  );

  return (
    <RemoteBoundary onRetry={() => setGeneration((value) => value + 1)}>
      <Suspense fallback={<p role="status" data-testid="remote-loading">Loading chat…</p>}>
        <Widget {...options} />
      </Suspense>
    </RemoteBoundary>
  );
}
