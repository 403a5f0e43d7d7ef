import type { Command } from 'commander';
import type { Context } from '../context';
import { parseId } from '../ids';
import { examples, table, when } from '../output';
import { confirm } from '../prompt';

type Json = Record<string, unknown>;

/** `parley sessions list|revoke|revoke-all`: the caller's canvas chat sessions. */
export function registerSessionCommands(program: Command, contextOf: (cmd: Command) => Context): void {
  const sessions = program
    .command('sessions')
    .description('your chat sessions (the canvas chat bubble on each device): list and revoke them');

  sessions
    .command('list')
    .description('list your chat sessions: workflow, device, created, last used, expiry')
    .addHelpText('after', examples([['ids of every session', "parley sessions list --json | jq -r '.sessions[].id'"]]))
    .action(async (_options: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const api = ctx.authed();
      const list = sessionsOf(await api.call(api.client.GET('/api/chatkit/sessions')));
      ctx.out.result({ sessions: list }, () =>
        list.length
          ? table(
              ['ID', 'WORKFLOW', 'DEVICE', 'CREATED', 'LAST USED', 'EXPIRES', 'STATUS'],
              list.map((s) => [
                str(s.id),
                str(s.workflowName ?? (s.workflow as Json | undefined)?.name ?? s.workflowId ?? (s.workflow as Json | undefined)?.id),
                str(s.deviceId ?? s.device),
                when(opt(s.createdAt)),
                when(opt(s.lastUsedAt)),
                when(opt(s.expiresAt)),
                status(s),
              ]),
            )
          : 'No chat sessions.',
      );
    });

  sessions
    .command('revoke')
    .description('revoke one chat session; its tokens stop working at once')
    .argument('<id>', 'session id (from `parley sessions list`)')
    .addHelpText('after', examples([['sign one device out', 'parley sessions revoke 0b6d2c1e-7a8f-4c3b-9e21-5d4f3a2b1c0d']]))
    .action(async (rawId: string, _options: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = parseId(rawId, 'session', 'parley sessions list');
      const api = ctx.authed();
      await api.call(api.client.DELETE('/api/chatkit/sessions/{id}', { params: { path: { id } } }), {
        notFound: 'run `parley sessions list` to see your sessions',
      });
      ctx.out.result({ revoked: id }, () => `Revoked chat session ${id}; its tokens stop working at once.`);
    });

  sessions
    .command('revoke-all')
    .description('revoke every chat session of yours ("sign out all devices")')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', examples([['sign out every device from a script', 'parley sessions revoke-all --yes']]))
    .action(async (options: { yes?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const api = ctx.authed();
      await confirm(ctx.io, options.yes, async () => 'Revoke all your chat sessions? Every open chat bubble has to start a new session.');
      const answer = await api.call(api.client.POST('/api/chatkit/sessions/revoke-all'));
      const body = (typeof answer === 'object' && answer !== null ? answer : {}) as Json;
      const count = typeof body.revoked === 'number' ? body.revoked : typeof body.count === 'number' ? body.count : null;
      ctx.out.result({ revokedAll: true, revoked: count }, () =>
        count === null ? 'Revoked all your chat sessions.' : `Revoked ${count} chat session${count === 1 ? '' : 's'}.`,
      );
    });
}

/**
 * The list answer as an array, whether the API wraps it as `{sessions}`, `{data}` or not at all:
 * kept tolerant so older servers still work.
 */
function sessionsOf(body: unknown): Json[] {
  if (Array.isArray(body)) return body as Json[];
  if (typeof body === 'object' && body !== null) {
    for (const key of ['sessions', 'data', 'items']) {
      const value = (body as Json)[key];
      if (Array.isArray(value)) return value as Json[];
    }
  }
  return [];
}

function str(value: unknown): string {
  return value === undefined || value === null || value === '' ? '-' : String(value);
}

function opt(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function status(s: Json): string {
  if (s.revokedAt || s.revoked === true) return 'revoked';
  if (typeof s.expiresAt === 'string' && Date.parse(s.expiresAt) < Date.now()) return 'expired';
  return 'active';
}
