import { parseEvent } from './cluster-events';

const WF = '3f1b7c2e-6d4a-4b8e-9c1d-2a5e7f9b0c3d';
const LINK = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

describe('cluster event payloads', () => {
  it('accepts a revocation, ignoring extra fields', () => {
    expect(parseEvent(JSON.stringify({ kind: 'workflow_revoked', workflowId: WF, extra: 1 }))).toEqual({ kind: 'workflow_revoked', workflowId: WF });
  });

  it.each([
    ['not JSON', '{kind:'],
    ['not an object', '"workflow_revoked"'],
    ['null', 'null'],
    ['unknown kind', JSON.stringify({ kind: 'everything_revoked', workflowId: WF })],
    ['missing workflow', JSON.stringify({ kind: 'workflow_revoked' })],
    ['malformed workflow id', JSON.stringify({ kind: 'workflow_revoked', workflowId: "x' OR 1=1" })],
    ['a rotation (rotations end no stream)', JSON.stringify({ kind: 'link_rotated', workflowId: WF, linkId: LINK })],
    ['a numeric workflow id', JSON.stringify({ kind: 'workflow_revoked', workflowId: 7 })],
  ])('ignores %s', (_, payload) => {
    expect(parseEvent(payload)).toBeNull();
  });
});
