import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiErrorInfo } from '../api/errors';
import type { SessionToken } from '../contract';
import { errorResponse, fakeServer } from '../test/fakeServer';
import { createAuthFetch, visitorStorageKey } from './authFetch';

const URL = 'https://parley.test/api/chatkit';
const body = (type: string) => JSON.stringify({ type, params: {} });
const ok = () => ({ json: {} });

function memoryStorage() {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (key: string) => map.get(key) ?? null,
    setItem: (key: string, value: string) => void map.set(key, value),
  };
}

describe('createAuthFetch — publishToken mode', () => {
  it('sends the publish token and the workflow on every request, and no Authorization', async () => {
    const server = fakeServer({ 'threads.list': ok });
    const authFetch = createAuthFetch({
      auth: { kind: 'publishToken', token: 'pub_abc' },
      workflowId: 'wf_1',
      fetch: server.fetch,
      storage: memoryStorage(),
    });

    await authFetch(URL, { method: 'POST', body: body('threads.list'), headers: { 'Content-Type': 'application/json' } });

    const headers = server.calls[0]!.headers;
    expect(headers.get('X-Parley-Publish-Token')).toBe('pub_abc');
    expect(headers.get('X-Parley-Workflow')).toBe('wf_1');
    expect(headers.get('Content-Type')).toBe('application/json');
    expect(headers.get('Authorization')).toBeNull();
    expect(headers.get('X-Parley-Visitor')).toBeNull();
  });

  it('keeps the visitor token the server issues, per workflow, and sends it back', async () => {
    const storage = memoryStorage();
    const server = fakeServer({
      'threads.list': [() => ({ json: {}, headers: { 'X-Parley-Visitor': 'vis_1' } }), ok],
    });
    const make = (workflowId: string) =>
      createAuthFetch({ auth: { kind: 'publishToken', token: 'pub_abc' }, workflowId, fetch: server.fetch, storage });

    const first = make('wf_1');
    await first(URL, { method: 'POST', body: body('threads.list') });
    await first(URL, { method: 'POST', body: body('threads.list') });
    expect(storage.map.get(visitorStorageKey('wf_1'))).toBe('vis_1');
    expect(visitorStorageKey('wf_1')).toBe('parley.visitor.wf_1');
    expect(server.calls[1]!.headers.get('X-Parley-Visitor')).toBe('vis_1');

    // A reload (a new instance) sends the stored token; another workflow has none.
    await make('wf_1')(URL, { method: 'POST', body: body('threads.list') });
    expect(server.calls[2]!.headers.get('X-Parley-Visitor')).toBe('vis_1');
    await make('wf_2')(URL, { method: 'POST', body: body('threads.list') });
    expect(server.calls[3]!.headers.get('X-Parley-Visitor')).toBeNull();
  });

  it('defaults to localStorage, and falls back to memory when storage throws', async () => {
    localStorage.clear();
    const server = fakeServer({ 'threads.list': () => ({ json: {}, headers: { 'X-Parley-Visitor': 'vis_ls' } }) });
    await createAuthFetch({ auth: { kind: 'publishToken', token: 'pub_x' }, workflowId: 'wf_ls', fetch: server.fetch })(URL, {
      method: 'POST',
      body: body('threads.list'),
    });
    expect(localStorage.getItem('parley.visitor.wf_ls')).toBe('vis_ls');

    const broken = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    const authFetch = createAuthFetch({
      auth: { kind: 'publishToken', token: 'pub_x' },
      workflowId: 'wf_mem',
      fetch: server.fetch,
      storage: broken,
    });
    await authFetch(URL, { method: 'POST', body: body('threads.list') });
    await authFetch(URL, { method: 'POST', body: body('threads.list') });
    expect(server.calls.at(-1)!.headers.get('X-Parley-Visitor')).toBe('vis_ls');
  });

  it('reports failures (not aborts) and the ChatKit request type', async () => {
    const failures: ApiErrorInfo[] = [];
    const types: string[] = [];
    const server = fakeServer({
      'threads.create': () => ({ error: { status: 401, code: 'publish_token_rotated' } }),
      'threads.list': () => ({ network: true }),
    });
    const authFetch = createAuthFetch({
      auth: { kind: 'publishToken', token: 'pub_old' },
      workflowId: 'wf_1',
      fetch: server.fetch,
      storage: memoryStorage(),
      onFailure: (info) => failures.push(info),
      onChatKitRequest: (type) => types.push(type),
    });

    const response = await authFetch(URL, { method: 'POST', body: body('threads.create') });
    expect(response.status).toBe(401);
    await expect(authFetch(URL, { method: 'POST', body: body('threads.list') })).rejects.toThrow(TypeError);
    const controller = new AbortController();
    controller.abort();
    await expect(
      authFetch(URL, { method: 'POST', body: body('threads.list'), signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });

    expect(types).toEqual(['threads.create', 'threads.list', 'threads.list']);
    expect(failures.map((f) => [f.status, f.code])).toEqual([
      [401, 'publish_token_rotated'],
      [0, 'network_error'],
    ]);
    // Publish tokens are not retried: a 401 here is the answer.
    expect(server.ofType('threads.create')).toHaveLength(1);
  });
});

describe('createAuthFetch — session mode', () => {
  const T0 = Date.parse('2030-01-01T00:00:00Z');
  let tokens: number;
  let getToken: ReturnType<typeof vi.fn<() => Promise<SessionToken>>>;

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    tokens = 0;
    // A 5-minute chat JWT, like POST /api/workflows/:id/chatkit/session.
    getToken = vi.fn(async () => {
      tokens += 1;
      return { token: `jwt_${tokens}`, expiresAt: new Date(Date.now() + 300_000).toISOString() };
    });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const bearer = (call: { headers: Headers }) => call.headers.get('Authorization');

  it('sends a Bearer chat token and the workflow, fetching the token once for concurrent requests', async () => {
    const server = fakeServer({ 'threads.list': ok });
    const authFetch = createAuthFetch({ auth: { kind: 'session', getToken }, workflowId: 'wf_1', fetch: server.fetch });

    await Promise.all([authFetch(URL, { method: 'POST', body: body('threads.list') }), authFetch(URL, { method: 'POST', body: body('threads.list') })]);

    expect(getToken).toHaveBeenCalledTimes(1);
    expect(server.calls.map(bearer)).toEqual(['Bearer jwt_1', 'Bearer jwt_1']);
    expect(server.calls[0]!.headers.get('X-Parley-Workflow')).toBe('wf_1');
    expect(server.calls[0]!.headers.get('X-Parley-Publish-Token')).toBeNull();
    authFetch.dispose();
  });

  it('refreshes in the background one minute before expiry while the chat is in use', async () => {
    const server = fakeServer({ 'threads.list': ok });
    const authFetch = createAuthFetch({ auth: { kind: 'session', getToken }, workflowId: 'wf_1', fetch: server.fetch });
    await authFetch(URL, { method: 'POST', body: body('threads.list') });

    await vi.advanceTimersByTimeAsync(239_000);
    expect(getToken).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1_000); // t = 240 s = expiry - 60 s
    expect(getToken).toHaveBeenCalledTimes(2);

    await authFetch(URL, { method: 'POST', body: body('threads.list') });
    expect(bearer(server.calls[1]!)).toBe('Bearer jwt_2');
    expect(getToken).toHaveBeenCalledTimes(2);
    authFetch.dispose();
  });

  it('drops an unused token instead of refreshing it, and fetches a fresh one on the next request', async () => {
    const server = fakeServer({ 'threads.list': ok });
    const authFetch = createAuthFetch({ auth: { kind: 'session', getToken }, workflowId: 'wf_1', fetch: server.fetch });
    await authFetch(URL, { method: 'POST', body: body('threads.list') });
    await vi.advanceTimersByTimeAsync(240_000); // refreshed: used since it arrived
    expect(getToken).toHaveBeenCalledTimes(2);

    await vi.advanceTimersByTimeAsync(600_000); // idle: nothing more
    expect(getToken).toHaveBeenCalledTimes(2);

    await authFetch(URL, { method: 'POST', body: body('threads.list') });
    expect(getToken).toHaveBeenCalledTimes(3);
    expect(bearer(server.calls[1]!)).toBe('Bearer jwt_3');
    authFetch.dispose();
  });

  it('never sends a token inside the refresh margin, even without timers (a sleeping laptop)', async () => {
    const server = fakeServer({ 'threads.list': ok });
    const authFetch = createAuthFetch({ auth: { kind: 'session', getToken }, workflowId: 'wf_1', fetch: server.fetch });
    await authFetch(URL, { method: 'POST', body: body('threads.list') });
    authFetch.dispose(); // no timer any more
    vi.setSystemTime(T0 + 250_000);

    await authFetch(URL, { method: 'POST', body: body('threads.list') });
    expect(bearer(server.calls[1]!)).toBe('Bearer jwt_2');
  });

  it('on a 401 fetches one fresh token and retries the same request once', async () => {
    const server = fakeServer({
      'threads.add_user_message': [
        () => ({ error: { status: 401, code: 'chat_session_revoked' } }),
        () => ({ events: [] }),
      ],
    });
    const failures: ApiErrorInfo[] = [];
    const authFetch = createAuthFetch({
      auth: { kind: 'session', getToken },
      workflowId: 'wf_1',
      fetch: server.fetch,
      onFailure: (info) => failures.push(info),
    });
    const request = JSON.stringify({ type: 'threads.add_user_message', params: { thread_id: 't', input: {} } });

    const response = await authFetch(URL, { method: 'POST', body: request });

    expect(response.status).toBe(200);
    expect(server.calls.map(bearer)).toEqual(['Bearer jwt_1', 'Bearer jwt_2']);
    expect(server.calls[1]!.body).toEqual(JSON.parse(request));
    expect(failures).toEqual([]);
    authFetch.dispose();
  });

  it('gives up after the single retry and reports the failure', async () => {
    const server = fakeServer({ 'threads.list': () => ({ error: { status: 401, code: 'token_expired' } }) });
    const failures: ApiErrorInfo[] = [];
    const authFetch = createAuthFetch({
      auth: { kind: 'session', getToken },
      workflowId: 'wf_1',
      fetch: server.fetch,
      onFailure: (info) => failures.push(info),
    });

    const response = await authFetch(URL, { method: 'POST', body: body('threads.list') });

    expect(response.status).toBe(401);
    expect(server.calls).toHaveLength(2);
    expect(getToken).toHaveBeenCalledTimes(2);
    expect(failures.map((f) => f.code)).toEqual(['token_expired']);
    authFetch.dispose();
  });

  it('retries a Request object with its body intact', async () => {
    const seen: string[] = [];
    const fetchImpl = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      seen.push(`${request.headers.get('Authorization')} ${await request.text()}`);
      return seen.length === 1 ? errorResponse({ status: 401, code: 'token_expired' }) : new Response('{}');
    });
    const authFetch = createAuthFetch({ auth: { kind: 'session', getToken }, workflowId: 'wf_1', fetch: fetchImpl });

    await authFetch(new Request(URL, { method: 'POST', body: body('threads.list') }));

    expect(seen).toEqual([`Bearer jwt_1 ${body('threads.list')}`, `Bearer jwt_2 ${body('threads.list')}`]);
    authFetch.dispose();
  });

  it('turns a failing getToken into a reported session error without calling the API', async () => {
    const server = fakeServer({ 'threads.list': ok });
    const failures: ApiErrorInfo[] = [];
    const authFetch = createAuthFetch({
      auth: {
        kind: 'session',
        getToken: async () => {
          throw Object.assign(new Error('Sign in again'), { status: 401, code: 'token_expired' });
        },
      },
      workflowId: 'wf_1',
      fetch: server.fetch,
      onFailure: (info) => failures.push(info),
    });

    await expect(authFetch(URL, { method: 'POST', body: body('threads.list') })).rejects.toMatchObject({
      name: 'WidgetApiError',
      info: { status: 401, code: 'token_expired' },
    });
    expect(server.calls).toEqual([]);
    expect(failures.map((f) => f.code)).toEqual(['token_expired']);
  });
});

describe('createAuthFetch — hostSession mode', () => {
  const jwt = (exp: number, tag: string) => `h.${btoa(JSON.stringify({ exp, tag })).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.s`;

  it('sends the client secret as Bearer, passes the current one back, and refreshes before the JWT expires', async () => {
    let now = 1_000_000;
    const seen: (string | null)[] = [];
    const secrets = [jwt(1_000 + 300, 'one'), jwt(1_000 + 600, 'two')];
    const getClientSecret = vi.fn(async (current: string | null) => {
      seen.push(current);
      return secrets.shift()!;
    });
    const server = fakeServer({ 'threads.list': ok });
    const authFetch = createAuthFetch({ auth: { kind: 'hostSession', getClientSecret }, workflowId: 'wf_1', fetch: server.fetch, now: () => now });

    await authFetch(URL, { method: 'POST', body: body('threads.list') });
    expect(server.calls[0]!.headers.get('Authorization')).toMatch(/^Bearer h\./);
    // Still fresh: no new secret.
    now += 100_000;
    await authFetch(URL, { method: 'POST', body: body('threads.list') });
    expect(getClientSecret).toHaveBeenCalledTimes(1);
    // Within the refresh margin of `exp` (1300 s): a new one, asked for with the current secret.
    now = 1_300_000 - 30_000;
    await authFetch(URL, { method: 'POST', body: body('threads.list') });
    expect(getClientSecret).toHaveBeenCalledTimes(2);
    expect(seen[0]).toBeNull();
    expect(seen[1]).toContain('h.');
    expect(server.calls[2]!.headers.get('Authorization')).not.toBe(server.calls[0]!.headers.get('Authorization'));
    authFetch.dispose();
  });

  it('accepts the {client_secret, expires_at} answer of the end-user-sessions route', async () => {
    const getClientSecret = vi.fn(async () => ({ client_secret: 'opaque-secret', expires_at: 2_000_000_000 }));
    const server = fakeServer({ 'threads.list': ok });
    const authFetch = createAuthFetch({ auth: { kind: 'hostSession', getClientSecret }, workflowId: 'wf_1', fetch: server.fetch });
    await authFetch(URL, { method: 'POST', body: body('threads.list') });
    await authFetch(URL, { method: 'POST', body: body('threads.list') });
    expect(server.calls[1]!.headers.get('Authorization')).toBe('Bearer opaque-secret');
    expect(getClientSecret).toHaveBeenCalledTimes(1);
    authFetch.dispose();
  });
});
