import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import type { components } from '../api/schema';
import type { Api } from '../api/client';
import type { Context } from '../context';
import { ErrorHints } from '../errors';
import { parseId } from '../ids';
import { examples, fields, Output, table, when, yesNo } from '../output';
import { confirm } from '../prompt';
import { registerWorkflowKeyCommands } from './workflow-keys';

type Workflow = components['schemas']['WorkflowResponseDto'];
type IssuedLink = components['schemas']['IssuedLinkDto'];
type Runner = components['schemas']['RunnerDto'];

const ID = '6f1c1d3e-2b6a-4f0e-9f55-0b8f0e2f6c1a';
const NOT_PUBLIC: ErrorHints = { conflict: 'the workflow is not public; publish it first with `parley workflow publish <id>`' };

interface CreateOptions {
  name: string;
  description?: string;
  runner: Runner['kind'];
  provider?: Runner['provider'];
  model?: string;
  instructions?: string;
  baseUrl?: string;
  temperature?: number;
  allowedOrigin: string[];
}

/** `parley workflow …`: list, show, create and the publish lifecycle. */
export function registerWorkflowCommands(program: Command, contextOf: (cmd: Command) => Context): void {
  const workflow = program
    .command('workflow')
    .description('list, create and publish workflows')
    .addHelpText(
      'after',
      examples([
        ['list your workflows with their publish status', 'parley workflow list'],
        ['publish one without a prompt and keep the share link', `parley workflow publish ${ID} --yes --json | jq -r .shareUrl`],
      ]),
    );

  workflow
    .command('list')
    .description('list your workflows: public or private, login requirement, publish and rotation dates, share URL (without token)')
    .addHelpText('after', examples([['the ids of your public workflows', 'parley workflow list --json | jq -r \'.workflows[] | select(.isPublic) | .id\'']]))
    .action(async (_options: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const workflows = await listAll(ctx.authed());
      ctx.out.result({ workflows }, () =>
        workflows.length
          ? table(
              ['ID', 'NAME', 'VISIBILITY', 'LOGIN REQUIRED', 'PUBLISHED', 'LAST ROTATION', 'SHARE URL'],
              workflows.map((w) => [
                w.id,
                w.name,
                w.isPublic ? 'public' : 'private',
                yesNo(w.requireLogin),
                when(w.publishedAt),
                when(w.publishTokenRotatedAt),
                w.shareUrl ?? '-',
              ]),
            )
          : 'No workflows yet. Create one with `parley workflow create --name "Support"`.',
      );
    });

  workflow
    .command('show')
    .description('show one workflow and its publish status (the share token is never shown again)')
    .argument('<id>', 'workflow id')
    .addHelpText('after', examples([['is it public?', `parley workflow show ${ID} --json | jq .isPublic`]]))
    .action(async (rawId: string, _options: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const wf = await getWorkflow(ctx.authed(), parseId(rawId, 'workflow', 'parley workflow list'));
      ctx.out.result(wf, () => describe(wf));
    });

  workflow
    .command('create')
    .description('create a workflow (echo runner unless told otherwise)')
    .requiredOption('--name <name>', 'display name')
    .option('--description <text>', 'description (never shown on the public page)')
    .addOption(new Option('--runner <kind>', 'how the assistant answers').choices(['echo', 'openai']).default('echo'))
    .addOption(new Option('--provider <provider>', 'openai runner: model provider').choices(['openai', 'gemini', 'compatible']))
    .option('--model <model>', 'openai runner: model name, e.g. gpt-4o-mini')
    .option('--instructions <text>', 'openai runner: system instructions')
    .option('--base-url <url>', 'openai runner: endpoint (required for provider "compatible")')
    .option('--temperature <number>', 'openai runner: sampling temperature 0–2', parseTemperature)
    .option('--allowed-origin <origin>', 'origin allowed to embed the public chat (repeatable)', (value: string, all: string[]) => [...all, value], [])
    .addHelpText(
      'after',
      examples([
        ['a deterministic echo workflow', 'parley workflow create --name "Support"'],
        ['an OpenAI-backed one', 'parley workflow create --name "Helpdesk" --runner openai --provider openai --model gpt-4o-mini --instructions "Be brief."'],
      ]),
    )
    .action(async (options: CreateOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const api = ctx.authed();
      const runner: Runner = { kind: options.runner };
      if (options.provider !== undefined) runner.provider = options.provider;
      if (options.model !== undefined) runner.model = options.model;
      if (options.instructions !== undefined) runner.instructions = options.instructions;
      if (options.baseUrl !== undefined) runner.baseUrl = options.baseUrl;
      if (options.temperature !== undefined) runner.temperature = options.temperature;
      const wf = await api.call(
        api.client.POST('/api/workflows', {
          body: { name: options.name, description: options.description ?? '', runner, allowedOrigins: options.allowedOrigin },
        }),
      );
      ctx.out.result(wf, () => `Created workflow "${wf.name}" (${wf.id}).\nPublish it with \`parley workflow publish ${wf.id}\`.`);
    });

  workflow
    .command('publish')
    .description('make a workflow public and print its share link and token (shown once)')
    .argument('<id>', 'workflow id')
    .option('--require-login', 'visitors must sign in with OpenID Connect')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', examples([['publish from a script, login required', `parley workflow publish ${ID} --require-login --yes --json`]]))
    .action(async (rawId: string, options: { requireLogin?: boolean; yes?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = parseId(rawId, 'workflow', 'parley workflow list');
      const api = ctx.authed();
      await confirm(ctx.io, options.yes, async () => {
        const wf = await getWorkflow(api, id);
        return `Publish "${wf.name}" (${id})? Anyone with the share link can chat with it${options.requireLogin ? ' after signing in' : ''}.`;
      });
      const link = await api.call(
        api.client.POST('/api/workflows/{id}/publish', { params: { path: { id } }, body: { requireLogin: Boolean(options.requireLogin) } }),
        { conflict: `already public; use \`parley workflow rotate-token ${id}\` to get a new link` },
      );
      printLink(ctx.out, link, `Published "${link.workflow.name}" (${id}); login required: ${yesNo(link.workflow.requireLogin)}.`);
    });

  workflow
    .command('unpublish')
    .description('make a workflow private again; every share link stops working')
    .argument('<id>', 'workflow id')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', examples([['take a chat offline now', `parley workflow unpublish ${ID} --yes`]]))
    .action(async (rawId: string, options: { yes?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = parseId(rawId, 'workflow', 'parley workflow list');
      const api = ctx.authed();
      await confirm(ctx.io, options.yes, async () => {
        const wf = await getWorkflow(api, id);
        return `Unpublish "${wf.name}" (${id})? Every share link stops working and the chat goes offline.`;
      });
      const wf = await api.call(api.client.POST('/api/workflows/{id}/publish/revoke', { params: { path: { id } } }), NOT_PUBLIC);
      ctx.out.result(wf, () => `Unpublished "${wf.name}" (${id}): it is private and every share link is invalid.`);
    });

  workflow
    .command('rotate-token')
    .description('replace the share link: a new token is printed once and the old link stops working for new chats')
    .argument('<id>', 'workflow id')
    .option('--require-login', 'from now on visitors must sign in')
    .option('--no-require-login', 'from now on visitors need not sign in')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', examples([['rotate a leaked link and keep the new one', `parley workflow rotate-token ${ID} --yes --json > link.json`]]))
    .action(async (rawId: string, options: { requireLogin?: boolean; yes?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = parseId(rawId, 'workflow', 'parley workflow list');
      const api = ctx.authed();
      await confirm(ctx.io, options.yes, async () => {
        const wf = await getWorkflow(api, id);
        return `Rotate the share link of "${wf.name}" (${id})? The current link stops working for new chats.`;
      });
      const link = await api.call(
        api.client.POST('/api/workflows/{id}/publish/rotate', {
          params: { path: { id } },
          body: options.requireLogin === undefined ? {} : { requireLogin: options.requireLogin },
        }),
        NOT_PUBLIC,
      );
      printLink(ctx.out, link, `Rotated the share link of "${link.workflow.name}" (${id}); login required: ${yesNo(link.workflow.requireLogin)}.`);
      ctx.out.note(
        `The old link (${link.workflow.shareUrl ?? `/chat/${id}`}#token=… issued before this rotation) is now invalid for new chats; replies already streaming finish.`,
      );
    });

  workflow
    .command('login-required')
    .description('turn the sign-in requirement of a published workflow on or off (the share link stays the same)')
    .argument('<id>', 'workflow id')
    .addArgument(new Argument('<state>', 'on or off').choices(['on', 'off']))
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', examples([['require visitors to sign in', `parley workflow login-required ${ID} on --yes`]]))
    .action(async (rawId: string, state: 'on' | 'off', options: { yes?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = parseId(rawId, 'workflow', 'parley workflow list');
      const requireLogin = state === 'on';
      const api = ctx.authed();
      await confirm(ctx.io, options.yes, async () => {
        const wf = await getWorkflow(api, id);
        return requireLogin
          ? `Require visitors of "${wf.name}" (${id}) to sign in?`
          : `Let visitors of "${wf.name}" (${id}) chat without signing in?`;
      });
      const wf = await api.call(api.client.PATCH('/api/workflows/{id}/publish', { params: { path: { id } }, body: { requireLogin } }), NOT_PUBLIC);
      ctx.out.result(wf, () =>
        requireLogin
          ? `Visitors of "${wf.name}" (${id}) must now sign in. The share link is unchanged.`
          : `Visitors of "${wf.name}" (${id}) can now chat without signing in. The share link is unchanged.`,
      );
    });

  registerWorkflowKeyCommands(workflow, contextOf);
}

async function listAll(api: Api): Promise<Workflow[]> {
  const all: Workflow[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.call(api.client.GET('/api/workflows', { params: { query: { limit: 100, cursor } } }));
    all.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

function getWorkflow(api: Api, id: string): Promise<Workflow> {
  return api.call(api.client.GET('/api/workflows/{id}', { params: { path: { id } } }));
}

function describe(wf: Workflow): string {
  const runner = wf.runner.kind === 'echo' ? 'echo' : `${wf.runner.kind} (${[wf.runner.provider, wf.runner.model].filter(Boolean).join(', ')})`;
  return fields([
    ['Name', wf.name],
    ['ID', wf.id],
    ['Visibility', wf.isPublic ? 'public' : 'private'],
    ['Login required', yesNo(wf.requireLogin)],
    ['Published at', when(wf.publishedAt)],
    ['Published by', wf.publishedBy ? `${wf.publishedBy}${wf.publishedBy === wf.ownerId ? ' (you)' : ''}` : '-'],
    ['Last rotation', wf.isPublic && !wf.publishTokenRotatedAt ? 'never' : when(wf.publishTokenRotatedAt)],
    ['Share URL', wf.shareUrl ? `${wf.shareUrl} (token not shown; \`parley workflow rotate-token\` issues a new one)` : '-'],
    ['Runner', runner],
    ['Allowed origins', wf.allowedOrigins.length ? wf.allowedOrigins.join(', ') : '(global allowlist)'],
    ['Description', wf.description || '-'],
    ['Created', when(wf.createdAt)],
    ['Updated', when(wf.updatedAt)],
  ]);
}

/** The one time a share token is printed: the link and token on stdout, the warning on stderr. */
function printLink(out: Output, link: IssuedLink, headline: string): void {
  out.result(link, () => `${headline}\n\n${fields([['Share link', link.shareUrl], ['Token', link.publishToken]])}`);
  out.warn('the token and the share link are shown only this once; store them now. `parley workflow show` will not print them again.');
}

function parseTemperature(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 2) throw new InvalidArgumentError('expected a number from 0 to 2');
  return n;
}
