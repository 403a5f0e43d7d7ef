import { createOwner, Owner } from '../factories/owners';
import { createTestApp, TestApp } from '../setup/test-app';
import { BUILD_TIMEOUT_MS, CliHome, ensureCliBuilt, json } from './cli-runner';

/** `parley workflow stats`: table, JSON and CSV of the analytics API, against a seeded day. */
describe('parley workflow stats (built CLI against the e2e server)', () => {
  let t: TestApp;
  let owner: Owner;
  let home: CliHome;
  let wf: string;
  const cli = (args: string[]) => home.run(['--api-url', t.baseUrl, ...args]);

  beforeAll(async () => {
    await ensureCliBuilt();
    t = await createTestApp();
    owner = await createOwner(t.app, 'stats');
    home = new CliHome();
    const login = await home.run(['--api-url', t.baseUrl, 'login', '--email', owner.email, '--password-stdin'], { input: `${owner.password}\n` });
    expect(login.code).toBe(0);
    wf = ((await (await fetch(`${t.baseUrl}/api/workflows`, { method: 'POST', headers: { authorization: owner.auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Stats' }) })).json()) as { id: string }).id;
    const ds = t.dataSource;
    await ds.query(`INSERT INTO chat_threads (id, workflow_id, principal_kind, principal_id, channel, created_at) VALUES ('thr_s1', $1, 'visitor', 'v1', 'embed', '2026-03-01T10:00:00Z')`, [wf]);
    await ds.query(
      `INSERT INTO chat_items (id, thread_id, type, data, created_at, ttft_ms) VALUES
         ('m1', 'thr_s1', 'user_message', '{}', '2026-03-01T10:00:01Z', NULL),
         ('m2', 'thr_s1', 'assistant_message', '{}', '2026-03-01T10:00:02Z', 250)`,
    );
    await ds.query(`INSERT INTO chat_answer_errors (thread_id, workflow_id, code, created_at) VALUES ('thr_s1', $1, 'rate_limited', '2026-03-01T10:01:00Z')`, [wf]);
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
    home?.remove();
  });

  const range = ['--from', '2026-03-01', '--to', '2026-03-03'];

  it('prints a table per day with totals', async () => {
    const r = await cli(['workflow', 'stats', wf, ...range]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Activity 2026-03-01 00:00 → 2026-03-03 00:00 UTC, per day');
    expect(r.stdout).toMatch(/2026-03-01\s+1\s+1\s+1\s+1\s+0\/0\s+-\s+1\s+\d+\s+\d+/);
    expect(r.stdout).toMatch(/total\s+1\s+1\s+1\s+1/);
    expect(r.stdout).toContain('Conversations by channel: embed 1');
    expect(r.stdout).toContain('Errors by code: rate_limited 1');
  });

  it('--json is the API document', async () => {
    const doc = json<{ buckets: unknown[]; totals: { errors: { byCode: Record<string, number> } } }>(await cli(['workflow', 'stats', wf, ...range, '--granularity', 'hour', '--json']));
    expect(doc.buckets).toHaveLength(48);
    expect(doc.totals.errors.byCode).toEqual({ rate_limited: 1 });
  });

  it('--format csv writes one line per bucket', async () => {
    const r = await cli(['workflow', 'stats', wf, ...range, '--format', 'csv']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^start,end,conversations,conversations_canvas,/);
    expect(lines[1]).toMatch(/^2026-03-01T00:00:00.000Z,2026-03-02T00:00:00.000Z,1,0,0,1,0,1,0,0,1,0,1,1,0,0,0,1,0,0,,1,rate_limited=1,\d+,\d+$/);
  });

  it('a bad range is a usage error from the API with its message', async () => {
    const r = await cli(['workflow', 'stats', wf, '--from', '2026-03-05', '--to', '2026-03-01']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('is not before to');
    expect(r.stdout).toBe('');
  });
});
