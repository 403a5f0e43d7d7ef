import { vi } from 'vitest';
import type { ComponentType } from 'react';
import type { ChatWidgetOptions } from '../remote/widgetContract';

/**
 * Test helper: a fake `fetch` for the Parley REST API, keyed by `METHOD /path` (query ignored). A handler returns
 * `{status?, json?, headers?}`; a list of handlers answers in turn (the last one repeats). Unknown routes answer 404.
 */
export interface FakeRequest {
  method: string;
  url: URL;
  body: unknown;
  init: RequestInit;
}

export interface FakeResponse {
  status?: number;
  json?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (request: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export function fakeApi(routes: Record<string, Handler | Handler[]>) {
  const calls: FakeRequest[] = [];
  const queues = new Map(Object.entries(routes).map(([key, value]) => [key, Array.isArray(value) ? [...value] : [value]]));
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, 'http://localhost:3000');
    const method = (init.method ?? 'GET').toUpperCase();
    const request: FakeRequest = { method, url, body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined, init };
    calls.push(request);
    const queue = queues.get(`${method} ${url.pathname}`);
    const handler = queue && (queue.length > 1 ? queue.shift() : queue[0]);
    const reply = handler ? await handler(request) : { status: 404, json: error(404, 'not_found') };
    const status = reply.status ?? 200;
    return new Response(reply.json === undefined ? null : JSON.stringify(reply.json), {
      status,
      headers: { 'Content-Type': 'application/json', ...reply.headers },
    });
  };
  return {
    fetch: fetch as typeof globalThis.fetch,
    calls,
    called: (key: string) => calls.filter((c) => `${c.method} ${c.url.pathname}` === key),
  };
}

export function error(status: number, code: string, details?: Record<string, unknown>) {
  return { statusCode: status, code, message: `message for ${code}`, requestId: 'req-test', ...(details ? { details } : {}) };
}

export const runtimeConfig = (overrides: Partial<{ canvasChat: boolean; publicChat: boolean; oidcEnabled: boolean }> = {}) => ({
  widgetManifestUrl: '/widget/mf-manifest.json',
  features: { canvasChat: overrides.canvasChat ?? true, publicChat: overrides.publicChat ?? true },
  oidcEnabled: overrides.oidcEnabled ?? false,
  chatkit: { domainKey: 'domain_pk_test', scriptUrl: 'https://cdn.test/chatkit.js' },
});

export const workflow = (overrides: Record<string, unknown> = {}) => ({
  id: 'wf_1',
  ownerId: 'user_1',
  name: 'Support bot',
  description: '',
  runner: { kind: 'echo' },
  allowedOrigins: [],
  publishedVersion: null,
  draftDiffers: false,
  isPublic: false,
  requireLogin: false,
  publishedAt: null,
  publishedBy: null,
  publishTokenRotatedAt: null,
  transcriptRetentionDays: null,
  shareUrl: null,
  createdAt: '2030-01-01T00:00:00Z',
  updatedAt: '2030-01-01T00:00:00Z',
  ...overrides,
});

/** A loader for `RemoteChatWidget` that records the props the "remote" widget receives. */
export function fakeRemote() {
  const mounted: ChatWidgetOptions[] = [];
  const Widget: ComponentType<ChatWidgetOptions> = (props) => {
    mounted.push(props);
    return <div data-testid="fake-widget" data-workflow-id={props.workflowId} data-auth={props.auth.kind} />;
  };
  const loader = vi.fn(async () => ({ default: Widget }));
  return { loader, mounted, loadOptions: { loader, attempts: 1, sleep: async () => {} } };
}
