import { chatkitReadsOwnBody } from './chatkit-body';

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
