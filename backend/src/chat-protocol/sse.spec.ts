import { encodeEvent, omitNulls } from './sse';

describe('omitNulls', () => {
  it('drops null and undefined object fields at every depth, keeps falsy values', () => {
    expect(
      omitNulls({ a: null, b: undefined, c: 0, d: '', e: false, f: { g: null, h: { i: undefined, j: [] } }, k: {} }),
    ).toEqual({ c: 0, d: '', e: false, f: { h: { j: [] } }, k: {} });
    expect(Object.keys(omitNulls({ a: null, b: 1 }))).toEqual(['b']);
  });

  it('keeps array elements (as null) so indices do not shift, and cleans objects inside arrays', () => {
    expect(omitNulls({ list: [1, null, undefined, { x: null, y: 2 }] })).toEqual({ list: [1, null, null, { y: 2 }] });
  });

  it('does not mutate its input and keeps "__proto__" a plain key', () => {
    const input = JSON.parse('{"a":null,"__proto__":{"polluted":true}}') as Record<string, unknown>;
    const output = omitNulls(input) as Record<string, unknown>;
    expect(input).toHaveProperty('a', null);
    expect(Object.keys(output)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('passes scalars through', () => {
    expect(omitNulls(null)).toBeNull();
    expect(omitNulls('x')).toBe('x');
  });
});

describe('encodeEvent', () => {
  it('writes one compact data frame terminated by a blank line, with unset fields omitted', () => {
    const frame = encodeEvent({ type: 'progress_update', icon: undefined, text: 'Thinking' });
    expect(frame).toBe('data: {"type":"progress_update","text":"Thinking"}\n\n');
  });

  it('never splits a frame: newlines inside strings stay escaped', () => {
    const frame = encodeEvent({ type: 'notice', level: 'info', message: 'line 1\nline 2\r\n', title: null });
    expect(frame).toBe('data: {"type":"notice","level":"info","message":"line 1\\nline 2\\r\\n"}\n\n');
    expect(frame.slice(0, -2)).not.toMatch(/[\r\n]/);
  });

  it('omits a thread title and cursor that are unset', () => {
    const frame = encodeEvent({
      type: 'thread.created',
      thread: { id: 't', title: null, created_at: 'x', status: { type: 'active' }, metadata: {}, items: { data: [], has_more: false, after: null } },
    });
    expect(JSON.parse(frame.slice('data: '.length))).toEqual({
      type: 'thread.created',
      thread: { id: 't', created_at: 'x', status: { type: 'active' }, metadata: {}, items: { data: [], has_more: false } },
    });
  });
});
