import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createThread, createChatApp } from '../chatkit/helpers';
import { createOwner, Owner } from '../factories/owners';
import type { TestApp } from '../setup/test-app';
import { BUILD_TIMEOUT_MS, CliHome, ensureCliBuilt, json } from './cli-runner';

/*
 * The commands over the chat side of the API: `transcripts export` (owner transcript API) and
 * `sessions` (chat sessions), run as the built CLI against the real routes of the e2e server.
 */

const MISSING = '00000000-0000-4000-8000-000000000000';
const MESSAGE = 'hello from the CLI export test';

type Session = Record<string, unknown> & { id: string };
const revokedOrGone = (s: Session | undefined) => s === undefined || Boolean(s.revokedAt) || s.revoked === true || s.status === 'revoked';

describe('the parley CLI: transcripts and chat sessions', () => {
  let t: TestApp;
  let owner: Owner;
  let home: CliHome;
  let workflowId: string;
  const cli = (args: string[], options?: { env?: Record<string, string>; input?: string }) => home.run(['--api-url', t.baseUrl, ...args], options);

  /** A chat session for one device, through the same route the canvas chat bubble uses. */
  async function openSession(deviceId: string): Promise<{ token: string; sessionId: string }> {
    const res = await fetch(`${t.baseUrl}/api/workflows/${workflowId}/chatkit/session`, {
      method: 'POST',
      headers: { authorization: owner.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { token: string; sessionId: string };
  }

  const listSessions = async (): Promise<Session[]> => {
    const r = await cli(['sessions', 'list', '--json']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return json<{ sessions: Session[] }>(r).sessions;
  };

  beforeAll(async () => {
    await ensureCliBuilt();
    t = await createChatApp();
    owner = await createOwner(t.app, 'cli-chat');
    home = new CliHome();
    expect((await cli(['login', '--email', owner.email, '--password-stdin'], { input: owner.password })).code).toBe(0);
    workflowId = json(await cli(['workflow', 'create', '--name', 'Exported', '--json'])).id;
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
    home?.remove();
  });

  describe('transcripts export', () => {
    beforeAll(async () => {
      const { token } = await openSession('export-test');
      await createThread(t.baseUrl, token, MESSAGE);
    });

    it('streams JSON Lines to a file and prints a JSON summary', async () => {
      const file = join(home.dir, 'chats.jsonl');
      const r = await cli(['transcripts', 'export', workflowId, '--format', 'jsonl', '-o', file, '--json']);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      const size = statSync(file).size;
      expect(json(r)).toEqual({ workflowId, format: 'jsonl', file, bytes: size });
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
      expect(lines.join('\n')).toContain(MESSAGE);
    });

    it('streams CSV to stdout, with nothing else there', async () => {
      const r = await cli(['transcripts', 'export', workflowId, '--format', 'csv']);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      const [header] = r.stdout.split(/\r?\n/);
      expect(header).toContain(',');
      expect(r.stdout).toContain(MESSAGE);
    });

    it('shows progress on stderr when it is a terminal', async () => {
      const file = join(home.dir, 'chats.csv');
      const r = await home.runOnTerminal(['--api-url', t.baseUrl, 'transcripts', 'export', workflowId, '--format', 'csv', '-o', file], []);
      expect(r.code).toBe(0);
      expect(r.screen).toContain(`Exporting to ${file}…`);
      expect(r.screen).toContain(`CSV transcripts to ${file}.`);
      expect(readFileSync(file, 'utf8')).toContain(MESSAGE);
    });

    it('an unknown workflow → 4 with a hint, and no file is left behind', async () => {
      const file = join(home.dir, 'missing.jsonl');
      const missing = await cli(['transcripts', 'export', MISSING, '-o', file]);
      expect({ code: missing.code, stdout: missing.stdout }).toEqual({ code: 4, stdout: '' });
      expect(missing.stderr).toContain('(not_found, HTTP 404)');
      expect(missing.stderr).toContain('Hint: run `parley workflow list`');
      expect(() => statSync(file)).toThrow();
    });

    it('usage errors → 2: --json without -o (the export is stdout), an unknown format', async () => {
      const noFile = await cli(['transcripts', 'export', workflowId, '--json']);
      expect(noFile.code).toBe(2);
      expect(json(noFile).error).toMatchObject({ code: 'usage', exitCode: 2 });

      const badFormat = await cli(['transcripts', 'export', workflowId, '--format', 'xml']);
      expect(badFormat.code).toBe(2);
    });
  });

  describe('sessions', () => {
    let laptop: { sessionId: string };

    beforeAll(async () => {
      laptop = await openSession('laptop');
      await openSession('phone');
    });

    it('lists the chat sessions, as JSON and as a table', async () => {
      const sessions = await listSessions();
      expect(sessions.map((s) => s.id)).toContain(laptop.sessionId);
      expect(JSON.stringify(sessions)).toContain('phone');
      const table = await cli(['sessions', 'list']);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^ID\s+WORKFLOW\s+DEVICE\s+CREATED\s+LAST USED\s+EXPIRES\s+STATUS/);
      expect(table.stdout).toContain(laptop.sessionId);
    });

    it('revokes one session; an unknown one is 4 with a hint to list sessions', async () => {
      const r = await cli(['sessions', 'revoke', laptop.sessionId, '--json']);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      expect(json(r)).toEqual({ revoked: laptop.sessionId });
      expect(revokedOrGone((await listSessions()).find((s) => s.id === laptop.sessionId))).toBe(true);

      const missing = await cli(['sessions', 'revoke', MISSING]);
      expect({ code: missing.code, stdout: missing.stdout }).toEqual({ code: 4, stdout: '' });
      expect(missing.stderr).toContain('Hint: run `parley sessions list`');
      expect((await cli(['sessions', 'revoke', 'laptop'])).code).toBe(2);
    });

    it('revoke-all asks first: refused without a terminal (2), done with --yes', async () => {
      const refused = await cli(['sessions', 'revoke-all']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('Hint: pass --yes');
      expect((await listSessions()).some((s) => !revokedOrGone(s))).toBe(true);

      const r = await cli(['sessions', 'revoke-all', '--yes', '--json']);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      expect(json(r)).toMatchObject({ revokedAll: true });
      expect((await listSessions()).every(revokedOrGone)).toBe(true);
    });
  });
});
