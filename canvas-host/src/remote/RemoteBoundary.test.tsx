import { fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WidgetLoadError } from './loadWidget';
import { RemoteBoundary } from './RemoteBoundary';
import { RemoteChatWidget } from './RemoteChatWidget';
import type { ChatWidgetOptions } from './widgetContract';

// React reports errors caught by a boundary on console.error; they are expected here.
beforeEach(() => {
  vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('RemoteBoundary', () => {
  it('shows a visible fallback for a failed load and renders the children again on retry', async () => {
    let broken = true;
    function Remote() {
      if (broken) throw new WidgetLoadError('remote_unavailable', 'down', 3);
      return <p>widget ready</p>;
    }
    const onRetry = vi.fn(() => {
      broken = false;
    });
    const onError = vi.fn();

    render(
      <RemoteBoundary onRetry={onRetry} onError={onError}>
        <Remote />
      </RemoteBoundary>,
    );

    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('The chat could not be loaded.');
    expect(alert.textContent).toContain('did not respond');
    expect(onError).toHaveBeenCalledWith(expect.any(WidgetLoadError), expect.anything());

    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));

    expect(onRetry).toHaveBeenCalledOnce();
    expect(screen.getByText('widget ready')).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('RemoteChatWidget', () => {
  const options: ChatWidgetOptions = {
    apiBaseUrl: 'https://parley.test',
    workflowId: 'wf_1',
    auth: { kind: 'publishToken', token: 'pub_x' },
  };

  it('falls back after the bounded retries and loads afresh when the visitor retries', async () => {
    let remoteUp = false;
    const loader = vi.fn(async () => {
      if (!remoteUp) throw new Error('ECONNREFUSED');
      return { default: (props: ChatWidgetOptions) => <p>widget for {props.workflowId}</p> };
    });

    render(
      <RemoteChatWidget
        manifestUrl="https://parley.test/widget/mf-manifest.json"
        loadOptions={{ loader, attempts: 2, sleep: async () => {} }}
        {...options}
      />,
    );

    expect(screen.getByRole('status').textContent).toBe('Loading chat…');
    await screen.findByRole('alert');
    expect(loader).toHaveBeenCalledTimes(2);

    remoteUp = true;
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));

    expect(await screen.findByText('widget for wf_1')).toBeTruthy();
    expect(loader).toHaveBeenCalledTimes(3);
  });
});
