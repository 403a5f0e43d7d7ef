import { apiError, errnoOf, ExitCode, networkError } from './errors';

const body = (code: string, message = 'Something.', extra: Record<string, unknown> = {}) => ({ statusCode: 0, code, message, requestId: 'req-1', ...extra });

describe('apiError', () => {
  it.each([
    [400, 'validation_failed', ExitCode.usage],
    [401, 'token_invalid', ExitCode.auth],
    [401, 'invalid_credentials', ExitCode.auth],
    [403, 'forbidden', ExitCode.auth],
    [403, 'feature_disabled', ExitCode.failure],
    [404, 'not_found', ExitCode.notFound],
    [409, 'publish_invalid_state', ExitCode.conflict],
    [429, 'rate_limited', ExitCode.failure],
    [500, 'internal_error', ExitCode.failure],
  ])('HTTP %i %s → exit %i', (status, code, exit) => {
    const err = apiError(status, body(code));
    expect({ exitCode: err.exitCode, code: err.info.code, status: err.info.status }).toEqual({ exitCode: exit, code, status });
  });

  it('gives the default hints, and the command’s own when it has them', () => {
    expect(apiError(401, body('token_invalid')).info.hint).toBe('run `parley login`');
    expect(apiError(401, body('invalid_credentials')).info.hint).toBe('check the email and password');
    expect(apiError(404, body('not_found')).info.hint).toBe('run `parley workflow list` to see your workflows');
    expect(apiError(404, body('not_found'), { notFound: 'run `parley sessions list`' }).info.hint).toBe('run `parley sessions list`');
    expect(apiError(404, body('not_found', 'No route for GET /api/chatkit/sessions.')).info.hint).toContain('older than the CLI');
    expect(apiError(409, body('publish_invalid_state')).info.hint).toBeUndefined();
    expect(apiError(409, body('publish_invalid_state'), { conflict: 'already public; use rotate-token' }).info.hint).toBe('already public; use rotate-token');
    expect(apiError(429, body('rate_limited', 'Slow down.', { details: { retryAfterSeconds: 12 } })).info.hint).toBe('wait 12 s and try again');
    expect(apiError(500, body('internal_error')).info.hint).toContain('req-1');
  });

  it('lists the fields of a validation failure', () => {
    const err = apiError(400, body('validation_failed', 'Validation failed.', { details: { fields: { name: ['name must be shorter'], 'runner.model': ['required'] } } }));
    expect(err.message).toBe('Validation failed.\n  name: name must be shorter\n  runner.model: required');
  });

  it('copes with bodies that are not the API’s (a proxy page, nothing at all)', () => {
    expect(apiError(502, '<html>Bad gateway</html>')).toMatchObject({ message: 'The API answered HTTP 502.', exitCode: ExitCode.failure, info: { code: 'http_502' } });
    expect(apiError(404, undefined)).toMatchObject({ exitCode: ExitCode.notFound, info: { code: 'http_404' } });
  });

  it('serialises as the --json error document', () => {
    expect(JSON.parse(JSON.stringify(apiError(404, body('not_found', 'Workflow not found.'))))).toEqual({
      error: { code: 'not_found', status: 404, message: 'Workflow not found.', hint: 'run `parley workflow list` to see your workflows', requestId: 'req-1', exitCode: 4 },
    });
  });
});

describe('networkError', () => {
  it('finds the errno inside fetch’s wrapped causes and names the URL', () => {
    const refused = new TypeError('fetch failed', { cause: new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]) });
    expect(errnoOf(refused)).toBe('ECONNREFUSED');
    const err = networkError('http://127.0.0.1:9', refused);
    expect({ message: err.message, exitCode: err.exitCode, code: err.info.code }).toEqual({
      message: 'Cannot reach the Parley API at http://127.0.0.1:9: connection refused.',
      exitCode: ExitCode.failure,
      code: 'network_error',
    });
    expect(networkError('https://nowhere.invalid', new TypeError('fetch failed', { cause: { code: 'ENOTFOUND' } })).message).toContain('host not found');
    expect(networkError('http://x', new Error('boom')).message).toBe('Cannot reach the Parley API at http://x: boom.');
  });
});
