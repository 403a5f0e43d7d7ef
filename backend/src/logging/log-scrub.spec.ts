import { CENSOR, scrubSecrets } from './log-scrub';

describe('scrubSecrets', () => {
  it('returns an object without secrets as is (no copy)', () => {
    const line = { context: 'ChatKit', workflowId: 'wf', nested: { list: [1, { a: 'b' }] } };
    expect(scrubSecrets(line)).toBe(line);
  });

  it('censors secret keys at any depth without touching the original', () => {
    const line = { password: 'p', body: { token: 't', accessToken: 'a', refreshToken: 'r', list: [{ publishToken: 'pub' }] }, keep: 'x' };
    const out = scrubSecrets(line) as typeof line;
    expect(out).toEqual({ password: CENSOR, body: { token: CENSOR, accessToken: CENSOR, refreshToken: CENSOR, list: [{ publishToken: CENSOR }] }, keep: 'x' });
    expect(line.body.token).toBe('t');
    expect(line.body.list[0].publishToken).toBe('pub');
  });

  it('censors credential headers in any headers object, whatever their case', () => {
    const out = scrubSecrets({ upstream: { headers: { 'X-Parley-Identity': 'id', Authorization: 'Bearer s', accept: 'a' } } });
    expect(out).toEqual({ upstream: { headers: { 'X-Parley-Identity': CENSOR, Authorization: CENSOR, accept: 'a' } } });
  });

  it('censors tool definitions’ headers whole (owner secrets)', () => {
    const out = scrubSecrets({ runner: { tools: [{ name: 'a', headers: { 'x-api-key': 'k' } }] }, tool: { headers: { 'x-api-key': 'k' } } });
    expect(out).toEqual({ runner: { tools: [{ name: 'a', headers: CENSOR }] }, tool: { headers: CENSOR } });
  });

  it('censors secret properties of errors, keeping type, message and stack', () => {
    const error = Object.assign(new Error('boom'), { token: 't', code: 'x' });
    const out = scrubSecrets({ err: error }) as { err: Record<string, unknown> };
    expect(out.err).toMatchObject({ type: 'Error', message: 'boom', token: CENSOR, code: 'x' });
    expect(out.err.stack).toContain('boom');
    expect(error.token).toBe('t');
  });

  it('leaves class instances other than errors to their serializers', () => {
    class Request {
      token = 'left to the req serializer';
    }
    const req = new Request();
    expect(scrubSecrets({ req })).toEqual({ req });
  });
});
