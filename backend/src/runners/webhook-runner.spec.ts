import { coalesce, parseEngineEvent } from './webhook-runner';

describe('webhook answer lines', () => {
  it('parses text, task and done lines; task status defaults to loading', () => {
    expect(parseEngineEvent({ type: 'text', delta: 'Hi' })).toEqual({ type: 'text', delta: 'Hi' });
    expect(parseEngineEvent({ type: 'task', title: 'Look up' })).toEqual({ type: 'task', title: 'Look up', status: 'loading' });
    expect(parseEngineEvent({ type: 'task', title: 'Look up', status: 'complete' })).toEqual({ type: 'task', title: 'Look up', status: 'complete' });
    expect(parseEngineEvent({ type: 'done' })).toEqual({ type: 'done' });
  });

  it('refuses anything else as a malformed answer', () => {
    for (const bad of [null, 'text', [], { type: 'text' }, { type: 'text', delta: 7 }, { type: 'task', title: 'x', status: 'running' }, { type: 'task' }, { type: 'shell', cmd: 'rm' }]) {
      expect(() => parseEngineEvent(bad)).toThrow();
    }
  });

  it('merges consecutive text deltas of one read and keeps every other line in order', () => {
    expect(
      coalesce([
        { type: 'task', title: 'a', status: 'loading' },
        { type: 'text', delta: 'Hel' },
        { type: 'text', delta: 'lo' },
        { type: 'task', title: 'a', status: 'complete' },
        { type: 'text', delta: '!' },
        { type: 'done' },
      ]),
    ).toEqual([
      { type: 'task', title: 'a', status: 'loading' },
      { type: 'text', delta: 'Hello' },
      { type: 'task', title: 'a', status: 'complete' },
      { type: 'text', delta: '!' },
      { type: 'done' },
    ]);
    expect(coalesce([])).toEqual([]);
  });
});
