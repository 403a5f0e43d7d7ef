import { Command, CommanderError } from 'commander';
import { registerAuthCommands } from './commands/auth';
import { registerSessionCommands } from './commands/sessions';
import { registerTranscriptCommands } from './commands/transcripts';
import { registerWorkflowCommands } from './commands/workflow';
import { configFilePath, DEFAULT_API_URL, readConfig } from './config';
import { Context, GlobalOptions } from './context';
import { CliError, ExitCode } from './errors';
import { examples, Io, Output } from './output';
import { cliVersion } from './version';

const PROGRAM_HELP = `
Environment:
  PARLEY_API_URL   server base URL (--api-url wins over it)
  PARLEY_TOKEN     personal access token (wins over the config file)
  XDG_CONFIG_HOME  the config file is $XDG_CONFIG_HOME/parley/config.json (default ~/.config/parley/config.json)

Exit codes:
  0 success   1 API or network error   2 usage (bad arguments, refused or declined confirmation)
  3 authentication   4 not found   5 conflict   130 interrupted at a prompt
${examples([
  ['sign in once; the token is stored with mode 0600', 'parley login --api-url https://parley.example.com'],
  ['publish a workflow and keep its share link', 'parley workflow publish <id> --yes --json | jq -r .shareUrl'],
  ['export its transcripts', 'parley transcripts export <id> --format csv -o chats.csv'],
])}
Documentation: docs/cli.md`;

/** The `parley` command tree, writing to `io` (the process's streams in production). */
export function buildProgram(io: Io): Command {
  const program = new Command('parley')
    .description('Publish and manage Parley workflows from the command line. Talks to the REST API only.')
    .version(cliVersion(), '-V, --version', 'print the CLI version')
    .option('--json', 'print exactly one JSON document on stdout (errors too: {"error": …})')
    .option('--api-url <url>', `Parley server base URL (default: ${currentApiUrl(io.env)})`)
    // Set before the subcommands are added: commander copies these settings into each of them.
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText('after', PROGRAM_HELP);

  const contextOf = (cmd: Command) => new Context(io, cmd.optsWithGlobals<GlobalOptions>());
  registerAuthCommands(program, contextOf);
  registerWorkflowCommands(program, contextOf);
  registerTranscriptCommands(program, contextOf);
  registerSessionCommands(program, contextOf);
  return program;
}

/**
 * The URL a command would use without `--api-url`, and where it comes from: PARLEY_API_URL, else the config file
 * written by `parley login`, else the local default. Help never fails on an unreadable config file.
 */
export function currentApiUrl(env: NodeJS.ProcessEnv): string {
  if (env.PARLEY_API_URL) return `${env.PARLEY_API_URL}, from PARLEY_API_URL`;
  const file = configFilePath(env);
  try {
    const stored = readConfig(file).config.apiUrl;
    if (stored) return `${stored}, from ${file} (written by \`parley login\`)`;
  } catch {
    // Shown as the fallback below; the command itself reports the broken file.
  }
  return `${DEFAULT_API_URL}; \`parley login --api-url <url>\` stores another`;
}

/** Runs one invocation and returns its exit code (it never calls `process.exit`, so output is flushed). */
export async function run(argv: string[], io: Io): Promise<number> {
  const json = argv.includes('--json');
  try {
    await buildProgram(io).parseAsync(argv);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version end here with 0; commander has already printed usage errors.
      if (err.exitCode === 0) return ExitCode.ok;
      if (json) io.stdout.write(`${JSON.stringify({ error: { code: 'usage', message: err.message.replace(/^error: /, ''), exitCode: ExitCode.usage } }, null, 2)}\n`);
      return ExitCode.usage;
    }
    const failure =
      err instanceof CliError ? err : new CliError(`Unexpected error: ${err instanceof Error ? err.message : String(err)}`, ExitCode.failure, { code: 'internal' });
    new Output(io, json).error(failure);
    if (!(err instanceof CliError) && io.env.PARLEY_DEBUG && err instanceof Error) io.stderr.write(`${err.stack}\n`);
    return failure.exitCode;
  }
}
