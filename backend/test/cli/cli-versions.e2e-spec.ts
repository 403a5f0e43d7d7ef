import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOwner, Owner } from '../factories/owners';
import { createTestApp, TestApp } from '../setup/test-app';
import { BUILD_TIMEOUT_MS, CliHome, CliResult, ensureCliBuilt, json } from './cli-runner';

const failure = (r: CliResult) => ({ code: r.code, stdout: r.stdout });

/** `parley workflow update`, `versions`, `publish-draft` and `rollback`, and the runner flags' own checks. */
describe('the parley CLI: drafts and published versions', () => {
  let t: TestApp;
  let owner: Owner;
  let home: CliHome;
  let id: string;
  const cli = (args: string[]) => home.run(['--api-url', t.baseUrl, ...args], { env: { PARLEY_TOKEN: owner.accessToken } });
  const model = ['--provider', 'compatible', '--model', 'local-model', '--base-url', 'http://127.0.0.1:9/v1'];

  beforeAll(async () => {
    await ensureCliBuilt();
    t = await createTestApp();
    owner = await createOwner(t.app, 'cli-versions');
    home = new CliHome();
    id = json(await cli(['workflow', 'create', '--name', 'Versioned', '--json'])).id;
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
    home?.remove();
  });

  it('names a missing or misplaced runner flag before calling the API (exit 2)', async () => {
    const cases: [string[], string][] = [
      [['--runner', 'agent', '--provider', 'openai'], '--runner agent needs --model <model>'],
      [['--runner', 'agent', '--model', 'm'], '--runner agent needs --provider <openai|gemini|compatible>'],
      [['--runner', 'agent', '--provider', 'compatible', '--model', 'm'], '--provider compatible needs --base-url <url>'],
      [['--model', 'm'], '--model does not apply to the echo runner'],
      [['--runner', 'openai', ...model, '--tools-file', 'tools.json'], '--tools-file applies only to agent runners'],
      [['--runner', 'openai', ...model, '--max-steps', '3'], '--max-steps applies only to agent runners'],
      [['--runner', 'agent', ...model, '--tools-file', 'missing.json'], 'cannot read --tools-file missing.json: ENOENT'],
    ];
    for (const [flags, message] of cases) {
      const r = await cli(['workflow', 'create', '--name', 'Bad', ...flags]);
      expect({ flags, ...failure(r), said: r.stderr.includes(message) }).toEqual({ flags, code: 2, stdout: '', said: true });
    }
    writeFileSync(join(home.dir, 'broken.json'), '{"tools": [');
    const broken = await cli(['workflow', 'create', '--name', 'Bad', '--runner', 'agent', ...model, '--tools-file', join(home.dir, 'broken.json')]);
    expect(failure(broken)).toEqual({ code: 2, stdout: '' });
    expect(broken.stderr).toContain('broken.json is not valid JSON');
    writeFileSync(join(home.dir, 'object.json'), '{"tool": []}');
    const shape = await cli(['workflow', 'create', '--name', 'Bad', '--runner', 'agent', ...model, '--tools-file', join(home.dir, 'object.json')]);
    expect(shape.stderr).toContain('must hold a JSON array of tools or an object {"tools": [...]}');
    const steps = await cli(['workflow', 'create', '--name', 'Bad', '--runner', 'agent', ...model, '--max-steps', '26']);
    expect(failure(steps)).toEqual({ code: 2, stdout: '' });
    expect(steps.stderr).toContain('expected a whole number from 1 to 25');
    const nothing = await cli(['workflow', 'update', id]);
    expect(failure(nothing)).toEqual({ code: 2, stdout: '' });
    expect(nothing.stderr).toContain('nothing to change');
    const list = json(await cli(['workflow', 'list', '--json']));
    expect(list.workflows.map((w: { name: string }) => w.name)).toEqual(['Versioned']);
  });

  it('publishes, edits the draft, publishes the draft and rolls back', async () => {
    const none = await cli(['workflow', 'versions', id]);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('has no published versions yet');
    expect(json(await cli(['workflow', 'publish', id, '--yes', '--json'])).workflow.publishedVersion).toBe(1);

    // update changes the draft; runner flags change the current runner, keeping what they do not name
    const edited = await cli(['workflow', 'update', id, '--runner', 'openai', ...model, '--instructions', 'Be brief.']);
    expect(edited.code).toBe(0);
    expect(edited.stdout).toContain(`The public still runs version 1; publish the draft with \`parley workflow publish-draft ${id}\``);
    const renamed = json(await cli(['workflow', 'update', id, '--instructions', 'Be briefer.', '--name', 'Versioned 2', '--json']));
    expect(renamed).toMatchObject({
      name: 'Versioned 2',
      runner: { kind: 'openai', provider: 'compatible', model: 'local-model', baseUrl: 'http://127.0.0.1:9/v1', instructions: 'Be briefer.' },
      publishedVersion: 1,
      draftDiffers: true,
    });
    const show = await cli(['workflow', 'show', id]);
    expect(show.stdout).toMatch(/Published version:\s+1 \(the draft differs/);

    const refused = await cli(['workflow', 'publish-draft', id]);
    expect(failure(refused)).toEqual({ code: 2, stdout: '' });
    expect(refused.stderr).toContain('Refusing to continue without confirmation');
    const published = await cli(['workflow', 'publish-draft', id, '--yes']);
    expect(published.code).toBe(0);
    expect(published.stdout).toContain(`Published the draft of "Versioned 2" (${id}) as version 2.`);
    const again = await cli(['workflow', 'publish-draft', id, '--yes']);
    expect(failure(again)).toEqual({ code: 5, stdout: '' });
    expect(again.stderr).toContain('The draft is already published as version 2.');
    expect(again.stderr).toContain('Hint: the draft is already the published version');

    const table = await cli(['workflow', 'versions', id]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^VERSION\s+PUBLISHED\s+RUNNER\s+CREATED/);
    expect(table.stdout).toMatch(/2\s+yes \(public runs it\)\s+openai \(compatible, local-model\)/);
    expect(table.stdout).toMatch(/\n1\s+-\s+echo/);
    expect(table.stdout).toContain('The public runs version 2, which equals the draft.');

    const back = await cli(['workflow', 'rollback', id, '1', '--yes']);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(`Rolled "Versioned 2" (${id}) back: the public runs version 1. The draft is unchanged and differs from it.`);
    const doc = json(await cli(['workflow', 'versions', id, '--json']));
    expect(doc).toMatchObject({ publishedVersion: 1, draftDiffers: true });
    expect(doc.versions.map((v: { version: number; published: boolean }) => [v.version, v.published])).toEqual([
      [2, false],
      [1, true],
    ]);

    const missing = await cli(['workflow', 'rollback', id, '7', '--yes']);
    expect(failure(missing)).toEqual({ code: 4, stdout: '' });
    expect(missing.stderr).toContain('Version 7 not found.');
    const same = await cli(['workflow', 'rollback', id, '1', '--yes', '--json']);
    expect(json(same)).toEqual({ error: expect.objectContaining({ code: 'publish_invalid_state', status: 409, exitCode: 5 }) });
    const bad = await cli(['workflow', 'rollback', id, 'latest', '--yes']);
    expect(failure(bad)).toEqual({ code: 2, stdout: '' });
    expect(bad.stderr).toContain('expected a version number');
  });

  it('creates and updates an agent from a tools file; header secrets never come back', async () => {
    const tools = [
      { type: 'http', name: 'lookup_order', method: 'GET', url: 'http://127.0.0.1:9/orders/{id}', approval: 'always', headers: { Authorization: 'Bearer cli-secret-2718' } },
      { type: 'client', name: 'open_page', parameters: { type: 'object', properties: { path: { type: 'string' } } } },
    ];
    writeFileSync(join(home.dir, 'tools.json'), JSON.stringify(tools));
    const created = await cli(['workflow', 'create', '--name', 'Orders', '--runner', 'agent', ...model, '--tools-file', 'tools.json', '--max-steps', '4', '--json']);
    expect(created.code).toBe(0);
    expect(created.stdout).not.toContain('cli-secret-2718');
    const wf = json(created);
    expect(wf.runner).toMatchObject({ kind: 'agent', model: 'local-model', maxSteps: 4, tools: [{ name: 'lookup_order', approval: 'always', headers: { Authorization: '***' } }, { name: 'open_page' }] });
    const show = await cli(['workflow', 'show', wf.id]);
    expect(show.stdout).toMatch(/Runner:\s+agent \(compatible, local-model, 2 tools\)/);

    // Only the tools change; the model flags stay; "***" written back keeps the stored secret.
    writeFileSync(join(home.dir, 'tools.json'), JSON.stringify({ tools: [{ ...wf.runner.tools[0], description: 'Find an order' }] }));
    const updated = json(await cli(['workflow', 'update', wf.id, '--tools-file', 'tools.json', '--json']));
    expect(updated.runner).toMatchObject({ kind: 'agent', model: 'local-model', maxSteps: 4, tools: [{ name: 'lookup_order', description: 'Find an order', headers: { Authorization: '***' } }] });
    const [row] = await t.dataSource.query<{ runner: { tools: { headers: Record<string, string> }[] } }[]>(`SELECT runner FROM workflows WHERE id = $1`, [wf.id]);
    expect(row.runner.tools[0].headers.Authorization).not.toBe('***');

    // What only the server can judge comes back as its error, with the field.
    writeFileSync(join(home.dir, 'dupes.json'), JSON.stringify([tools[1], tools[1]]));
    const dupes = await cli(['workflow', 'update', wf.id, '--tools-file', 'dupes.json']);
    expect(failure(dupes)).toEqual({ code: 2, stdout: '' });
    expect(dupes.stderr).toContain('tool_name_duplicate');
    expect(dupes.stderr).toContain('runner.tools.1.name');
  });
  it('checks the webhook runner flags before calling the API (exit 2)', async () => {
    const cases: [string[], string][] = [
      [['--runner', 'webhook'], '--runner webhook needs --url <url>'],
      [['--url', 'http://127.0.0.1:9/engine'], '--url does not apply to the echo runner'],
      [['--runner', 'agent', ...model, '--url', 'http://127.0.0.1:9/engine'], '--url applies only to webhook runners'],
      [['--runner', 'openai', ...model, '--timeout-ms', '5000'], '--timeout-ms applies only to webhook runners'],
      [['--runner', 'webhook', '--url', 'http://127.0.0.1:9/engine', '--model', 'm'], '--model does not apply to the webhook runner'],
      [['--runner', 'webhook', '--url', 'http://127.0.0.1:9/engine', '--header', 'no-value'], '--header expects "Name: value"'],
      [['--runner', 'webhook', '--url', 'http://127.0.0.1:9/engine', '--timeout-ms', '999'], 'expected a whole number of milliseconds from 1000 to 120000'],
      [['--runner', 'webhook', '--url', 'http://127.0.0.1:9/engine', '--headers-file', 'missing.json'], 'cannot read --headers-file missing.json: ENOENT'],
      [['--runner', 'webhook', '--url', 'http://127.0.0.1:9/engine', '--remove-header', 'X-None'], '--remove-header X-None: the workflow has no such header'],
    ];
    for (const [flags, message] of cases) {
      const r = await cli(['workflow', 'create', '--name', 'Bad', ...flags]);
      expect({ flags, ...failure(r), said: r.stderr.includes(message) }).toEqual({ flags, code: 2, stdout: '', said: true });
    }
    writeFileSync(join(home.dir, 'headers-array.json'), '["Authorization"]');
    const shape = await cli(['workflow', 'create', '--name', 'Bad', '--runner', 'webhook', '--url', 'http://127.0.0.1:9/engine', '--headers-file', join(home.dir, 'headers-array.json')]);
    expect(failure(shape)).toEqual({ code: 2, stdout: '' });
    expect(shape.stderr).toContain('must hold a JSON object of header names to string values');
    // What only the server judges (a header name it refuses) comes back as its error, naming the field.
    const badName = await cli(['workflow', 'create', '--name', 'Bad', '--runner', 'webhook', '--url', 'http://127.0.0.1:9/engine', '--header', 'Bad(Name): x']);
    expect(failure(badName)).toEqual({ code: 2, stdout: '' });
    expect(badName.stderr).toContain('runner.headers');
    const names = json(await cli(['workflow', 'list', '--json'])).workflows.map((w: { name: string }) => w.name);
    expect(names).not.toContain('Bad');
  });

  it('creates and updates a webhook workflow: URL, secret headers (never shown again), timeout', async () => {
    const created = await cli([
      'workflow', 'create', '--name', 'Engine', '--runner', 'webhook', '--url', 'http://127.0.0.1:9/engine',
      '--header', 'X-Engine-Key: engine-secret-3141', '--timeout-ms', '5000', '--json',
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout + created.stderr).not.toContain('engine-secret-3141');
    const wf = json(created);
    expect(wf.runner).toEqual({ kind: 'webhook', url: 'http://127.0.0.1:9/engine', headers: { 'X-Engine-Key': '***' }, timeoutMs: 5000 });
    const human = await cli(['workflow', 'create', '--name', 'Engine 2', '--runner', 'webhook', '--url', 'http://127.0.0.1:9/engine']);
    expect(human.stdout).toContain('parley workflow webhook-secret');
    const show = await cli(['workflow', 'show', wf.id]);
    expect(show.stdout).toMatch(/Runner:\s+webhook \(http:\/\/127\.0\.0\.1:9\/engine\)/);
    expect(show.stdout).toMatch(/Headers:\s+X-Engine-Key \(values not shown\)/);
    expect(show.stdout).toMatch(/Timeout:\s+5000 ms/);
    expect(show.stdout).not.toContain('engine-secret-3141');
    const stored = async () => (await t.dataSource.query<{ runner: { url: string; headers?: Record<string, string> } }[]>(`SELECT runner FROM workflows WHERE id = $1`, [wf.id]))[0].runner;
    const secretAtRest = (await stored()).headers!['X-Engine-Key'];
    expect(secretAtRest).not.toBe('***');
    expect(secretAtRest).not.toContain('engine-secret-3141');

    // A new URL keeps the stored header ("***" written back means keep).
    const moved = json(await cli(['workflow', 'update', wf.id, '--url', 'http://127.0.0.1:9/engine-v2', '--json']));
    expect(moved.runner).toEqual({ kind: 'webhook', url: 'http://127.0.0.1:9/engine-v2', headers: { 'X-Engine-Key': '***' }, timeoutMs: 5000 });
    expect((await stored()).headers!['X-Engine-Key']).toBe(secretAtRest);

    // Headers from a file are added; --remove-header drops one (case-insensitively).
    writeFileSync(join(home.dir, 'headers.json'), JSON.stringify({ Authorization: 'Bearer file-secret-1618' }));
    const added = json(await cli(['workflow', 'update', wf.id, '--headers-file', 'headers.json', '--remove-header', 'x-engine-key', '--json']));
    expect(added.runner).toEqual({ kind: 'webhook', url: 'http://127.0.0.1:9/engine-v2', headers: { Authorization: '***' }, timeoutMs: 5000 });
    expect(JSON.stringify(await stored())).not.toContain('file-secret-1618');

    // Switching kinds starts a new runner; webhook flags on it are refused.
    const agent = await cli(['workflow', 'update', wf.id, '--runner', 'agent', ...model, '--url', 'http://127.0.0.1:9/x']);
    expect(failure(agent)).toEqual({ code: 2, stdout: '' });
    const echo = json(await cli(['workflow', 'update', wf.id, '--runner', 'echo', '--json']));
    expect(echo.runner).toEqual({ kind: 'echo' });
    const back = json(await cli(['workflow', 'update', wf.id, '--runner', 'webhook', '--url', 'http://127.0.0.1:9/engine', '--json']));
    expect(back.runner).toEqual({ kind: 'webhook', url: 'http://127.0.0.1:9/engine' });
  });
});
