import type { Command } from 'commander';
import { hostname } from 'node:os';
import { normaliseApiUrl, StoredConfig, writeConfig } from '../config';
import type { Context } from '../context';
import { CliError, ExitCode, usageError } from '../errors';
import { examples, fields } from '../output';
import { askHidden, askLine, canPrompt, readStdin } from '../prompt';

interface LoginOptions {
  email?: string;
  passwordStdin?: boolean;
  tokenName: string;
}

/** `parley login`, `parley logout`, `parley whoami`. */
export function registerAuthCommands(program: Command, contextOf: (cmd: Command) => Context): void {
  program
    .command('login')
    .description('sign in with email and password and store a personal access token for this machine')
    .option('--email <email>', 'account email (asked for when omitted)')
    .option('--password-stdin', 'read the password from standard input instead of asking (for scripts)')
    .option('--token-name <name>', 'name of the personal access token to create', `parley-cli@${hostname()}`)
    .addHelpText(
      'after',
      examples([
        ['sign in interactively (the password is not echoed)', 'parley login --api-url https://parley.example.com'],
        ['sign in from a script', 'printf %s "$PARLEY_PASSWORD" | parley login --email ada@example.com --password-stdin'],
      ]),
    )
    .action((options: LoginOptions, cmd: Command) => login(contextOf(cmd), options));

  program
    .command('logout')
    .description('revoke the stored personal access token and remove it from the config file')
    .addHelpText('after', examples([['sign out of the stored server', 'parley logout']]))
    .action((_options: unknown, cmd: Command) => logout(contextOf(cmd)));

  program
    .command('whoami')
    .description('show the account the CLI acts as')
    .addHelpText('after', examples([['check the credentials a script will use', 'PARLEY_TOKEN=pat_… parley whoami --json']]))
    .action((_options: unknown, cmd: Command) => whoami(contextOf(cmd)));
}

async function login(ctx: Context, options: LoginOptions): Promise<void> {
  const { io, out } = ctx;
  const settings = ctx.settings();
  if (options.passwordStdin && !options.email) throw usageError('--password-stdin needs --email: standard input carries only the password.');
  if ((!options.email || !options.passwordStdin) && !canPrompt(io)) {
    throw usageError('There is no terminal to ask for the email and password on.', 'pass --email and --password-stdin in scripts');
  }
  const email = options.email ?? (await askLine(io, 'Email: '));
  const password = options.passwordStdin ? await readStdin(io) : await askHidden(io, 'Password: ');
  if (!email || !password) throw usageError('Both an email and a password are needed.');

  const anonymous = ctx.client();
  const session = await anonymous.call(anonymous.client.POST('/api/auth/login', { body: { email, password } }));
  // The short-lived access token only serves to create the personal access token; it is not kept.
  const owner = ctx.client(session.accessToken);
  const created = await owner.call(owner.client.POST('/api/auth/tokens', { body: { name: options.tokenName } }));

  const previous = settings.stored;
  writeConfig(settings.configFile, { apiUrl: settings.apiUrl, token: created.token, tokenId: created.id });
  await revokePrevious(ctx, previous);
  if (settings.tokenSource === 'env') out.warn('PARLEY_TOKEN is set and takes precedence over the stored token.');

  out.result(
    {
      apiUrl: settings.apiUrl,
      user: session.user,
      token: { id: created.id, name: created.name, createdAt: created.createdAt, expiresAt: created.expiresAt },
      configFile: settings.configFile,
    },
    () => `Signed in to ${settings.apiUrl} as ${session.user.email}.\nPersonal access token "${created.name}" stored in ${settings.configFile}.`,
  );
}

/** A new login replaces the stored one: the old token revokes itself, so it does not linger unused. */
async function revokePrevious(ctx: Context, previous: StoredConfig): Promise<void> {
  if (!previous.apiUrl || !previous.token || !previous.tokenId) return;
  try {
    const old = ctx.client(previous.token, normaliseApiUrl(previous.apiUrl));
    await old.call(old.client.DELETE('/api/auth/tokens/{id}', { params: { path: { id: previous.tokenId } } }));
  } catch (err) {
    // Already revoked or expired is the goal anyway; anything else is worth a word.
    if (err instanceof CliError && (err.exitCode === ExitCode.auth || err.exitCode === ExitCode.notFound)) return;
    ctx.out.warn(`could not revoke the previous token (${previous.tokenId}) at ${previous.apiUrl}: ${(err as Error).message}`);
  }
}

async function logout(ctx: Context): Promise<void> {
  const { out } = ctx;
  const settings = ctx.settings();
  const { stored } = settings;
  const envNote = () => {
    if (settings.tokenSource === 'env') out.note('PARLEY_TOKEN is set; logout does not revoke it. Revoke it where it was created.');
  };
  if (!stored.token || !stored.apiUrl || normaliseApiUrl(stored.apiUrl) !== settings.apiUrl) {
    envNote();
    out.result({ loggedOut: false, apiUrl: settings.apiUrl }, () => `Not signed in to ${settings.apiUrl}; nothing to do.`);
    return;
  }
  let revoked = false;
  if (stored.tokenId) {
    const api = ctx.client(stored.token);
    try {
      await api.call(api.client.DELETE('/api/auth/tokens/{id}', { params: { path: { id: stored.tokenId } } }));
      revoked = true;
    } catch (err) {
      // A token the server no longer accepts is as good as revoked; other failures keep it stored for a retry.
      if (!(err instanceof CliError && (err.exitCode === ExitCode.auth || err.exitCode === ExitCode.notFound))) throw err;
      out.note('The stored token was already revoked or expired.');
    }
  } else {
    out.warn('the config file has no token id, so the token could not be revoked; revoke it in the web app.');
  }
  writeConfig(settings.configFile, { apiUrl: stored.apiUrl });
  envNote();
  out.result({ loggedOut: true, apiUrl: settings.apiUrl, tokenId: stored.tokenId ?? null, revoked }, () =>
    revoked ? `Signed out of ${settings.apiUrl}; the token was revoked and removed from ${settings.configFile}.` : `Signed out of ${settings.apiUrl}.`,
  );
}

async function whoami(ctx: Context): Promise<void> {
  const api = ctx.authed();
  const { user } = await api.call(api.client.GET('/api/auth/me'));
  const { apiUrl, tokenSource, configFile } = ctx.settings();
  ctx.out.result({ apiUrl, user, tokenSource }, () =>
    fields([
      ['Signed in as', user.email],
      ['Name', user.name ?? '-'],
      ['User id', user.id],
      ['API', apiUrl],
      ['Token from', tokenSource === 'env' ? 'PARLEY_TOKEN' : configFile],
    ]),
  );
}
