import request from 'supertest';
import { createOwner, Owner } from '../factories/owners';
import { createTestApp, TestApp } from '../setup/test-app';
import { BUILD_TIMEOUT_MS, CliHome, ensureCliBuilt, json } from './cli-runner';

describe('parley workflow keys / end-users / webhook-secret (built CLI against the e2e server)', () => {
  let t: TestApp;
  let owner: Owner;
  let home: CliHome;
  let workflowId: string;
  const cli = (args: string[]) => home.run(['--api-url', t.baseUrl, ...args], { env: { PARLEY_TOKEN: owner.accessToken } });

  beforeAll(async () => {
    await ensureCliBuilt();
    t = await createTestApp();
    owner = await createOwner(t.app, 'cli-keys');
    home = new CliHome();
    workflowId = (await request(t.app.getHttpServer()).post('/api/workflows').set('Authorization', owner.auth).send({ name: 'Keys' }).expect(201)).body.id;
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
    home?.remove();
  });

  it('creates a key (printed once, with a warning), lists it without the key, mints with it, and revokes it', async () => {
    const created = await cli(['workflow', 'keys', 'create', workflowId, '--name', 'prod', '--json']);
    expect(created.code).toBe(0);
    const { id, key } = json<{ id: string; key: string }>(created);
    expect(key).toMatch(/^wsk_/);
    expect(created.stderr).toContain('shown only this once');

    const listed = await cli(['workflow', 'keys', 'list', workflowId]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('prod');
    expect(listed.stdout).toContain(`${key.slice(0, 8)}…`);
    expect(listed.stdout).not.toContain(key);

    const mint = await fetch(`${t.baseUrl}/api/workflows/${workflowId}/end-user-sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: { id: 'cli-user', name: 'Cli User' } }),
    });
    expect(mint.status).toBe(200);
    const users = await cli(['workflow', 'end-users', 'list', workflowId, '--json']);
    const sessions = json<{ sessions: { id: string; user: { id: string } }[] }>(users).sessions;
    expect(sessions.map((s) => s.user.id)).toEqual(['cli-user']);
    expect((await cli(['workflow', 'end-users', 'revoke', workflowId, sessions[0].id])).code).toBe(0);

    const revoked = await cli(['workflow', 'keys', 'revoke', workflowId, id, '--yes']);
    expect(revoked.code).toBe(0);
    const again = await fetch(`${t.baseUrl}/api/workflows/${workflowId}/end-user-sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: { id: 'cli-user' } }),
    });
    expect(((await again.json()) as { code: string }).code).toBe('server_key_revoked');
    // An unknown key id is "not found" (exit 4).
    expect((await cli(['workflow', 'keys', 'revoke', workflowId, '00000000-0000-4000-8000-000000000000', '--yes'])).code).toBe(4);
  });

  it('creates and rotates the webhook signing secret; --status never shows it', async () => {
    const none = await cli(['workflow', 'webhook-secret', workflowId, '--status']);
    expect(none.stdout).toContain('No signing secret yet');
    const first = json<{ secret: string }>(await cli(['workflow', 'webhook-secret', workflowId, '--yes', '--json']));
    const set = json<{ configured: boolean; createdAt: string | null; rotatedAt: string | null }>(await cli(['workflow', 'webhook-secret', workflowId, '--status', '--json']));
    expect(set).toMatchObject({ configured: true, createdAt: expect.any(String) });
    const second = json<{ secret: string }>(await cli(['workflow', 'webhook-secret', workflowId, '--yes', '--json']));
    expect(first.secret).toMatch(/^whsec_/);
    expect(second.secret).not.toBe(first.secret);
    const status = await cli(['workflow', 'webhook-secret', workflowId, '--status']);
    expect(status.stdout).toMatch(/Signing secret:\s+set \(not shown\)/);
    expect(status.stdout + status.stderr).not.toContain(second.secret);
    expect(status.stdout + status.stderr).not.toContain(first.secret);
  });
});
