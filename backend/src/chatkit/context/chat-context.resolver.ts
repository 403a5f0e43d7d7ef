import { Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { NotFoundError } from '../../common/errors/domain-error';
import { requestIdOf } from '../../common/http/request-id';
import { ForbiddenError, UnauthenticatedError } from '../../auth/auth.errors';
import type { AuthRequest } from '../../auth/guards/credentials';
import type { PrincipalKind } from '../../auth/principal';
import { WorkflowMismatchError } from '../../publish/publish.errors';
import { WorkflowSnapshot, WorkflowsService } from '../../workflows/workflows.service';
import { ChatContext, ChatPrincipalStrategy, ChatPrincipalStrategyFor } from './chat-context';

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

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly workflows: WorkflowsService,
  ) {}

  async resolve(req: AuthRequest): Promise<ChatContext> {
    const principal = req.principal;
    if (!principal) throw new UnauthenticatedError();
    const strategy = this.strategyFor(principal.kind);
    if (!strategy) throw new ForbiddenError('This credential cannot be used to chat.');
    const { workflowId, transcriptPrincipal } = await strategy.resolve(principal, req);
    const hint = req.headers[WORKFLOW_HEADER];
    if (hint !== undefined && (typeof hint !== 'string' || hint.toLowerCase() !== workflowId.toLowerCase())) throw new WorkflowMismatchError();
    const workflow = await this.workflow(workflowId);
    if (!workflow) throw new NotFoundError('Workflow not found.');
    await strategy.authorize?.(principal, workflow, req);
    return { workflow, scope: { workflowId: workflow.id, principal: transcriptPrincipal }, principal, requestId: requestIdOf(req) };
  }

  private async workflow(id: string): Promise<WorkflowSnapshot | null> {
    const hit = this.recent.get(id);
    if (hit && Date.now() - hit.readAt < WORKFLOW_REUSE_MS) return hit.workflow;
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
