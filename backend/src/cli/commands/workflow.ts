import { readFileSync } from 'node:fs';
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import type { components } from '@parley/api-types';
import type { Api } from '../api/client';
import type { Context } from '../context';
import { ErrorHints, usageError } from '../errors';
import { parseId } from '../ids';
import { examples, fields, Output, table, when, yesNo } from '../output';
import { confirm } from '../prompt';
import { registerStatsCommand } from './stats';
import { registerWorkflowKeyCommands } from './workflow-keys';

type Workflow = components['schemas']['WorkflowResponseDto'];
type IssuedLink = components['schemas']['IssuedLinkDto'];
type Version = components['schemas']['WorkflowVersionDto'];
type Runner = components['schemas']['RunnerDto'];
type Tool = NonNullable<Runner['tools']>[number];

const RUNNER_KINDS = ['echo', 'openai', 'agent', 'webhook'] as const satisfies readonly Runner['kind'][];
type RunnerKind = (typeof RUNNER_KINDS)[number];

/** The API's bounds for a webhook runner's `timeoutMs` (checked here to name the flag). */
const WEBHOOK_TIMEOUT_MIN_MS = 1000;
const WEBHOOK_TIMEOUT_MAX_MS = 120_000;

const ID = '6f1c1d3e-2b6a-4f0e-9f55-0b8f0e2f6c1a';
const NOT_PUBLIC: ErrorHints = { conflict: 'the workflow is not public; publish it first with `parley workflow publish <id>`' };

/** Runner flags shared by `create` and `update`. */
interface RunnerOptions {
  runner?: RunnerKind;
  provider?: Runner['provider'];
  model?: string;
  instructions?: string;
  baseUrl?: string;
  temperature?: number;
  toolsFile?: string;
  maxSteps?: number;
  url?: string;
  /** `--header "Name: value"`, repeatable. */
  header?: string[];
  headersFile?: string;
  removeHeader?: string[];
  timeoutMs?: number;
}

interface CreateOptions extends RunnerOptions {
  name: string;
  description?: string;
  allowedOrigin: string[];
}

interface UpdateOptions extends RunnerOptions {
  name?: string;
  description?: string;
  allowedOrigin?: string[];
}

/** Adds the runner flags to `create` or `update`. */
function withRunnerOptions(cmd: Command, defaultKind?: RunnerKind): Command {
  const kind = new Option('--runner <kind>', 'how the assistant answers: echo, openai (one model call), agent (a model with tools) or webhook (your own engine)').choices(
    RUNNER_KINDS,
  );
  const repeat = (value: string, all: string[] = []) => [...all, value];
  return cmd
    .addOption(defaultKind ? kind.default(defaultKind) : kind)
    .addOption(new Option('--provider <provider>', 'openai/agent runner: model provider').choices(['openai', 'gemini', 'compatible']))
    .option('--model <model>', 'openai/agent runner: model name, e.g. gpt-4o-mini')
    .option('--instructions <text>', 'openai/agent runner: system instructions')
    .option('--base-url <url>', 'openai/agent runner: endpoint (required for provider "compatible")')
    .option('--temperature <number>', 'openai/agent runner: sampling temperature 0–2', parseTemperature)
    .option('--tools-file <path>', 'agent runner: JSON file with the tools (an array, or {"tools": [...]}); see docs/cli.md')
    .option('--max-steps <n>', 'agent runner: most model calls per turn, 1–25 (default 8)', parseMaxSteps)
    .option('--url <url>', 'webhook runner: your engine\'s endpoint; Parley POSTs each turn to it, signed')
    .option('--header <"Name: value">', 'webhook runner: a request header for the engine (repeatable; values are secrets, never shown again)', repeat)
    .option('--headers-file <path>', 'webhook runner: a JSON object of request headers (keeps secrets out of your shell history)')
    .option('--remove-header <name>', 'webhook runner (update): drop a stored header (repeatable)', repeat)
    .option('--timeout-ms <ms>', `webhook runner: longest wait for the engine to start answering and between streamed lines, ${WEBHOOK_TIMEOUT_MIN_MS}–${WEBHOOK_TIMEOUT_MAX_MS} (default 30000)`, parseTimeoutMs);
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
        ['how a workflow did over the last 30 days', `parley workflow stats ${ID}`],
        ['publish one without a prompt and keep the share link', `parley workflow publish ${ID} --yes --json | jq -r .shareUrl`],
      ]),
    );

  registerStatsCommand(workflow, contextOf);

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

  withRunnerOptions(
    workflow
      .command('create')
      .description('create a workflow (echo runner unless told otherwise)')
      .requiredOption('--name <name>', 'display name')
      .option('--description <text>', 'description (never shown on the public page)'),
    'echo',
  )
    .option('--allowed-origin <origin>', 'origin allowed to embed the public chat (repeatable)', (value: string, all: string[]) => [...all, value], [])
    .addHelpText(
      'after',
      examples([
        ['a deterministic echo workflow', 'parley workflow create --name "Support"'],
        ['an OpenAI-backed one', 'parley workflow create --name "Helpdesk" --runner openai --provider openai --model gpt-4o-mini --instructions "Be brief."'],
        ['an agent with tools', 'parley workflow create --name "Orders" --runner agent --provider openai --model gpt-4o-mini --tools-file tools.json --max-steps 6'],
        ['your own engine behind Parley (then: parley workflow webhook-secret <id>)', 'parley workflow create --name "Engine" --runner webhook --url https://engine.example.com/parley --headers-file headers.json'],
      ]),
    )
    .action(async (options: CreateOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const runner = buildRunner({ kind: options.runner ?? 'echo' }, options);
      const api = ctx.authed();
      const wf = await api.call(
        api.client.POST('/api/workflows', {
          body: { name: options.name, description: options.description ?? '', runner, allowedOrigins: options.allowedOrigin },
        }),
      );
      ctx.out.result(wf, () =>
        wf.runner.kind === 'webhook'
          ? `Created workflow "${wf.name}" (${wf.id}).\nCreate its signing secret with \`parley workflow webhook-secret ${wf.id}\` and configure your engine with it; then publish with \`parley workflow publish ${wf.id}\`.`
          : `Created workflow "${wf.name}" (${wf.id}).\nPublish it with \`parley workflow publish ${wf.id}\`.`,
      );
    });

  withRunnerOptions(
    workflow
      .command('update')
      .description('change a workflow\'s draft: name, description, runner, tools, allowed origins (the public keeps its published version)')
      .argument('<id>', 'workflow id')
      .option('--name <name>', 'display name')
      .option('--description <text>', 'description'),
  )
    .option('--allowed-origin <origin>', 'origin allowed to embed the public chat (repeatable; replaces the list)', (value: string, all: string[] = []) => [...all, value])
    .addHelpText(
      'after',
      examples([
        ['replace the tools of an agent, keeping everything else', `parley workflow update ${ID} --tools-file tools.json`],
        ['turn an echo workflow into an agent', `parley workflow update ${ID} --runner agent --provider openai --model gpt-4o-mini --tools-file tools.json`],
        ['point a webhook workflow at a new engine URL, keeping its headers', `parley workflow update ${ID} --url https://engine-v2.example.com/parley`],
        ['then let the public run the new draft', `parley workflow publish-draft ${ID} --yes`],
      ]),
    )
    .action(async (rawId: string, options: UpdateOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = parseId(rawId, 'workflow', 'parley workflow list');
      const body: { name?: string; description?: string; runner?: Runner; allowedOrigins?: string[] } = {};
      if (options.name !== undefined) body.name = options.name;
      if (options.description !== undefined) body.description = options.description;
      if (options.allowedOrigin !== undefined) body.allowedOrigins = options.allowedOrigin;
      const api = ctx.authed();
      if (touchesRunner(options)) {
        // Flags change the current runner; `--runner` with another kind starts a new one. Header
        // values come back as "***", which the API reads as "keep the stored secret".
        const current = (await getWorkflow(api, id)).runner;
        const base: Runner = options.runner === undefined || options.runner === current.kind ? { ...current } : { kind: options.runner };
        body.runner = buildRunner(base, options);
      }
      if (!Object.keys(body).length) throw usageError('nothing to change', 'pass at least one of --name, --description, --allowed-origin or a runner flag (see --help)');
      const wf = await api.call(api.client.PATCH('/api/workflows/{id}', { params: { path: { id } }, body }));
      ctx.out.result(wf, () =>
        wf.draftDiffers
          ? `Updated the draft of "${wf.name}" (${id}). The public still runs version ${wf.publishedVersion}; publish the draft with \`parley workflow publish-draft ${id}\`.`
          : `Updated "${wf.name}" (${id}).`,
      );
    });

  workflow
    .command('versions')
    .description('list the published versions of a workflow (newest first) and whether the draft differs')
    .argument('<id>', 'workflow id')
    .addHelpText('after', examples([['the version the public runs', `parley workflow versions ${ID} --json | jq '.versions[] | select(.published) | .version'`]]))
    .action(async (rawId: string, _options: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = parseId(rawId, 'workflow', 'parley workflow list');
      const api = ctx.authed();
      const wf = await getWorkflow(api, id);
      const versions = await listVersions(api, id);
      ctx.out.result({ publishedVersion: wf.publishedVersion, draftDiffers: wf.draftDiffers, versions }, () => {
        if (!versions.length) return `"${wf.name}" has no published versions yet. Publish it with \`parley workflow publish ${id}\`.`;
        const status =
          wf.publishedVersion === null
            ? 'The workflow is private: no version is published.'
            : wf.draftDiffers
              ? `The public runs version ${wf.publishedVersion}; the draft differs (\`parley workflow publish-draft ${id}\` publishes it).`
              : `The public runs version ${wf.publishedVersion}, which equals the draft.`;
        return `${table(
          ['VERSION', 'PUBLISHED', 'RUNNER', 'CREATED'],
          versions.map((v) => [String(v.version), v.published ? 'yes (public runs it)' : '-', runnerLabel(v.runner), when(v.createdAt)]),
        )}\n\n${status}`;
      });
    });

  workflow
    .command('publish-draft')
    .description('publish the draft of a public workflow as a new version; the public runs it from the next message')
    .argument('<id>', 'workflow id')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', examples([['publish the draft from a script', `parley workflow publish-draft ${ID} --yes --json | jq .version.version`]]))
    .action(async (rawId: string, options: { yes?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = parseId(rawId, 'workflow', 'parley workflow list');
      const api = ctx.authed();
      await confirm(ctx.io, options.yes, async () => {
        const wf = await getWorkflow(api, id);
        return `Publish the draft of "${wf.name}" (${id})? Everyone chatting through its share link gets it from their next message.`;
      });
      const change = await api.call(api.client.POST('/api/workflows/{id}/versions', { params: { path: { id } } }), {
        conflict: `the draft is already the published version, or the workflow is not public (publish it first with \`parley workflow publish ${id}\`)`,
      });
      ctx.out.result(change, () => `Published the draft of "${change.workflow.name}" (${id}) as version ${change.version.version}.`);
    });

  workflow
    .command('rollback')
    .description('make the public run an earlier published version again (the draft is kept)')
    .argument('<id>', 'workflow id')
    .argument('<version>', 'version number (see `parley workflow versions <id>`)', parseVersion)
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', examples([['go back to version 2', `parley workflow rollback ${ID} 2 --yes`]]))
    .action(async (rawId: string, version: number, options: { yes?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = parseId(rawId, 'workflow', 'parley workflow list');
      const api = ctx.authed();
      await confirm(ctx.io, options.yes, async () => {
        const wf = await getWorkflow(api, id);
        return `Roll "${wf.name}" (${id}) back to version ${version}? Everyone chatting through its share link gets it from their next message.`;
      });
      const change = await api.call(
        api.client.POST('/api/workflows/{id}/versions/{version}/rollback', { params: { path: { id, version } } }),
        {
          notFound: `no such workflow or version; \`parley workflow versions ${id}\` lists the versions`,
          conflict: `version ${version} is already published, or the workflow is not public`,
        },
      );
      ctx.out.result(change, () =>
        `Rolled "${change.workflow.name}" (${id}) back: the public runs version ${change.version.version}.${change.workflow.draftDiffers ? ' The draft is unchanged and differs from it.' : ''}`,
      );
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

async function listVersions(api: Api, id: string): Promise<Version[]> {
  const all: Version[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.call(api.client.GET('/api/workflows/{id}/versions', { params: { path: { id }, query: { limit: 100, cursor } } }));
    all.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

/** `echo`, `openai (openai, gpt-4o-mini)`, `agent (openai, gpt-4o-mini, 3 tools)`. */
function runnerLabel(runner: Runner): string {
  if (runner.kind === 'echo') return 'echo';
  if (runner.kind === 'webhook') return `webhook (${runner.url ?? '?'})`;
  const parts = [runner.provider, runner.model];
  if (runner.kind === 'agent') parts.push(`${runner.tools?.length ?? 0} tool${runner.tools?.length === 1 ? '' : 's'}`);
  return `${runner.kind} (${parts.filter(Boolean).join(', ')})`;
}

/** The runner flags given, by runner family: each with its value (undefined when absent). */
function runnerFlags(o: RunnerOptions) {
  const model = [
    ['--provider', o.provider],
    ['--model', o.model],
    ['--instructions', o.instructions],
    ['--base-url', o.baseUrl],
    ['--temperature', o.temperature],
    ['--tools-file', o.toolsFile],
    ['--max-steps', o.maxSteps],
  ] as const;
  const webhook = [
    ['--url', o.url],
    ['--header', o.header],
    ['--headers-file', o.headersFile],
    ['--remove-header', o.removeHeader],
    ['--timeout-ms', o.timeoutMs],
  ] as const;
  return { model, webhook };
}

function touchesRunner(o: RunnerOptions): boolean {
  const { model, webhook } = runnerFlags(o);
  return o.runner !== undefined || [...model, ...webhook].some(([, v]) => v !== undefined);
}

/**
 * Applies the runner flags to `base` and checks what the API would refuse anyway, with a message
 * naming the flag: a model runner needs a provider and a model, tools and steps belong to agents.
 */
function buildRunner(base: Runner, o: RunnerOptions): Runner {
  const runner: Runner = { ...base };
  const { model: modelFlags, webhook: webhookFlags } = runnerFlags(o);
  if (runner.kind === 'echo') {
    const stray = [...modelFlags, ...webhookFlags].find(([, v]) => v !== undefined);
    if (stray) throw usageError(`${stray[0]} does not apply to the echo runner`, 'add --runner openai, agent or webhook');
    return { kind: 'echo' };
  }
  if (runner.kind === 'webhook') {
    const stray = modelFlags.find(([, v]) => v !== undefined);
    if (stray) throw usageError(`${stray[0]} does not apply to the webhook runner`, 'a webhook workflow takes --url, --header, --headers-file, --remove-header and --timeout-ms');
    return buildWebhookRunner(runner, o);
  }
  const webhookOnly = webhookFlags.find(([, v]) => v !== undefined);
  if (webhookOnly) throw usageError(`${webhookOnly[0]} applies only to webhook runners`, 'use --runner webhook');
  if (o.provider !== undefined) runner.provider = o.provider;
  if (o.model !== undefined) runner.model = o.model;
  if (o.instructions !== undefined) runner.instructions = o.instructions;
  if (o.baseUrl !== undefined) runner.baseUrl = o.baseUrl;
  if (o.temperature !== undefined) runner.temperature = o.temperature;
  if (runner.kind === 'openai') {
    if (o.toolsFile !== undefined) throw usageError('--tools-file applies only to agent runners', 'use --runner agent');
    if (o.maxSteps !== undefined) throw usageError('--max-steps applies only to agent runners', 'use --runner agent');
  } else {
    if (o.toolsFile !== undefined) runner.tools = readTools(o.toolsFile);
    if (o.maxSteps !== undefined) runner.maxSteps = o.maxSteps;
    runner.tools ??= [];
  }
  if (!runner.provider) throw usageError(`--runner ${runner.kind} needs --provider <openai|gemini|compatible>`, 'e.g. --provider openai');
  if (!runner.model) throw usageError(`--runner ${runner.kind} needs --model <model>`, 'e.g. --model gpt-4o-mini');
  if (runner.provider === 'compatible' && !runner.baseUrl) throw usageError('--provider compatible needs --base-url <url>', 'e.g. --base-url http://127.0.0.1:8080/v1');
  return runner;
}

/**
 * A webhook runner from the flags: `--url`, headers (the file's first, then each `--header`, then
 * `--remove-header`; stored ones come back as "***", which the API reads as "keep") and `--timeout-ms`.
 */
function buildWebhookRunner(runner: Runner, o: RunnerOptions): Runner {
  if (o.url !== undefined) runner.url = o.url;
  if (o.timeoutMs !== undefined) runner.timeoutMs = o.timeoutMs;
  const headers: Record<string, string> = { ...(runner.headers ?? {}) };
  if (o.headersFile !== undefined) Object.assign(headers, readHeaders(o.headersFile));
  for (const line of o.header ?? []) {
    const [name, value] = parseHeader(line);
    headers[name] = value;
  }
  for (const name of o.removeHeader ?? []) {
    const stored = Object.keys(headers).find((h) => h.toLowerCase() === name.toLowerCase());
    if (stored === undefined) throw usageError(`--remove-header ${name}: the workflow has no such header`, 'see the header names with `parley workflow show <id>`');
    delete headers[stored];
  }
  if (Object.keys(headers).length) runner.headers = headers;
  else delete runner.headers;
  if (!runner.url) throw usageError('--runner webhook needs --url <url>', 'e.g. --url https://engine.example.com/parley');
  return runner;
}

/** `Name: value` (as curl's -H) or `Name=value`. */
function parseHeader(line: string): [string, string] {
  const match = /^\s*([^:=\s]+)\s*[:=]\s?(.*)$/.exec(line);
  if (!match || match[2] === '') throw usageError(`--header expects "Name: value"`, 'e.g. --header "Authorization: Bearer …" (or put secrets in --headers-file)');
  return [match[1], match[2]];
}

/** The headers of a `--headers-file`: a JSON object of string values. */
function readHeaders(path: string): Record<string, string> {
  const parsed = readJsonFile(path, '--headers-file');
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw usageError(`--headers-file ${path} must hold a JSON object of header names to string values`);
  }
  return parsed as Record<string, string>;
}

function readJsonFile(path: string, flag: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw usageError(`cannot read ${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw usageError(`${flag} ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** The tools of a `--tools-file`: a JSON array of tool definitions, or an object with `tools`. */
function readTools(path: string): Tool[] {
  const parsed = readJsonFile(path, '--tools-file');
  const tools = Array.isArray(parsed) ? parsed : (parsed as { tools?: unknown } | null)?.tools;
  if (!Array.isArray(tools)) throw usageError(`--tools-file ${path} must hold a JSON array of tools or an object {"tools": [...]}`);
  return tools as Tool[];
}

function describe(wf: Workflow): string {
  const runner = runnerLabel(wf.runner);
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
    ...(wf.runner.kind === 'echo'
      ? []
      : wf.runner.kind === 'webhook'
        ? ([
            ['Engine URL', wf.runner.url ?? '-'],
            ['Headers', wf.runner.headers && Object.keys(wf.runner.headers).length ? `${Object.keys(wf.runner.headers).join(', ')} (values not shown)` : '-'],
            ['Timeout', `${wf.runner.timeoutMs ?? 30000} ms`],
          ] as [string, string][])
        : ([
          ['Base URL', wf.runner.baseUrl ?? '(provider default)'],
          ['Temperature', wf.runner.temperature === undefined ? '(provider default)' : String(wf.runner.temperature)],
          ['Instructions', wf.runner.instructions ? indentLines(wf.runner.instructions) : '-'],
        ] as [string, string][])),
    [
      'Published version',
      wf.publishedVersion === null ? '-' : `${wf.publishedVersion}${wf.draftDiffers ? ' (the draft differs: `parley workflow publish-draft` publishes it)' : ' (equals the draft)'}`,
    ],
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

/** Where `describe`'s values start: after its longest label ("Published version:") and two spaces. */
const SHOW_VALUE_COLUMN = 'Published version:'.length + 2;

/** Multi-line values (instructions) line up under their label: `fields` puts values after the longest label + ": ". */
function indentLines(text: string): string {
  return text.replace(/\r?\n/g, `\n${' '.repeat(SHOW_VALUE_COLUMN)}`);
}

function parseMaxSteps(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value.trim()) || n < 1 || n > 25) throw new InvalidArgumentError('expected a whole number from 1 to 25');
  return n;
}

function parseTimeoutMs(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value.trim()) || n < WEBHOOK_TIMEOUT_MIN_MS || n > WEBHOOK_TIMEOUT_MAX_MS) {
    throw new InvalidArgumentError(`expected a whole number of milliseconds from ${WEBHOOK_TIMEOUT_MIN_MS} to ${WEBHOOK_TIMEOUT_MAX_MS}`);
  }
  return n;
}

function parseVersion(value: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(value)) throw new InvalidArgumentError('expected a version number (1, 2, …)');
  return Number(value);
}

function parseTemperature(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 2) throw new InvalidArgumentError('expected a number from 0 to 2');
  return n;
}
