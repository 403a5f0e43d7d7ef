import { Inject, Injectable } from '@nestjs/common';
import type { RequestLog } from '../common/logging/request-log';
import { ConfigType } from '@nestjs/config';
import { AuditAction, AuditService } from '../audit/audit.service';
import { featuresConfig } from '../config/features.config';
import { Transactions, Tx } from '../database/transactions';
import { ParleyMetrics } from '../metrics/parley-metrics';
import { ClusterEvent, ClusterEvents } from '../operations/cluster-events';
import { sameDefinition } from '../workflows/runner-compare';
import { WorkflowVersionSnapshot, WorkflowVersionsService } from '../workflows/workflow-versions.service';
import { WorkflowSnapshot, WorkflowsService } from '../workflows/workflows.service';
import { PublishLinksRepository } from './publish-links.repository';
import {
  FeatureDisabledError,
  PublishInvalidStateError,
  PublishTokenInvalidError,
  PublishTokenRotatedError,
  WorkflowMismatchError,
  WorkflowNotPublishedError,
} from './publish.errors';
import { generatePublishToken, hashPublishToken, isPublishTokenFormat, maskedToken, sameHash } from './publish-token';

export interface IssuedLink {
  workflow: WorkflowSnapshot;
  /** The plain token: returned to the caller once, never stored. */
  publishToken: string;
  /** Share URL carrying the token in the fragment. */
  shareUrl: string;
}

export interface VerifiedLink {
  workflow: WorkflowSnapshot;
  linkId: string;
}

/** How stale `publish_links.last_used_at` may get before a request refreshes it. */
const LAST_USED_RESOLUTION_MS = 60_000;

type LockedWorkflow = Pick<WorkflowSnapshot, 'id' | 'ownerId' | 'isPublic' | 'requireLogin' | 'runner' | 'publishedVersion'>;

/** A version change: the workflow as it now is and the version the public now runs. */
export interface VersionChange {
  workflow: WorkflowSnapshot;
  version: WorkflowVersionSnapshot;
}

interface Actor {
  userId: string;
  requestId?: string;
  /** The request's logger, for what the change logs (a revocation ending live streams). */
  log?: RequestLog;
}

/**
 * The publish state machine: private → public (publish) → public with a new link (rotate) →
 * private (revoke). Every transition row-locks the workflow, so concurrent calls serialize
 * and exactly one link is active at a time (also enforced by a partial unique index).
 */
@Injectable()
export class PublishService {
  constructor(
    private readonly links: PublishLinksRepository,
    private readonly transactions: Transactions,
    private readonly workflows: WorkflowsService,
    private readonly versions: WorkflowVersionsService,
    private readonly audit: AuditService,
    @Inject(featuresConfig.KEY) private readonly features: ConfigType<typeof featuresConfig>,
    private readonly cluster: ClusterEvents,
    private readonly metrics: ParleyMetrics,
  ) {}

  private assertPublishingEnabled(): void {
    if (!this.features.publishEnabled) throw new FeatureDisabledError('Publishing');
  }

  /** Runs one state transition inside a transaction, on the owner's row-locked workflow. */
  private async transition<T>(actor: Actor, workflowId: string, step: (tx: Tx, wf: LockedWorkflow) => Promise<T>): Promise<T> {
    const result = await this.transactions.run(async (tx) => step(tx, await this.workflows.lockOwned(tx, actor.userId, workflowId)));
    this.workflows.notifyChanged(workflowId);
    return result;
  }

  /** Appends the transition's audit row in the same transaction. */
  private record(tx: Tx, actor: Actor, wf: LockedWorkflow, action: AuditAction, metadata: Record<string, unknown>): Promise<void> {
    return this.audit.record(tx, { action, actor: { kind: 'user', id: actor.userId }, workflowId: wf.id, ownerId: wf.ownerId, requestId: actor.requestId, metadata });
  }

  private shareUrlWithToken(workflowId: string, token: string): string {
    return `${this.workflows.shareUrl(workflowId)}#token=${token}`;
  }

  async publish(actor: Actor, workflowId: string, requireLogin = false): Promise<IssuedLink> {
    this.assertPublishingEnabled();
    const issued = await this.transition(actor, workflowId, async (tx, wf) => {
      if (wf.isPublic) throw new PublishInvalidStateError('The workflow is already public; rotate its link instead.');
      const token = generatePublishToken();
      const tokenHash = hashPublishToken(token);
      await this.links.insertActive(workflowId, tokenHash, actor.userId, tx);
      // The public runs an immutable snapshot of the draft from now on (docs/publishing.md, Versions).
      const { version } = await this.versions.snapshotDraft(tx, wf, actor.userId);
      const workflow = await this.workflows.updatePublishState(tx, workflowId, {
        isPublic: true,
        publishedVersion: version,
        requireLogin,
        publishedAt: new Date(),
        publishedBy: actor.userId,
        publishTokenRotatedAt: null,
      });
      await this.record(tx, actor, wf, 'workflow.published', { token: maskedToken(tokenHash), requireLogin, version });
      return { workflow, publishToken: token, shareUrl: this.shareUrlWithToken(workflowId, token) };
    });
    this.metrics.publishEvents.inc({ action: 'publish' });
    return issued;
  }

  async rotate(actor: Actor, workflowId: string, requireLogin?: boolean): Promise<IssuedLink> {
    this.assertPublishingEnabled();
    const issued = await this.transition(actor, workflowId, async (tx, wf) => {
      if (!wf.isPublic) throw new PublishInvalidStateError('The workflow is not public; publish it first.');
      const now = new Date();
      const previous = await this.links.findActive(workflowId, tx);
      await this.links.rotateActive(workflowId, now, tx);
      const token = generatePublishToken();
      const tokenHash = hashPublishToken(token);
      await this.links.insertActive(workflowId, tokenHash, actor.userId, tx);
      const workflow = await this.workflows.updatePublishState(tx, workflowId, {
        publishTokenRotatedAt: now,
        ...(requireLogin === undefined ? {} : { requireLogin }),
      });
      await this.record(tx, actor, wf, 'workflow.publish_rotated', {
        token: maskedToken(tokenHash),
        previousToken: previous ? maskedToken(previous.tokenHash) : null,
        requireLogin: workflow.requireLogin,
      });
      return { workflow, publishToken: token, shareUrl: this.shareUrlWithToken(workflowId, token) };
    });
    this.metrics.publishEvents.inc({ action: 'rotate' });
    return issued;
  }

  /** Always allowed (even with publishing disabled), so an owner can take a chat offline. */
  async revoke(actor: Actor, workflowId: string): Promise<WorkflowSnapshot> {
    const revoked: ClusterEvent = { kind: 'workflow_revoked', workflowId };
    const workflow = await this.transition(actor, workflowId, async (tx, wf) => {
      if (!wf.isPublic) throw new PublishInvalidStateError('The workflow is not public.');
      const now = new Date();
      const linksRevoked = await this.links.revokeAll(workflowId, now, tx);
      const workflow = await this.workflows.updatePublishState(tx, workflowId, {
        isPublic: false,
        publishedAt: null,
        publishedBy: null,
        publishedVersion: null,
      });
      await this.record(tx, actor, wf, 'workflow.publish_revoked', { linksRevoked });
      // Live public streams of this workflow end on every instance once this commits.
      await this.cluster.notify(tx, revoked);
      return workflow;
    });
    this.cluster.deliverLocally(revoked, actor.log);
    this.metrics.publishEvents.inc({ action: 'revoke' });
    return workflow;
  }

  async setRequireLogin(actor: Actor, workflowId: string, requireLogin: boolean): Promise<WorkflowSnapshot> {
    this.assertPublishingEnabled();
    return this.transition(actor, workflowId, async (tx, wf) => {
      if (!wf.isPublic) throw new PublishInvalidStateError('The workflow is not public; publish it first.');
      const workflow = await this.workflows.updatePublishState(tx, workflowId, { requireLogin });
      await this.record(tx, actor, wf, 'workflow.login_requirement_changed', { requireLogin, previous: wf.requireLogin });
      return workflow;
    });
  }

  /**
   * Publishes the current draft while public: a new version (or the newest one, when it already
   * equals the draft) becomes what the public runs. 409 when the draft is what is published.
   */
  async publishDraft(actor: Actor, workflowId: string): Promise<VersionChange> {
    this.assertPublishingEnabled();
    return this.transition(actor, workflowId, async (tx, wf) => {
      if (!wf.isPublic) throw new PublishInvalidStateError('The workflow is not public; publish it first.');
      if (wf.publishedVersion !== null) {
        const pinned = await this.versions.get(tx, workflowId, wf.publishedVersion);
        if (sameDefinition(pinned.runner, wf.runner)) throw new PublishInvalidStateError(`The draft is already published as version ${pinned.version}.`);
      }
      const { version, created } = await this.versions.snapshotDraft(tx, wf, actor.userId);
      const workflow = await this.workflows.updatePublishState(tx, workflowId, { publishedVersion: version });
      await this.record(tx, actor, wf, 'workflow.version_published', { version, previousVersion: wf.publishedVersion, created });
      return { workflow, version: await this.versions.get(tx, workflowId, version) };
    });
  }

  /**
   * Pins an earlier (or any other existing) version as what the public runs; the draft is left
   * as it is. Allowed with publishing disabled, like revoke: it is how an owner undoes a change.
   */
  async rollback(actor: Actor, workflowId: string, version: number): Promise<VersionChange> {
    return this.transition(actor, workflowId, async (tx, wf) => {
      const target = await this.versions.get(tx, workflowId, version);
      if (!wf.isPublic) throw new PublishInvalidStateError('The workflow is not public; publish it first.');
      if (wf.publishedVersion === version) throw new PublishInvalidStateError(`Version ${version} is already the published version.`);
      const workflow = await this.workflows.updatePublishState(tx, workflowId, { publishedVersion: version });
      await this.record(tx, actor, wf, 'workflow.version_rolled_back', { version, previousVersion: wf.publishedVersion });
      return { workflow, version: target };
    });
  }

  /**
   * Verifies a share-link token for the chat gateway. Always reads the database (no cache), so
   * rotation and revocation apply to the next request on every instance. Verdicts, in order:
   * unknown → 401 publish_token_invalid; workflow not public → 403 workflow_not_published;
   * link rotated → 401 publish_token_rotated; link revoked → 403 workflow_not_published;
   * hint naming another workflow → 403 workflow_mismatch.
   */
  async verifyToken(token: string, workflowIdHint?: string): Promise<VerifiedLink> {
    if (!isPublishTokenFormat(token)) throw new PublishTokenInvalidError();
    const tokenHash = hashPublishToken(token);
    const link = await this.links.findByHash(tokenHash);
    if (!link || !sameHash(link.tokenHash, tokenHash)) throw new PublishTokenInvalidError();
    const workflow = await this.workflows.findById(link.workflowId);
    if (!workflow || !workflow.isPublic) throw new WorkflowNotPublishedError();
    if (link.status === 'rotated') throw new PublishTokenRotatedError();
    if (link.status !== 'active') throw new WorkflowNotPublishedError();
    if (workflowIdHint !== undefined && workflowIdHint !== workflow.id) throw new WorkflowMismatchError();
    // Bounded write rate: the row is already loaded, so only a stale last-used time costs a write
    // (at most one per link per minute; the WHERE keeps concurrent instances from piling up).
    if (!link.lastUsedAt || Date.now() - link.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.links.touchLastUsed(link.id);
    }
    return { workflow, linkId: link.id };
  }

  /** Public metadata of a published workflow, or null (callers answer the same 404 either way). */
  async publicMetadata(workflowId: string): Promise<{ id: string; name: string; requireLogin: boolean } | null> {
    const wf = await this.workflows.findById(workflowId);
    if (!wf || !wf.isPublic) return null;
    return { id: wf.id, name: wf.name, requireLogin: wf.requireLogin };
  }
}
