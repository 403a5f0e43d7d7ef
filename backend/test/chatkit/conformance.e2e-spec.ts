import { join } from 'node:path';
import { replayVectors } from '../chat-protocol/conformance/replayer';
import type { TestApp } from '../setup/test-app';
import { chatter, createChatApp } from './helpers';

const VECTORS_DIR = join(__dirname, '../chat-protocol/conformance/chatkit');

/**
 * Every conformance vector, replayed over real HTTP against the running app (auth, gateway,
 * Postgres transcript store, echo runner), twice in a row on the same data as the README asks.
 */
describe('ChatKit conformance vectors against the app', () => {
  let t: TestApp;
  let headers: Record<string, string>;

  beforeAll(async () => {
    t = await createChatApp();
    const { token, workflowId } = await chatter(t);
    headers = { authorization: `Bearer ${token}`, 'x-parley-workflow': workflowId };
  });

  afterAll(() => t.close());

  async function replayAll(): Promise<{ output: string; total: number; passed: number; failed: number }> {
    const lines: string[] = [];
    const report = await replayVectors({ baseUrl: t.baseUrl, path: '/api/chatkit', headers, vectorsDir: VECTORS_DIR, log: (line) => lines.push(line) });
    return { output: lines.join('\n'), total: report.results.length, passed: report.passed, failed: report.failed };
  }

  it('passes every vector', async () => {
    const run = await replayAll();
    expect(run.output).not.toContain('FAIL');
    expect({ total: run.total, passed: run.passed, failed: run.failed }).toEqual({ total: 32, passed: 32, failed: 0 });
  });

  it('passes every vector again on the same server and data', async () => {
    const run = await replayAll();
    expect(run.output).not.toContain('FAIL');
    expect({ total: run.total, passed: run.passed, failed: run.failed }).toEqual({ total: 32, passed: 32, failed: 0 });
  });
});
