import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { error, fakeApi } from '../test/fakeApi';
import { api, ApiError, apiUrl, errorMessage, onSignedOut } from './client';
import type { components } from '@parley/api-types';
import type { ApiErrorBody, RequestOf, ResponseOf, Workflow } from './types';

afterEach(() => vi.unstubAllGlobals());

describe('api', () => {
  it('sends JSON with the owner cookies and returns the body', async () => {
    const server = fakeApi({ 'POST /api/workflows': ({ body }) => ({ status: 201, json: { id: 'wf_1', ...(body as object) } }) });
    vi.stubGlobal('fetch', server.fetch);

    await expect(api('/workflows', { method: 'POST', body: { name: 'A' } })).resolves.toEqual({ id: 'wf_1', name: 'A' });
    const [call] = server.calls;
    expect(call!.init.credentials).toBe('include');
    expect(new Headers(call!.init.headers).get('Content-Type')).toBe('application/json');
  });

  it('builds query strings without empty values and returns undefined for 204', async () => {
    expect(apiUrl('/workflows', { limit: 20, cursor: null, q: '' })).toBe('/api/workflows?limit=20');
    vi.stubGlobal('fetch', fakeApi({ 'DELETE /api/workflows/wf_1': () => ({ status: 204 }) }).fetch);
    await expect(api('/workflows/wf_1', { method: 'DELETE' })).resolves.toBeUndefined();
  });

  it('rejects with the error body as an ApiError, fields included', async () => {
    vi.stubGlobal(
      'fetch',
      fakeApi({ 'POST /api/workflows': () => ({ status: 400, json: error(400, 'validation_failed', { fields: { name: ['name must be shorter'] } }) }) }).fetch,
    );
    const failure = await api('/workflows', { method: 'POST', body: {} }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ status: 400, code: 'validation_failed', requestId: 'req-test' });
    expect((failure as ApiError).fields).toEqual({ name: ['name must be shorter'] });
  });

  it('refreshes an expired access token once and retries', async () => {
    const server = fakeApi({
      'GET /api/workflows': [() => ({ status: 401, json: error(401, 'token_expired') }), () => ({ json: { data: [], nextCursor: null } })],
      'POST /api/auth/refresh': () => ({ json: {} }),
    });
    vi.stubGlobal('fetch', server.fetch);
    await expect(api('/workflows')).resolves.toEqual({ data: [], nextCursor: null });
    expect(server.calls.map((c) => `${c.method} ${c.url.pathname}`)).toEqual([
      'GET /api/workflows',
      'POST /api/auth/refresh',
      'GET /api/workflows',
    ]);
  });

  it('shares one refresh between concurrent requests and signs out when it fails', async () => {
    const server = fakeApi({
      'GET /api/workflows': () => ({ status: 401, json: error(401, 'unauthenticated') }),
      'POST /api/auth/refresh': () => ({ status: 401, json: error(401, 'token_invalid') }),
    });
    vi.stubGlobal('fetch', server.fetch);
    const signedOut = vi.fn();
    const stop = onSignedOut(signedOut);
    const results = await Promise.allSettled([api('/workflows'), api('/workflows')]);
    stop();
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(server.called('POST /api/auth/refresh')).toHaveLength(1);
    expect(signedOut).toHaveBeenCalled();
  });

  it('does not refresh for other 401 codes or on the auth routes', async () => {
    const server = fakeApi({
      'POST /api/auth/login': () => ({ status: 401, json: error(401, 'invalid_credentials') }),
      'GET /api/workflows': () => ({ status: 401, json: error(401, 'token_invalid') }),
    });
    vi.stubGlobal('fetch', server.fetch);
    await expect(api('/auth/login', { method: 'POST', body: {} })).rejects.toMatchObject({ code: 'invalid_credentials' });
    await expect(api('/workflows')).rejects.toMatchObject({ code: 'token_invalid' });
    expect(server.called('POST /api/auth/refresh')).toHaveLength(0);
  });

  it('turns network failures into network_error with a readable message', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    const failure = await api('/workflows').catch((e: unknown) => e);
    expect(failure).toMatchObject({ status: 0, code: 'network_error' });
    expect(errorMessage(failure)).toMatch(/could not be reached/);
    expect(errorMessage(new ApiError({ statusCode: 500, code: 'internal_error', message: 'Boom.', requestId: 'r1' }))).toBe('Boom. (reference r1)');
  });
});

describe('generated types', () => {
  it('use the generated OpenAPI types where the document has the route, the fallback elsewhere', () => {
    expectTypeOf<ResponseOf<'/healthz', 'get', never>>().toEqualTypeOf<components['schemas']['LivenessDto']>();
    expectTypeOf<ResponseOf<'/api/not-documented', 'get', { x: 1 }>>().toEqualTypeOf<{ x: 1 }>();
    expectTypeOf<RequestOf<'/healthz', 'get', { y: 2 }>>().toEqualTypeOf<{ y: 2 }>();
    expectTypeOf<ApiErrorBody['code']>().toEqualTypeOf<string>();
    expectTypeOf<Workflow['isPublic']>().toEqualTypeOf<boolean>();
  });
});
