import { findJsonInputProblem, MAX_JSON_DEPTH } from './json-input';

function nested(levels: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

describe('findJsonInputProblem', () => {
  it('accepts ordinary JSON, emoji (surrogate pairs) included', () => {
    expect(findJsonInputProblem({ name: 'Café 😀', list: [1, true, null, { deep: ['x'] }] })).toBeNull();
    expect(findJsonInputProblem(nested(MAX_JSON_DEPTH - 1))).toBeNull();
  });

  it('finds NUL characters in values and keys, with the path', () => {
    expect(findJsonInputProblem({ params: { input: { text: 'a\u0000b' } } })).toEqual({ path: 'params.input.text', message: expect.stringContaining('NUL') });
    expect(findJsonInputProblem({ a: { 'k\u0000': 1 } })).toEqual({ path: 'a', message: expect.stringContaining('key') });
  });

  it('finds unpaired surrogates, high or low', () => {
    expect(findJsonInputProblem({ email: '\ud800' })?.path).toBe('email');
    expect(findJsonInputProblem(['ok', 'x\udc00y'])?.path).toBe('1');
    expect(findJsonInputProblem({ s: '\ud83d\ude00' })).toBeNull();
  });

  it('refuses nesting beyond the limit without overflowing the stack itself', () => {
    expect(findJsonInputProblem(nested(MAX_JSON_DEPTH + 1))?.message).toContain('nested too deeply');
    expect(findJsonInputProblem(nested(100_000))?.message).toContain('nested too deeply');
  });
});
