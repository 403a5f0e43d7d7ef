import { chatkitReadsOwnBody, ownBuffer } from './chatkit-body';

describe('chatkitReadsOwnBody', () => {
  it.each([
    ['POST', '/api/chatkit', true],
    ['POST', '/api/chatkit/', true],
    ['PUT', '/api/chatkit/uploads/atc_1', true],
    ['GET', '/api/chatkit', false],
    ['POST', '/api/chatkit/sessions/revoke-all', false],
    ['POST', '/api/chatkitx', false],
    ['PUT', '/api/chatkit/uploads', false],
    ['POST', '/api/workflows/x/chatkit/session', false],
  ])('%s %s → %s', (method, path, expected) => {
    expect(chatkitReadsOwnBody({ method, path })).toBe(expected);
  });
});

describe('ownBuffer', () => {
  it('copies a body that is a slice of a pool slab into memory of its own size', () => {
    const pooled = Buffer.from('{"type":"threads.create"}');
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.byteLength); // Node's 8 KiB pool
    const own = ownBuffer(pooled);
    expect(own.buffer.byteLength).toBe(pooled.byteLength);
    expect(own.toString('utf8')).toBe('{"type":"threads.create"}');
  });

  it('keeps a body that already owns its memory', () => {
    const exact = Buffer.allocUnsafeSlow(4);
    exact.write('abcd');
    expect(ownBuffer(exact)).toBe(exact);
  });
});
