import { Component, type ErrorInfo, type ReactNode } from 'react';
import { WidgetLoadError } from './loadWidget';

export interface RemoteBoundaryProps {
  children: ReactNode;
  /** Runs when the visitor presses "Try again", before the children render again (e.g. start a fresh load). */
  onRetry?: () => void;
  /** Reports the caught error, e.g. to telemetry. */
  onError?: (error: unknown, info: ErrorInfo) => void;
  title?: string;
}

interface RemoteBoundaryState {
  error: unknown;
  failed: boolean;
}

/**
 * Catches a failed remote load (or a crash inside the remote) and shows a visible fallback with a retry button, so a
 * broken widget never takes the host page down with it (docs/adr/0001-module-federation-vite-plugin.md).
 */
export class RemoteBoundary extends Component<RemoteBoundaryProps, RemoteBoundaryState> {
  override state: RemoteBoundaryState = { error: undefined, failed: false };

  static getDerivedStateFromError(error: unknown): RemoteBoundaryState {
    return { error, failed: true };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    this.props.onError?.(error, info);
  }

  private readonly retry = () => {
    this.props.onRetry?.();
    this.setState({ error: undefined, failed: false });
  };

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    return (
      <div role="alert" className="remote-fallback" data-testid="remote-fallback">
        <p className="remote-fallback__title">{this.props.title ?? 'The chat could not be loaded.'}</p>
        <p>{describe(this.state.error)}</p>
        <button type="button" onClick={this.retry}>
          Try again
        </button>
      </div>
    );
  }
}

function describe(error: unknown): string {
  if (error instanceof WidgetLoadError) {
    switch (error.code) {
      case 'remote_unavailable':
        return 'The chat service did not respond. Check your connection and try again.';
      case 'remote_invalid':
        return 'This page and the chat service are out of step. Reload the page.';
      case 'aborted':
        return 'Loading the chat was cancelled.';
    }
  }
  return 'Something went wrong while showing the chat.';
}
