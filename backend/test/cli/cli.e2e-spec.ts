import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { PublishService } from '../../src/publish/publish.service';
import { createOwner, Owner } from '../factories/owners';
import { createTestApp, TestApp } from '../setup/test-app';
import { BUILD_TIMEOUT_MS, CliHome, CliResult, ensureCliBuilt, json } from './cli-runner';

const BACKEND = join(__dirname, '..', '..');
const PUB = /pub_[A-Za-z0-9_-]{43}/;
const MISSING = '00000000-0000-4000-8000-000000000000';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Exit code and stdout: a failed command prints nothing on stdout (errors go to stderr). */
function failure(result: CliResult): { code: number | null; stdout: string } {
  return { code: result.code, stdout: result.stdout };
}

describe('the parley CLI (built, run as a child process against the e2e server)', () => {
  let t: TestApp;
  let owner: Owner;
  let home: CliHome;
  const cli = (args: string[], options?: { env?: Record<string, string>; input?: string }) => home.run(['--api-url', t.baseUrl, ...args], options);
  const api = (path: string, token: string, init: RequestInit = {}) =>
    fetch(`${t.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });
  const storedConfig = () => JSON.parse(readFileSync(home.configFile, 'utf8')) as { apiUrl?: string; token?: string; tokenId?: string };
  const verdict = (token: string, workflowId: string) =>
    t.app
      .get(PublishService)
      .verifyToken(token, workflowId)
      .then(
        () => 'ok',
        (e: { code: string }) => e.code,
      );
  const login = (who: Owner = owner, extra: string[] = []) => cli(['login', '--email', who.email, '--password-stdin', ...extra], { input: `${who.password}\n` });

  beforeAll(async () => {
    await ensureCliBuilt();
    t = await createTestApp();
    owner = await createOwner(t.app, 'cli');
    home = new CliHome();
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
    home?.remove();
  });

  describe('help', () => {
    it('lists every command, the environment, the exit codes and examples', async () => {
      const r = await home.run(['--help']);
      expect(r.code).toBe(0);
      for (const text of ['login', 'logout', 'whoami', 'workflow', 'transcripts', 'sessions', 'PARLEY_API_URL', 'PARLEY_TOKEN', 'Exit codes:', 'Examples:']) {
        expect(r.stdout).toContain(text);
      }
      const sub = await home.run(['workflow', '--help']);
      for (const command of ['list', 'show <id>', 'create', 'publish', 'unpublish', 'rotate-token', 'login-required']) expect(sub.stdout).toContain(command);
      for (const args of [['workflow', 'publish'], ['workflow', 'rotate-token'], ['transcripts', 'export'], ['sessions', 'revoke-all'], ['login']]) {
        const help = await home.run([...args, '--help']);
        expect({ args, code: help.code, examples: help.stdout.includes('Examples:\n') }).toEqual({ args, code: 0, examples: true });
      }
    });

    it('prints the version, also through the root package\'s bin', async () => {
      const version = `${JSON.parse(readFileSync(join(BACKEND, 'package.json'), 'utf8')).version}\n`;
      expect(await home.run(['--version'])).toEqual({ code: 0, stdout: version, stderr: '' });
      const root = JSON.parse(readFileSync(join(BACKEND, '..', 'package.json'), 'utf8')) as { bin: Record<string, string> };
      expect(await home.run(['--version'], { entry: join(BACKEND, '..', root.bin.parley) })).toEqual({ code: 0, stdout: version, stderr: '' });
    });
  });

  describe('login, whoami, logout', () => {
    it('refuses to prompt for credentials without a terminal (exit 2)', async () => {
      const r = await cli(['login']);
      expect(failure(r)).toEqual({ code: 2, stdout: '' });
      expect(r.stderr).toContain('no terminal');
      expect(r.stderr).toContain('--password-stdin');
    });

    it('maps a wrong password to exit 3 and stores nothing', async () => {
      const r = await cli(['login', '--email', owner.email, '--password-stdin'], { input: 'wrong password' });
      expect(failure(r)).toEqual({ code: 3, stdout: '' });
      expect(r.stderr).toContain('invalid_credentials');
      expect(r.stderr).toContain('Hint: check the email and password');
      expect(() => statSync(home.configFile)).toThrow();
    });

    it('creates a personal access token and stores it with the API URL in a 0600 file', async () => {
      const r = await login(owner, ['--json']);
      expect(r.code).toBe(0);
      const doc = json(r);
      expect(doc).toEqual({
        apiUrl: t.baseUrl,
        user: expect.objectContaining({ id: owner.id, email: owner.email }),
        token: { id: expect.any(String), name: `parley-cli@${hostname()}`, createdAt: expect.any(String), expiresAt: null },
        configFile: home.configFile,
      });
      expect(r.stdout + r.stderr).not.toMatch(/pat_/);

      expect(statSync(home.configFile).mode & 0o777).toBe(0o600);
      expect(statSync(dirname(home.configFile)).mode & 0o777).toBe(0o700);
      const stored = storedConfig();
      expect(stored).toEqual({ apiUrl: t.baseUrl, token: expect.stringMatching(/^pat_/), tokenId: doc.token.id });
      expect((await api('/api/auth/me', stored.token!)).status).toBe(200);
      const tokens = (await (await api('/api/auth/tokens', owner.accessToken)).json()) as { tokens: { id: string; name: string }[] };
      expect(tokens.tokens).toContainEqual(expect.objectContaining({ id: doc.token.id, name: `parley-cli@${hostname()}` }));
    });

    it('whoami shows the account, in text and as JSON', async () => {
      const text = await cli(['whoami']);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(owner.email);
      expect(text.stdout).toContain(home.configFile);
      const doc = json(await cli(['whoami', '--json']));
      expect(doc).toEqual({ apiUrl: t.baseUrl, user: expect.objectContaining({ id: owner.id, email: owner.email }), tokenSource: 'file' });
    });

    it('a second login replaces the stored token and revokes the previous one', async () => {
      const before = storedConfig();
      expect((await login()).code).toBe(0);
      const after = storedConfig();
      expect(after.tokenId).not.toBe(before.tokenId);
      expect((await api('/api/auth/me', before.token!)).status).toBe(401);
      expect((await api('/api/auth/me', after.token!)).status).toBe(200);
    });

    it('logout revokes the token and removes it from the file; a second logout has nothing to do', async () => {
      const { token, tokenId } = storedConfig();
      const r = await cli(['logout', '--json']);
      expect(r.code).toBe(0);
      expect(json(r)).toEqual({ loggedOut: true, apiUrl: t.baseUrl, tokenId, revoked: true });
      expect(storedConfig()).toEqual({ apiUrl: t.baseUrl });
      expect(statSync(home.configFile).mode & 0o777).toBe(0o600);
      expect((await api('/api/auth/me', token!)).status).toBe(401);

      const again = await cli(['logout']);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('Not signed in');
      const whoami = await cli(['whoami']);
      expect(failure(whoami)).toEqual({ code: 3, stdout: '' });
      expect(whoami.stderr).toContain('Hint: run `parley login`');
    });

    it('signs in on a terminal with the password hidden', async () => {
      const password = owner.password;
      const r = await home.runOnTerminal(
        ['--api-url', t.baseUrl, 'login'],
        [
          ['Email: ', `${owner.email}\r`],
          ['Password: ', `${password}\r`],
        ],
      );
      expect(r.code).toBe(0);
      expect(r.screen).toContain(`Signed in to ${t.baseUrl} as ${owner.email}`);
      expect(r.screen).toContain(owner.email); // the email is echoed as typed…
      expect(r.screen).not.toContain(password); // …the password never is
      expect(r.screen).not.toContain('*');
      expect((await api('/api/auth/me', storedConfig().token!)).status).toBe(200);
    });
  });

  describe('workflows and the publish lifecycle', () => {
    let id: string;

    beforeAll(async () => {
      if (!storedConfig().token) expect((await login()).code).toBe(0);
    });

    it('creates a workflow', async () => {
      const r = await cli(['workflow', 'create', '--name', 'CLI support', '--description', 'internal notes', '--json']);
      expect(r.code).toBe(0);
      const wf = json(r);
      expect(wf).toMatchObject({ name: 'CLI support', description: 'internal notes', runner: { kind: 'echo' }, isPublic: false, ownerId: owner.id });
      id = wf.id;

      const text = await cli(['workflow', 'create', '--name', 'Second']);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/Created workflow "Second" \([0-9a-f-]{36}\)/);

      // A missing required flag is named before anything is sent; what only the API knows comes from it.
      const invalid = await cli(['workflow', 'create', '--name', 'Bad', '--runner', 'openai']);
      expect(failure(invalid)).toEqual({ code: 2, stdout: '' });
      expect(invalid.stderr).toContain('--runner openai needs --provider <openai|gemini|compatible>');
      const refused = await cli(['workflow', 'create', '--name', 'Bad', '--runner', 'openai', '--provider', 'openai', '--model', 'm', '--temperature', '1', '--base-url', 'not a url']);
      expect(failure(refused)).toEqual({ code: 2, stdout: '' });
      expect(refused.stderr).toContain('validation_failed');
      expect(refused.stderr).toMatch(/runner\.baseUrl/);
      const noModel = await cli(['workflow', 'create', '--name', 'Bad', '--runner', 'openai', '--provider', 'openai']);
      expect(failure(noModel)).toEqual({ code: 2, stdout: '' });
      expect(noModel.stderr).toContain('--runner openai needs --model');
      expect(noModel.stderr).not.toMatch(/runner\.model|validation_failed/);
      const noBase = await cli(['workflow', 'create', '--name', 'Bad', '--runner', 'openai', '--provider', 'compatible', '--model', 'm']);
      expect(failure(noBase)).toEqual({ code: 2, stdout: '' });
      expect(noBase.stderr).toContain('--provider compatible needs --base-url');
    });

    it('show prints the model runner in full: instructions and base URL', async () => {
      const created = await cli([
        'workflow', 'create', '--name', 'Helpdesk', '--runner', 'openai', '--provider', 'compatible', '--model', 'local-model',
        '--base-url', 'http://127.0.0.1:8080/v1', '--instructions', 'Be brief.\nAnswer in French.', '--json',
      ]);
      expect(created.code).toBe(0);
      const show = await cli(['workflow', 'show', json(created).id]);
      expect(show.stdout).toMatch(/Runner:\s+openai \(compatible, local-model\)/);
      expect(show.stdout).toMatch(/Base URL:\s+http:\/\/127\.0\.0\.1:8080\/v1/);
      expect(show.stdout).toMatch(/Instructions:\s+Be brief\.\n {20}Answer in French\./);
      // Not one of the two the list test below expects.
      await api(`/api/workflows/${json(created).id}`, storedConfig().token!, { method: 'DELETE' });
    });

    it('lists and shows workflows', async () => {
      const list = json(await cli(['workflow', 'list', '--json']));
      expect(list.workflows.map((w: { name: string }) => w.name).sort()).toEqual(['CLI support', 'Second']);
      const table = await cli(['workflow', 'list']);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^ID\s+NAME\s+VISIBILITY\s+LOGIN REQUIRED\s+PUBLISHED\s+LAST ROTATION\s+SHARE URL/);
      expect(table.stdout).toMatch(new RegExp(`${id}\\s+CLI support\\s+private\\s+no`));

      const show = await cli(['workflow', 'show', id]);
      expect(show.code).toBe(0);
      expect(show.stdout).toMatch(/Visibility:\s+private/);
      expect(json(await cli(['workflow', 'show', id, '--json']))).toMatchObject({ id, name: 'CLI support', isPublic: false, shareUrl: null });
    });

    it('refuses publish, rotate, unpublish and login-required without a terminal and without --yes (exit 2)', async () => {
      for (const args of [['publish', id], ['rotate-token', id], ['unpublish', id], ['login-required', id, 'on']]) {
        const r = await cli(['workflow', ...args]);
        expect({ args, ...failure(r) }).toEqual({ args, code: 2, stdout: '' });
        expect(r.stderr).toContain('Refusing to continue without confirmation');
        expect(r.stderr).toContain('Hint: pass --yes');
      }
      expect(json(await cli(['workflow', 'show', id, '--json'])).isPublic).toBe(false);
    });

    it('publishes: the token and share link are printed once, work, and never appear again', async () => {
      const r = await cli(['workflow', 'publish', id, '--yes', '--json']);
      expect(r.code).toBe(0);
      const link = json(r);
      expect(link).toEqual({
        workflow: expect.objectContaining({ id, isPublic: true, requireLogin: false, publishedBy: owner.id }),
        publishToken: expect.stringMatching(new RegExp(`^${PUB.source}$`)),
        shareUrl: `http://localhost:3000/chat/${id}#token=${link.publishToken}`,
      });
      expect(r.stderr).toContain('shown only this once');

      // The printed token is a working share link for this workflow…
      expect(await verdict(link.publishToken, id)).toBe('ok');
      const pub = await fetch(`${t.baseUrl}/api/workflows/${id}/public`);
      expect({ status: pub.status, body: await pub.json() }).toEqual({ status: 200, body: { id, name: 'CLI support', requireLogin: false } });

      // …and nothing prints it again.
      for (const args of [['workflow', 'show', id], ['workflow', 'show', id, '--json'], ['workflow', 'list'], ['workflow', 'list', '--json']]) {
        const again = await cli(args);
        expect(again.code).toBe(0);
        expect(again.stdout + again.stderr).not.toMatch(PUB);
      }
      const show = await cli(['workflow', 'show', id]);
      expect(show.stdout).toMatch(/Visibility:\s+public/);
      expect(show.stdout).toContain(`http://localhost:3000/chat/${id} (token not shown`);
    });

    it('publishing a public workflow is a conflict (exit 5) with a hint to rotate', async () => {
      const r = await cli(['workflow', 'publish', id, '--yes']);
      expect(failure(r)).toEqual({ code: 5, stdout: '' });
      expect(r.stderr).toContain('publish_invalid_state, HTTP 409');
      expect(r.stderr).toContain(`Hint: already public; use \`parley workflow rotate-token ${id}\``);
      const doc = json(await cli(['workflow', 'publish', id, '--yes', '--json']));
      expect(doc).toEqual({
        error: expect.objectContaining({ code: 'publish_invalid_state', status: 409, exitCode: 5, hint: expect.stringContaining('rotate-token'), requestId: expect.any(String) }),
      });
    });

    it('rotates: a new token is printed once and the old link is named invalid for new chats', async () => {
      const first = json(await cli(['workflow', 'rotate-token', id, '--yes', '--json']));
      const r = await cli(['workflow', 'rotate-token', id, '--yes', '--require-login']);
      expect(r.code).toBe(0);
      const token = r.stdout.match(PUB)?.[0];
      expect(token).toBeDefined();
      expect(r.stdout).toContain(`Share link:  http://localhost:3000/chat/${id}#token=${token}`);
      expect(r.stdout).toContain('login required: yes');
      expect(r.stderr).toContain(`The old link (http://localhost:3000/chat/${id}#token=… issued before this rotation) is now invalid for new chats`);
      expect(r.stderr).toContain('shown only this once');

      expect(await verdict(first.publishToken, id)).toBe('publish_token_rotated');
      expect(await verdict(token!, id)).toBe('ok');
      const show = json(await cli(['workflow', 'show', id, '--json']));
      expect(show).toMatchObject({ requireLogin: true, publishTokenRotatedAt: expect.any(String) });
      expect(JSON.stringify(show)).not.toMatch(PUB);

      const keep = json(await cli(['workflow', 'rotate-token', id, '--yes', '--json']));
      expect(keep.workflow.requireLogin).toBe(true);
      const off = json(await cli(['workflow', 'rotate-token', id, '--yes', '--no-require-login', '--json']));
      expect(off.workflow.requireLogin).toBe(false);
    });

    it('switches the login requirement without rotating', async () => {
      const on = await cli(['workflow', 'login-required', id, 'on', '--yes', '--json']);
      expect(on.code).toBe(0);
      expect(json(on)).toMatchObject({ id, requireLogin: true, isPublic: true });
      const off = await cli(['workflow', 'login-required', id, 'off', '--yes']);
      expect(off.code).toBe(0);
      expect(off.stdout).toContain('can now chat without signing in. The share link is unchanged.');
      const bad = await cli(['workflow', 'login-required', id, 'maybe', '--yes']);
      expect(failure(bad)).toEqual({ code: 2, stdout: '' });
      expect(bad.stderr).toContain('Allowed choices are on, off');
    });

    it('unpublishes; the link dies and a second unpublish is a conflict (exit 5)', async () => {
      const current = json(await cli(['workflow', 'rotate-token', id, '--yes', '--json']));
      const r = await cli(['workflow', 'unpublish', id, '--yes', '--json']);
      expect(r.code).toBe(0);
      expect(json(r)).toMatchObject({ id, isPublic: false, shareUrl: null });
      expect(await verdict(current.publishToken, id)).toBe('workflow_not_published');
      expect((await fetch(`${t.baseUrl}/api/workflows/${id}/public`)).status).toBe(404);

      for (const args of [['unpublish', id, '--yes'], ['rotate-token', id, '--yes'], ['login-required', id, 'on', '--yes']]) {
        const again = await cli(['workflow', ...args]);
        expect({ args, ...failure(again) }).toEqual({ args, code: 5, stdout: '' });
        expect(again.stderr).toContain(`publish it first with \`parley workflow publish <id>\``);
      }
    });

    it('asks for confirmation on a terminal: yes publishes, anything else cancels (exit 2)', async () => {
      const declined = await home.runOnTerminal(['--api-url', t.baseUrl, 'workflow', 'publish', id], [['[y/N] ', 'n\r']]);
      expect(declined.code).toBe(2);
      expect(declined.screen).toContain(`Publish "CLI support" (${id})? Anyone with the share link can chat with it. [y/N]`);
      expect(declined.screen).toContain('Cancelled; nothing was changed.');
      expect(json(await cli(['workflow', 'show', id, '--json'])).isPublic).toBe(false);

      const accepted = await home.runOnTerminal(['--api-url', t.baseUrl, 'workflow', 'publish', id], [['[y/N] ', 'y\r']]);
      expect(accepted.code).toBe(0);
      const token = accepted.screen.match(PUB)?.[0];
      expect(await verdict(token!, id)).toBe('ok');
    });
  });

  describe('errors: API code, message, hint and exit code', () => {
    it('not found → 4 with a hint to list workflows', async () => {
      const r = await cli(['workflow', 'show', MISSING]);
      expect(failure(r)).toEqual({ code: 4, stdout: '' });
      expect(r.stderr).toContain('Error: Workflow not found. (not_found, HTTP 404)');
      expect(r.stderr).toContain('Hint: run `parley workflow list`');
      const doc = json(await cli(['workflow', 'publish', MISSING, '--yes', '--json']));
      expect(doc).toEqual({
        error: { code: 'not_found', status: 404, message: 'Workflow not found.', hint: expect.stringContaining('parley workflow list'), requestId: expect.any(String), exitCode: 4 },
      });
    });

    it('usage errors → 2: malformed id, unknown command or option, missing argument', async () => {
      const malformed = await cli(['workflow', 'show', 'not-an-id']);
      expect(failure(malformed)).toEqual({ code: 2, stdout: '' });
      expect(malformed.stderr).toContain('"not-an-id" is not a valid workflow id');
      for (const args of [['bogus'], ['workflow', 'list', '--bogus'], ['workflow', 'show'], ['workflow']]) {
        const r = await cli(args);
        expect({ args, code: r.code }).toEqual({ args, code: 2 });
      }
      const doc = json(await cli(['workflow', 'show', '--json']));
      expect(doc).toEqual({ error: { code: 'usage', message: "missing required argument 'id'", exitCode: 2 } });
    });

    it('a refused token → 3 with a hint to log in', async () => {
      const r = await cli(['whoami'], { env: { PARLEY_TOKEN: 'pat_not-a-real-token' } });
      expect(failure(r)).toEqual({ code: 3, stdout: '' });
      expect(r.stderr).toContain('(token_invalid, HTTP 401)');
      expect(r.stderr).toContain('Hint: PARLEY_TOKEN was refused: set a valid token, or unset it and run `parley login`');

      const stranger = new CliHome();
      try {
        const none = await stranger.run(['--api-url', t.baseUrl, 'workflow', 'list']);
        expect(failure(none)).toEqual({ code: 3, stdout: '' });
        expect(none.stderr).toContain(`Not signed in to ${t.baseUrl}`);
        expect(none.stderr).toContain('Hint: run `parley login`');
      } finally {
        stranger.remove();
      }
    });

    it('a refused connection → 1, naming the URL', async () => {
      const url = `http://127.0.0.1:${await closedPort()}`;
      const r = await home.run(['--api-url', url, 'workflow', 'list'], { env: { PARLEY_TOKEN: 'pat_whatever' } });
      expect(failure(r)).toEqual({ code: 1, stdout: '' });
      expect(r.stderr).toContain(`Cannot reach the Parley API at ${url}: connection refused.`);
      expect(r.stderr).toContain('--api-url or PARLEY_API_URL');
    });
  });

  describe('settings', () => {
    it('PARLEY_API_URL overrides the file, --api-url overrides both, and the stored token only goes to its own server', async () => {
      const elsewhere = `http://127.0.0.1:${await closedPort()}`;
      // The file's URL is the e2e server; the env var points elsewhere, so the stored token is not used there.
      const envOnly = await home.run(['whoami'], { env: { PARLEY_API_URL: elsewhere } });
      expect(failure(envOnly)).toEqual({ code: 3, stdout: '' });
      expect(envOnly.stderr).toContain(`Not signed in to ${elsewhere}`);
      const flagWins = await home.run(['--api-url', t.baseUrl, 'whoami', '--json'], { env: { PARLEY_API_URL: elsewhere } });
      expect(flagWins.code).toBe(0);
      expect(json(flagWins).apiUrl).toBe(t.baseUrl);
      const fromFile = await home.run(['whoami', '--json']);
      expect(json(fromFile)).toMatchObject({ apiUrl: t.baseUrl, tokenSource: 'file' });
    });

    it('PARLEY_TOKEN overrides the stored token', async () => {
      const other = await createOwner(t.app, 'cli-env');
      const pat = (await (await api('/api/auth/tokens', other.accessToken, { method: 'POST', body: JSON.stringify({ name: 'ci' }) })).json()) as { token: string };
      const r = await cli(['whoami', '--json'], { env: { PARLEY_TOKEN: pat.token } });
      expect(json(r)).toMatchObject({ user: { email: other.email }, tokenSource: 'env' });
    });

    it("--help names the API URL the CLI will use: the one `parley login` stored", async () => {
      const help = await home.run(['--help']);
      expect(help.stdout.replace(/\s+/g, ' ')).toContain(`${t.baseUrl}, from ${home.configFile} (written by \`parley login\`)`);
      const envHelp = await home.run(['--help'], { env: { PARLEY_API_URL: 'https://env.example' } });
      expect(envHelp.stdout.replace(/\s+/g, ' ')).toContain('https://env.example, from PARLEY_API_URL');
    });

    it('rejects an API URL that is not http(s) (exit 2)', async () => {
      const r = await home.run(['--api-url', 'ftp://example.com', 'whoami']);
      expect(failure(r)).toEqual({ code: 2, stdout: '' });
      expect(r.stderr).toContain('Invalid API URL');
    });
  });
});
