import { useEffect, useRef, useState } from 'react';
import type { ErrorView } from '../api/errors';

/**
 * Whole seconds left until `until` (epoch ms), 0 once it has passed. Computed during render (never stale for a new
 * `until`), with a timer that re-renders while it counts.
 */
export function useCountdown(until: number | null, now: () => number = Date.now): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (until === null) return;
    const timer = setInterval(() => setTick((tick) => tick + 1), 500);
    return () => clearInterval(timer);
  }, [until]);
  return until === null ? 0 : Math.max(0, Math.ceil((until - now()) / 1000));
}

/** Placeholder bars shown while a conversation loads. */
export function Skeleton({ label = 'Loading conversation…' }: { label?: string }) {
  return (
    <div className="pw-skeleton" role="status" aria-label={label} data-testid="parley-skeleton">
      <span />
      <span />
      <span />
    </div>
  );
}

export interface FatalScreenProps {
  view: ErrorView;
  onSignIn: (loginUrl: string) => void;
}

/** A failure that ends the chat (invalid, replaced or revoked link; sign-in needed): replaces the whole chat. */
export function FatalScreen({ view, onSignIn }: FatalScreenProps) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  // Move focus to the news, so keyboard and screen reader users are not left on a control that vanished.
  useEffect(() => headingRef.current?.focus(), [view.kind]);
  return (
    <div className="pw-screen" data-testid="parley-screen" data-kind={view.kind} role="alert">
      <h3 ref={headingRef} tabIndex={-1}>
        {view.title}
      </h3>
      <p>{view.message}</p>
      {view.kind === 'login_required' && view.loginUrl && (
        <button
          type="button"
          className="pw-primary"
          data-testid="parley-sign-in"
          onClick={() => onSignIn(view.loginUrl as string)}
        >
          Sign in
        </button>
      )}
      {view.requestId && <p className="pw-muted">Reference: {view.requestId}</p>}
    </div>
  );
}

/** The rate-limit banner: a countdown from `Retry-After`; the chat re-enables itself when it reaches zero. */
export function RateLimitBanner({ seconds }: { seconds: number }) {
  return (
    <div className="pw-banner pw-warning" data-testid="parley-rate-limit">
      <p role="alert">Too many messages. Please wait a moment.</p>
      <p>
        You can send again in <span data-testid="parley-countdown">{seconds}</span> s.
      </p>
    </div>
  );
}

/** A recoverable failure (network, expired session, server error) with a retry button. */
export function ErrorBanner({ view, onRetry }: { view: ErrorView; onRetry?: () => void }) {
  return (
    <div className="pw-banner pw-danger" data-testid="parley-error" data-kind={view.kind}>
      <div role="alert">
        <strong>{view.title}</strong> {view.message}
      </div>
      {onRetry && (
        <button type="button" data-testid="parley-retry-request" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
