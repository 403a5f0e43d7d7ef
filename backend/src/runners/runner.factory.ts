import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { DiscoveryService } from '@nestjs/core';
import type OpenAI from 'openai';
import { IdentityTokenService } from '../auth/identity-token.service';
import { ContextLogger } from '../common/logging/request-log';
import { ParleyMetrics } from '../metrics/parley-metrics';
import { OutboundService } from '../outbound/outbound.service';
import { WebhookSecretsService } from '../webhooks/webhook-secrets.service';
import { WEBHOOK_TIMEOUT_DEFAULT_MS, WebhookDefinitions } from '../workflows/webhook-definition';
import type { WorkflowSnapshot } from '../workflows/workflows.service';
import type { ChatContext } from './chat-context';
import { EchoRunner } from '../chat-protocol/echo-runner';
import type { Runner } from '../chat-protocol/runner';
import type { ChatStore } from '../chat-protocol/store';
import { OpenAIProvider, OpenAIRunner } from './openai-runner';
import { runnersConfig } from './runners.config';
import { measuredRunner } from './measured-runner';
import { ModelEndpoints, RunnerBuilder, RunnerKind, RunnerKindName } from './runner-kinds';
import { WebhookRunner } from './webhook-runner';
import { nodeHttpFetch } from './node-http-fetch';
import { openaiSdk } from './openai-sdk';

/** The whole exchange with a webhook engine, streamed answer included, never lasts longer than this. */
const WEBHOOK_EXCHANGE_MAX_MS = 300_000;

/** A workflow's runner definition (`{kind:'echo'}` or `{kind:'openai', provider, model, …}`). */
export type RunnerDefinition = WorkflowSnapshot['runner'];

/** Who will read a configuration problem: the workflow's owner (canvas chat) or anyone else. */
export type RunnerAudience = 'owner' | 'public';

/** What public visitors see for a provider the server cannot use: no configuration details. */
export const PUBLIC_UNAVAILABLE = 'This chat is not available right now. Please try again later.';

/** The configured providers' transport: node:http, lighter than undici per waiting request (docs/performance.md, idle open streams). */
const providerFetch = nodeHttpFetch();

/** At most this many SDK clients are kept (one per endpoint + key); compatible base URLs are owner-chosen. */
const MAX_CLIENTS = 64;

/**
 * Turns a workflow's runner definition into a protocol `Runner`. API keys come from the server
 * environment only, and each provider gets its own: a workflow's `compatible` base URL never
 * receives OPENAI_API_KEY or GEMINI_API_KEY. `echo`, `openai` and `webhook` are built here; other kinds by
 * the provider their module marks `@RunnerKind(kind)` (runner-kinds.ts).
 */
@Injectable()
export class RunnerFactory {
  private readonly logger = new ContextLogger('Runners');
  /** SDK clients, each with the transport it was built with: the `openai` runner sends its streamed completions over it too. */
  private readonly clients = new Map<string, ModelEndpoint>();
  private readonly echoRunners = new WeakMap<ChatStore<ChatContext>, Runner<ChatContext>>();

  constructor(
    @Inject(runnersConfig.KEY) private readonly config: ConfigType<typeof runnersConfig>,
    private readonly metrics: ParleyMetrics,
    private readonly outbound: OutboundService,
    private readonly discovery: DiscoveryService,
    private readonly identity: IdentityTokenService,
    private readonly webhookSecrets: WebhookSecretsService,
    private readonly webhookDefinitions: WebhookDefinitions,
  ) {}

  private builders: Map<RunnerKindName, RunnerBuilder> | null = null;

  /** Upstream failures of model runners that do not reach a stream (transcription); one function for all runners. */
  private readonly modelFailed = (error: unknown, ctx: ChatContext | undefined): void => this.logger.in(ctx?.log).warn({ err: describe(error) }, 'Model provider request failed');

  /**
   * The runner for `definition`, reading history from `store`, with its latency and errors measured. `audience`
   * decides what a misconfigured provider says: the owner learns which server variable is missing, public visitors
   * only that the chat is not available right now (no configuration details).
   */
  create(definition: RunnerDefinition, store: ChatStore<ChatContext>, audience: RunnerAudience = 'public'): Runner<ChatContext> {
    if (definition.kind === 'openai') return measuredRunner(this.model(definition, store, audience), definition.provider, this.metrics);
    if (definition.kind === 'webhook') return measuredRunner(this.webhook(definition, store), 'webhook', this.metrics);
    const builder = definition.kind === 'echo' ? undefined : this.builder(definition.kind);
    if (builder) return measuredRunner(builder.create(definition as never, store, this.endpointsFor(audience)), definition.kind, this.metrics);
    return this.echo(store);
  }

  /** What builders of other kinds get: this factory's endpoints and clients, worded for `audience`. */
  private endpointsFor(audience: RunnerAudience): ModelEndpoints {
    return {
      endpoint: (provider, workflowBaseUrl) => this.endpointFor(provider, workflowBaseUrl, audience),
      openai: (definition, store) => this.model(definition, store, audience),
      timeoutMs: this.config.timeoutMs,
    };
  }

  private builder(kind: RunnerKindName): RunnerBuilder | undefined {
    if (!this.builders) {
      const found = new Map<RunnerKindName, RunnerBuilder>();
      for (const wrapper of this.discovery.getProviders({ metadataKey: RunnerKind.KEY })) {
        const marked = this.discovery.getMetadataByDecorator(RunnerKind, wrapper);
        if (!marked || !wrapper.instance) continue;
        if (found.has(marked)) throw new Error(`Two providers are marked @RunnerKind('${marked}').`);
        found.set(marked, wrapper.instance as RunnerBuilder);
      }
      this.builders = found;
    }
    return this.builders.get(kind);
  }

  private model(definition: Extract<RunnerDefinition, { kind: 'openai' }>, store: ChatStore<ChatContext>, audience: RunnerAudience): Runner<ChatContext> {
    const endpoint = this.endpointFor(definition.provider, definition.baseUrl, audience);
    return new OpenAIRunner<ChatContext>({
      provider: definition.provider,
      model: definition.model,
      instructions: definition.instructions,
      temperature: definition.temperature,
      client: 'client' in endpoint ? endpoint.client : null,
      fetch: 'client' in endpoint ? endpoint.fetch : undefined,
      unavailableReason: 'reason' in endpoint ? endpoint.reason : undefined,
      timeoutMs: this.config.timeoutMs,
      transcribeModel: this.config.transcribeModel,
      store,
      onError: this.modelFailed,
    });
  }

  private webhook(definition: Extract<RunnerDefinition, { kind: 'webhook' }>, store: ChatStore<ChatContext>): Runner<ChatContext> {
    return new WebhookRunner<ChatContext>({
      url: definition.url,
      headers: this.webhookDefinitions.openHeaders(definition),
      timeoutMs: definition.timeoutMs ?? WEBHOOK_TIMEOUT_DEFAULT_MS,
      secret: (ctx) => this.webhookSecrets.secretFor(ctx.workflow.id),
      identity: (request) => this.identity.mint(request),
      fetch: (url, init) => this.outbound.request(url, init, { timeoutMs: WEBHOOK_EXCHANGE_MAX_MS }),
      who: (ctx) => ({ workflowId: ctx.workflow.id, principal: ctx.principal }),
      store,
      onError: (reason, detail, ctx) => this.logger.in(ctx.log).warn({ ...detail, reason }, 'Webhook engine request failed'),
    });
  }

  /** The measured echo runner of `store`: one for all requests (it holds nothing of a request). */
  private echo(store: ChatStore<ChatContext>): Runner<ChatContext> {
    let runner = this.echoRunners.get(store);
    if (!runner) {
      runner = measuredRunner(new EchoRunner<ChatContext>({ store }), 'echo', this.metrics);
      this.echoRunners.set(store, runner);
    }
    return runner;
  }

  /** The provider endpoint, or why there is none, worded for `audience` (public visitors get no configuration details). */
  private endpointFor(provider: OpenAIProvider, workflowBaseUrl: string | undefined, audience: RunnerAudience): ModelEndpoint | { reason: string } {
    const endpoint = this.endpointOf(provider, workflowBaseUrl);
    return 'reason' in endpoint && audience === 'public' ? { reason: PUBLIC_UNAVAILABLE } : endpoint;
  }

  private endpointOf(provider: OpenAIProvider, workflowBaseUrl: string | undefined): ModelEndpoint | { reason: string } {
    switch (provider) {
      case 'openai':
        if (!this.config.openaiApiKey) return { reason: 'This assistant is not available: the server has no OpenAI API key (set OPENAI_API_KEY in its environment).' };
        return this.client(this.config.openaiBaseUrl, this.config.openaiApiKey);
      case 'gemini':
        if (!this.config.geminiApiKey) return { reason: 'This assistant is not available: the server has no Gemini API key (set GEMINI_API_KEY in its environment).' };
        return this.client(this.config.geminiBaseUrl, this.config.geminiApiKey);
      case 'compatible':
        if (!workflowBaseUrl) return { reason: 'This assistant is not available: its workflow has no model endpoint (baseUrl).' };
        // Local OpenAI-compatible servers often need no key; the SDK insists on a non-empty one.
        // Owner-chosen URL: requests go through the outbound policy (private targets, redirects).
        return this.client(workflowBaseUrl, this.config.compatibleApiKey ?? 'not-needed', true);
    }
  }

  private client(baseURL: string, apiKey: string, ownerChosen = false): ModelEndpoint {
    const key = `${baseURL}\n${apiKey}\n${ownerChosen}`;
    let client = this.clients.get(key);
    if (client) {
      // Refresh recency for the small LRU.
      this.clients.delete(key);
      this.clients.set(key, client);
      return client;
    }
    // Model answers stream for a long time and can be large: only the policy's address checks and a generous cap.
    const transport = ownerChosen ? this.outbound.fetcher({ timeoutMs: 30 * 60_000, maxResponseBytes: 64 * 1024 * 1024 }) : providerFetch;
    const sdk = new (openaiSdk().OpenAI)({
      apiKey,
      baseURL,
      // Never pick up OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment: they would be sent to every provider.
      organization: null,
      project: null,
      webhookSecret: null,
      // The chat's retry button is the retry: hidden upstream retries multiply latency and cost.
      maxRetries: 0,
      timeout: this.config.timeoutMs,
      fetch: transport,
    });
    client = { client: sdk, fetch: transport };
    this.clients.set(key, client);
    if (this.clients.size > MAX_CLIENTS) this.clients.delete(this.clients.keys().next().value as string);
    return client;
  }
}

/** An SDK client and the transport it was built with (the runner sends its streamed completions over the same one). */
type ModelEndpoint = { client: OpenAI; fetch: typeof fetch };

/** Loggable facts about an upstream error; never the request (it carries the key). */
function describe(error: unknown): Record<string, unknown> {
  if (error instanceof openaiSdk().APIError) return { name: error.name, status: error.status, type: error.type, code: error.code };
  return error instanceof Error ? { name: error.name, message: error.message } : { value: String(error) };
}
