import type { Command } from 'commander';
import type { Context } from '../context';
import { parseId } from '../ids';
import { examples, fields, table, when } from '../output';
import { confirm } from '../prompt';

const ID = '6f1c1d3e-2b6a-4f0e-9f55-0b8f0e2f6c1a';
const KEY_ID = '0b6d2c1e-7a8f-4c3b-9e21-5d4f3a2b1c0d';

/**
 * `parley workflow keys create|list|revoke` (server keys a host app's backend mints end-user
 * sessions with), `parley workflow end-users list|revoke` (those sessions) and
 * `parley workflow webhook-secret` (the webhook runner's signing secret).
 */
export function registerWorkflowKeyCommands(workflow: Command, contextOf: (cmd: Command) => Context): void {
  const keys = workflow
    .command('keys')
    .description('server keys (wsk_…) of a workflow: your backend mints end-user sessions with them (see docs/embedding.md)')
    .addHelpText('after', examples([['a key for your production backend', `parley workflow keys create ${ID} --name production`]]));

  keys
    .command('create')
    .description('create a server key; it is printed once — store it on your server, never in a page')
    .argument('<workflow-id>', 'workflow id')
    .requiredOption('--name <name>', 'what the key is for, e.g. "production backend"')
    .addHelpText('after', examples([['keep the key in your secret store', `parley workflow keys create ${ID} --name prod --json | jq -r .key`]]))
    .action(async (rawId: string, options: { name: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = parseId(rawId, 'workflow', 'parley workflow list');
      const api = ctx.authed();
      const created = await api.call(api.client.POST('/api/workflows/{id}/server-keys', { params: { path: { id } }, body: { name: options.name } }));
      ctx.out.result(created, () => `Created server key "${created.name}" (${created.id}).\n\n${fields([['Key', created.key]])}`);
      ctx.out.warn('the key is shown only this once; store it on your server now. Browsers are refused: give them the client_secret your server mints.');
    });

  keys
    .command('list')
    .description('list the server keys of a workflow: prefix, name, created, last used (never the keys)')
    .argument('<workflow-id>', 'workflow id')
    .action(async (rawId: string, _options: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = parseId(rawId, 'workflow', 'parley workflow list');
      const api = ctx.authed();
      const { keys: list } = await api.call(api.client.GET('/api/workflows/{id}/server-keys', { params: { path: { id } } }));
      ctx.out.result({ keys: list }, () =>
        list.length
          ? table(
              ['ID', 'NAME', 'PREFIX', 'CREATED', 'LAST USED', 'STATUS'],
              list.map((k) => [k.id, k.name, `${k.prefix}…`, when(k.createdAt), when(k.lastUsedAt), k.revokedAt ? `revoked ${when(k.revokedAt)}` : 'active']),
            )
          : `No server keys. Create one with \`parley workflow keys create ${id} --name <name>\`.`,
      );
    });

  keys
    .command('revoke')
    .description('revoke a server key; it fails at once (sessions it minted end when their 5-minute secret expires)')
    .argument('<workflow-id>', 'workflow id')
    .argument('<key-id>', 'key id (from `parley workflow keys list`)')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', examples([['revoke a leaked key', `parley workflow keys revoke ${ID} ${KEY_ID} --yes`]]))
    .action(async (rawId: string, rawKey: string, options: { yes?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = parseId(rawId, 'workflow', 'parley workflow list');
      const keyId = parseId(rawKey, 'server key', `parley workflow keys list ${id}`);
      const api = ctx.authed();
      await confirm(ctx.io, options.yes, async () => `Revoke server key ${keyId}? Backends using it can no longer start chats.`);
      await api.call(api.client.DELETE('/api/workflows/{id}/server-keys/{keyId}', { params: { path: { id, keyId } } }), {
        notFound: `run \`parley workflow keys list ${id}\` to see the keys`,
      });
      ctx.out.result({ revoked: keyId }, () => `Revoked server key ${keyId}.`);
    });

  const endUsers = workflow.command('end-users').description('end-user sessions your host app minted for its signed-in users');

  endUsers
    .command('list')
    .description('list end-user sessions: host user id, email, name, device, last used')
    .argument('<workflow-id>', 'workflow id')
    .option('--user <id>', 'only this host user id')
    .action(async (rawId: string, options: { user?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = parseId(rawId, 'workflow', 'parley workflow list');
      const api = ctx.authed();
      const { data } = await api.call(api.client.GET('/api/workflows/{id}/end-user-sessions', { params: { path: { id }, query: options.user ? { userId: options.user } : {} } }));
      ctx.out.result({ sessions: data }, () =>
        data.length
          ? table(
              ['ID', 'USER', 'EMAIL', 'DEVICE', 'LAST USED', 'STATUS'],
              data.map((s) => [s.id, s.user.name ? `${s.user.name} (${s.user.id})` : s.user.id, s.user.email ?? '-', s.deviceId, when(s.lastUsedAt), s.revokedAt ? 'revoked' : Date.parse(s.expiresAt) < Date.now() ? 'expired' : 'active']),
            )
          : 'No end-user sessions.',
      );
    });

  endUsers
    .command('revoke')
    .description('revoke an end-user session: its client secrets fail at once and its live chats end')
    .argument('<workflow-id>', 'workflow id')
    .argument('<session-id>', 'session id (from `parley workflow end-users list`)')
    .action(async (rawId: string, rawSession: string, _options: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = parseId(rawId, 'workflow', 'parley workflow list');
      const sessionId = parseId(rawSession, 'session', `parley workflow end-users list ${id}`);
      const api = ctx.authed();
      await api.call(api.client.DELETE('/api/workflows/{id}/end-user-sessions/{sessionId}', { params: { path: { id, sessionId } } }), {
        notFound: `run \`parley workflow end-users list ${id}\` to see the sessions`,
      });
      ctx.out.result({ revoked: sessionId }, () => `Revoked end-user session ${sessionId}.`);
    });

  workflow
    .command('webhook-secret')
    .description('create or rotate the signing secret of a webhook workflow (printed once; the old one stops working at once)')
    .argument('<workflow-id>', 'workflow id')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--status', 'only say whether a secret is set and when it was created or rotated (never the secret)')
    .addHelpText(
      'after',
      examples([
        ['configure your engine with a fresh secret', `parley workflow webhook-secret ${ID} --yes --json | jq -r .secret`],
        ['is a secret set, and since when?', `parley workflow webhook-secret ${ID} --status`],
      ]),
    )
    .action(async (rawId: string, options: { yes?: boolean; status?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = parseId(rawId, 'workflow', 'parley workflow list');
      const api = ctx.authed();
      if (options.status) {
        const status = await api.call(api.client.GET('/api/workflows/{id}/webhook-secret', { params: { path: { id } } }));
        ctx.out.result(status, () =>
          status.configured
            ? fields([
                ['Signing secret', 'set (not shown)'],
                ['Created', when(status.createdAt)],
                ['Rotated', when(status.rotatedAt)],
              ])
            : `No signing secret yet. Create one with \`parley workflow webhook-secret ${id}\`.`,
        );
        return;
      }
      await confirm(ctx.io, options.yes, async () => `Create or rotate the webhook signing secret of ${id}? An existing secret stops working at once.`);
      const created = await api.call(api.client.POST('/api/workflows/{id}/webhook-secret', { params: { path: { id } } }));
      ctx.out.result(created, () => fields([['Signing secret', created.secret]]));
      ctx.out.warn('the secret is shown only this once; configure your engine\'s signature check with it now.');
    });
}
