import { describe, expect, it } from 'vitest';
import { describeError, networkErrorInfo, parseRetryAfter, readApiError } from './errors';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const publicCtx = { authKind: 'publishToken' as const, apiBaseUrl: 'https://parley.test' };
const sessionCtx = { authKind: 'session' as const, apiBaseUrl: 'https://parley.test' };

function errorBody(status: number, code: string, details?: Record<string, unknown>, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify({ statusCode: status, code, message: `m-${code}`, requestId: 'req-9', details }), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

describe('readApiError', () => {
  it('reads the error body', async () => {
    expect(await readApiError(errorBody(401, 'publish_token_invalid'))).toEqual({
      status: 401,
      code: 'publish_token_invalid',
      message: 'm-publish_token_invalid',
      requestId: 'req-9',
    });
  });

  it('takes the rate-limit wait from Retry-After first, then details.retryAfterSeconds, then a default', async () => {
    const both = errorBody(429, 'rate_limited', { retryAfterSeconds: 30 }, { 'Retry-After': '12' });
    expect((await readApiError(both, NOW)).retryAfterSeconds).toBe(12);
    const detailsOnly = errorBody(429, 'rate_limited', { retryAfterSeconds: 7.2 });
    expect((await readApiError(detailsOnly, NOW)).retryAfterSeconds).toBe(8);
    expect((await readApiError(errorBody(429, 'rate_limited'), NOW)).retryAfterSeconds).toBe(10);
  });

  it('survives bodies that are not Parley errors', async () => {
    const html = new Response('<h1>Bad gateway</h1>', { status: 502, statusText: 'Bad Gateway' });
    expect(await readApiError(html)).toMatchObject({ status: 502, code: 'internal_error', message: 'Bad Gateway' });
    expect(await readApiError(new Response('', { status: 429 }), NOW)).toMatchObject({
      code: 'rate_limited',
      retryAfterSeconds: 10,
    });
  });
});

describe('parseRetryAfter', () => {
  it('accepts delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120);
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:00:45 GMT', NOW)).toBe(45);
    expect(parseRetryAfter('Mon, 31 Dec 2029 23:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
  });
});

describe('describeError', () => {
  const info = (status: number, code: string, details?: Record<string, unknown>) => ({
    status,
    code,
    message: 'x',
    ...(details ? { details } : {}),
  });

  it.each([
    ['publish_token_invalid', 401, 'invalid_link', 'This link is not valid'],
    ['publish_token_rotated', 401, 'link_rotated', 'This link was replaced — ask the owner for the new link'],
    ['workflow_not_published', 403, 'offline', 'This chat is offline'],
    ['workflow_mismatch', 403, 'unavailable', 'This chat is not available here'],
    ['origin_not_allowed', 403, 'unavailable', 'This chat is not available on this site'],
  ])('%s is a fatal screen', (code, status, kind, title) => {
    expect(describeError(info(status, code), publicCtx)).toMatchObject({ kind, title, fatal: true, code });
  });

  it('login_required offers the server-built sign-in URL, resolved against the API', () => {
    const view = describeError(
      info(401, 'login_required', { loginUrl: '/api/auth/oidc/login?returnTo=%2Fchat%2Fwf' }),
      publicCtx,
    );
    expect(view).toMatchObject({ kind: 'login_required', fatal: true, title: 'Sign in to chat' });
    expect(view.loginUrl).toBe('https://parley.test/api/auth/oidc/login?returnTo=%2Fchat%2Fwf');
    // Never a script URL.
    expect(describeError(info(401, 'login_required', { loginUrl: 'javascript:alert(1)' }), publicCtx).loginUrl).toBeUndefined();
  });

  it('rate_limited is a banner with the countdown length', () => {
    expect(describeError({ ...info(429, 'rate_limited'), retryAfterSeconds: 12 }, publicCtx)).toMatchObject({
      kind: 'rate_limited',
      fatal: false,
      retryAfterSeconds: 12,
    });
  });

  it('network failures offer a retry', () => {
    expect(describeError(networkErrorInfo(new TypeError('Failed to fetch')), publicCtx)).toMatchObject({
      kind: 'network',
      fatal: false,
      title: 'Cannot reach the chat service',
    });
  });

  it('session-token failures in session mode keep the chat (and the draft) with a retry', () => {
    for (const code of ['chat_session_revoked', 'token_expired']) {
      expect(describeError(info(401, code), sessionCtx)).toMatchObject({ kind: 'session_expired', fatal: false });
    }
    expect(describeError(info(401, 'token_expired'), publicCtx).kind).toBe('generic');
  });

  it('anything else is a generic, recoverable error carrying the request id', () => {
    expect(describeError({ ...info(500, 'internal_error'), requestId: 'req-1' }, publicCtx)).toMatchObject({
      kind: 'generic',
      fatal: false,
      requestId: 'req-1',
    });
  });
});
