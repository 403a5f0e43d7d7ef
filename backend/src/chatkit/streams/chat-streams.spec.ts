import { ParleyMetrics } from '../../metrics/parley-metrics';
import type { ClusterEvent, ClusterEvents } from '../../operations/cluster-events';
import type { GracefulShutdown } from '../../operations/graceful-shutdown';
import { ChatStreams, ErrorEvent, OpenStream } from './chat-streams';

const WF = '3f1b7c2e-6d4a-4b8e-9c1d-2a5e7f9b0c3d';
const OTHER = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

function setup() {
  const handlers: Array<(e: ClusterEvent) => void> = [];
  const cluster = { subscribe: (h: (e: ClusterEvent) => void) => handlers.push(h) } as unknown as ClusterEvents;
  const shutdown = { register: () => undefined, draining: false } as unknown as GracefulShutdown;
  const metrics = new ParleyMetrics();
  const streams = new ChatStreams(metrics, cluster, shutdown);
  streams.onModuleInit();
  const ended: Array<{ name: string; event: ErrorEvent }> = [];
  const open = (name: string, workflowId: string, linkId: string | null): (() => void) =>
    streams.add({ workflowId, linkId, authMode: linkId ? 'publishToken' : 'chat', end: (event) => ended.push({ name, event }) } satisfies OpenStream);
  const emit = (e: ClusterEvent) => handlers.forEach((h) => h(e));
  return { streams, metrics, ended, open, emit };
}

describe('ChatStreams', () => {
  it('a revocation ends the public streams of that workflow once, however often it is heard', async () => {
    const { ended, open, emit, metrics } = setup();
    open('public', WF, 'link-1');
    open('canvas', WF, null);
    open('elsewhere', OTHER, 'link-2');
    emit({ kind: 'workflow_revoked', workflowId: WF });
    // Heard again (local delivery, then the NOTIFY) while the stream is still winding down.
    emit({ kind: 'workflow_revoked', workflowId: WF });
    expect(ended.map((e) => e.name)).toEqual(['public']);
    expect(ended[0].event).toMatchObject({ type: 'error', allow_retry: false });
    const counter = await metrics.registry.getSingleMetric('parley_chatkit_streams_ended_by_server_total')!.get();
    expect(counter.values).toEqual([expect.objectContaining({ labels: { reason: 'workflow_revoked' }, value: 1 })]);
  });

  it('drain waits for streams that finish within the grace period and ends the rest with allow_retry', async () => {
    const { streams, ended, open } = setup();
    const quick = open('quick', WF, null);
    const slow = open('slow', WF, 'link-1');
    setTimeout(quick, 20);
    const started = Date.now();
    const draining = streams.drain(100);
    await new Promise((r) => setTimeout(r, 50));
    expect(ended).toEqual([]);
    await new Promise((r) => setTimeout(r, 80));
    expect(ended.map((e) => e.name)).toEqual(['slow']);
    expect(ended[0].event.allow_retry).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    // The ended stream closes its response; the drain then completes.
    slow();
    await draining;
    expect(streams.size).toBe(0);
  });
});
