import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { DiscoveryService } from '@nestjs/core';
import { NotFoundError } from '../../common/errors/domain-error';
import { requestIdOf } from '../../common/http/request-id';
import { requestLog } from '../../common/logging/request-log';
import { ForbiddenError, UnauthenticatedError } from '../../auth/auth.errors';
import type { AuthRequest } from '../../auth/credentials';
import type { PrincipalKind } from '../../auth/principal';
import { appConfig } from '../../config/app.config';
import { WorkflowMismatchError } from '../../publish/publish.errors';
import { WorkflowSnapshot, WorkflowsService } from '../../workflows/workflows.service';
import type { ChatContext } from '../../runners/chat-context';
import { ChatPrincipalStrategy, ChatPrincipalStrategyFor, channelOf } from './chat-context';

/** Optional header naming the workflow the caller means; any auth mode must agree with it. */
export const WORKFLOW_HEADER = 'x-parley-workflow';

/**
 * How long a workflow read for a chat request is reused. Every chat request needs its workflow
 * (runner, owner) and a chat widget sends a burst of them; one second of reuse removes a query
 * and an ORM round per request while a runner change or a deletion still applies within a second.
 * Publish state is not read from here: share links are verified against the database every time.
 */
export const WORKFLOW_REUSE_MS = 1000;
const WORKFLOW_REUSE_ENTRIES = 1000;

/**
 * The pluggable principal → workflow step of every ChatKit route: picks the strategy of the
 * verified principal's kind, enforces `X-Parley-Workflow`, loads the workflow and lets the
 * strategy authorize it. Runs after the global guard and before the body is even parsed.
 */
@Injectable()
export class ChatContextResolver {
  private strategies: Map<PrincipalKind, ChatPrincipalStrategy> | null = null;
  private readonly recent = new Map<string, { workflow: WorkflowSnapshot; readAt: number }>();
  private readonly ownOrigin: string;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly workflows: WorkflowsService,
    @Inject(appConfig.KEY) app: ConfigType<typeof appConfig>,
  ) {
    this.ownOrigin = originOf(app.publicBaseUrl);
    // A change made through this instance (a new draft, a published version, a rollback) applies
    // to its next chat request; other instances see it within WORKFLOW_REUSE_MS.
    workflows.onChanged((id) => this.recent.delete(id));
  }

  async resolve(req: AuthRequest): Promise<ChatContext> {
    const principal = req.principal;
    if (!principal) throw new UnauthenticatedError();
    const strategy = this.strategyFor(principal.kind);
    if (!strategy) throw new ForbiddenError('This credential cannot be used to chat.');
    // The strategies of the usual credentials answer synchronously: no await (a microtask turn) for them.
    const resolution = strategy.resolve(principal, req);
    const { workflowId, transcriptPrincipal, runs } = isPromiseLike(resolution) ? await resolution : resolution;
    const hint = req.headers[WORKFLOW_HEADER];
    if (hint !== undefined && (typeof hint !== 'string' || hint.toLowerCase() !== workflowId.toLowerCase())) throw new WorkflowMismatchError();
    let workflow = this.reused(workflowId) ?? (await this.read(workflowId));
    // A public principal runs the pinned version. A reused read without one may predate a publish
    // made on another instance within the reuse window: read again rather than run the draft.
    if (workflow && runs !== 'draft' && !workflow.published) workflow = await this.read(workflowId);
    if (!workflow) throw new NotFoundError('Workflow not found.');
    const authorized = strategy.authorize?.(principal, workflow, req);
    if (isPromiseLike(authorized)) await authorized;
    const scope = { workflowId: workflow.id, principal: transcriptPrincipal };
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    const channel = channelOf(principal.kind, origin, this.ownOrigin);
    // Still no pinned version: the workflow is private (public credentials were refused before
    // this) or was made public without one, which the versions migration rules out; the draft
    // answers, unversioned.
    const published = runs === 'draft' ? null : workflow.published;
    if (!published) return { workflow, workflowVersion: null, scope, principal, requestId: requestIdOf(req), channel, log: requestLog(req) };
    return { workflow: { ...workflow, runner: published.runner }, workflowVersion: published.version, scope, principal, requestId: requestIdOf(req), channel, log: requestLog(req) };
  }

  /** The workflow read within the last `WORKFLOW_REUSE_MS`, if any. */
  private reused(id: string): WorkflowSnapshot | undefined {
    const hit = this.recent.get(id);
    return hit && Date.now() - hit.readAt < WORKFLOW_REUSE_MS ? hit.workflow : undefined;
  }

  /** The workflow from the database, remembered for `reused`. */
  private async read(id: string): Promise<WorkflowSnapshot | null> {
    const workflow = await this.workflows.findById(id);
    this.recent.delete(id);
    if (workflow) {
      if (this.recent.size >= WORKFLOW_REUSE_ENTRIES) this.recent.delete(this.recent.keys().next().value as string);
      this.recent.set(id, { workflow, readAt: Date.now() });
    }
    return workflow;
  }

  private strategyFor(kind: PrincipalKind): ChatPrincipalStrategy | undefined {
    this.strategies ??= this.discover();
    return this.strategies.get(kind);
  }

  private discover(): Map<PrincipalKind, ChatPrincipalStrategy> {
    const found = new Map<PrincipalKind, ChatPrincipalStrategy>();
    for (const wrapper of this.discovery.getProviders({ metadataKey: ChatPrincipalStrategyFor.KEY })) {
      const kind = this.discovery.getMetadataByDecorator(ChatPrincipalStrategyFor, wrapper);
      if (!kind || !wrapper.instance) continue;
      if (found.has(kind)) throw new Error(`Two providers are marked @ChatPrincipalStrategyFor('${kind}').`);
      found.set(kind, wrapper.instance as ChatPrincipalStrategy);
    }
    return found;
  }
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
