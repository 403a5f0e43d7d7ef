import { resolveReturnTo } from './return-to';

describe('resolveReturnTo', () => {
  const base = 'http://localhost:3000';
  const allowed = ['https://embed.example.com'];
  const resolve = (value: string | undefined) => resolveReturnTo(value, base, allowed);

  it('defaults to the site root', () => {
    expect(resolve(undefined)).toBe('http://localhost:3000/');
    expect(resolve('')).toBe('http://localhost:3000/');
  });

  it('accepts paths on this site, with query and fragment', () => {
    expect(resolve('/chat/abc?x=1#top')).toBe('http://localhost:3000/chat/abc?x=1#top');
    expect(resolve('/')).toBe('http://localhost:3000/');
    expect(resolve('/%2F%2Fevil.example')).toBe('http://localhost:3000/%2F%2Fevil.example');
  });

  it('accepts absolute URLs on this origin or an allow-listed one', () => {
    expect(resolve('http://localhost:3000/workflows')).toBe('http://localhost:3000/workflows');
    expect(resolve('https://embed.example.com/page?a=b')).toBe('https://embed.example.com/page?a=b');
  });

  it.each([
    'https://evil.example',
    'https://evil.example/chat',
    '//evil.example',
    '//evil.example/path',
    '/\\evil.example',
    '\\\\evil.example',
    '/\t/evil.example',
    ' /chat',
    'https://localhost:3000@evil.example/',
    'http://user:pw@localhost:3000/',
    'javascript:alert(1)',
    'data:text/html,hi',
    'chat/abc',
    'http:/evil.example',
    'https://embed.example.com.evil.example/',
    'http://embed.example.com/', // scheme is part of the origin
    'http://localhost:3001/',
    '/x' + 'a'.repeat(2048),
    '/api/auth/oidc/login?returnTo=/',
  ])('refuses %j', (value) => {
    expect(resolve(value)).toBeNull();
  });
});
