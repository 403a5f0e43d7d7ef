import { DiscoveryService } from '@nestjs/core';
import type { Request } from 'express';
import type { ErrorCode } from '../../common/errors/error-codes';
import type { Principal, PrincipalKind } from '../../auth/principal';
import type { TranscriptPrincipal, TranscriptScope } from '../../transcript/transcript.types';
import type { WorkflowSnapshot } from '../../workflows/workflows.service';

/**
 * Everything a ChatKit request runs as: the workflow that answers, the transcript scope its
 * threads live in, and the authenticated principal. Built once per request, before any body
 * parsing or lookup, and passed as the protocol core's context to every store and runner call.
 */
export interface ChatContext {
  /**
   * The workflow as this principal runs it (WORKFLOWS §8): for public principals its `runner` is
   * the pinned published version's, for the owner's canvas chat the draft's.
   */
  workflow: WorkflowSnapshot;
  /** The published version that answers, recorded on every item written; null when the draft answers. */
  workflowVersion: number | null;
  scope: TranscriptScope;
  principal: Principal;
  requestId: string;
  /**
   * How the conversation came in, recorded on threads it creates (owner analytics): `canvas`
   * (the owner's chat), `page` (the share-link page on Parley's own origin), `embed` (a public
   * principal from another origin), `host` (a host-app session), `api` (a public principal
   * without an Origin header). Contexts built outside the gateway may leave it out: the
   * principal kind decides then (`channelOf` without an Origin).
   */
  channel?: string;
}

/** Errors any ChatKit route can answer while resolving who is calling and for which workflow. */
export const CHAT_ACCESS_ERRORS = [
  'not_found',
  'workflow_mismatch',
  'publish_token_invalid',
  'publish_token_rotated',
  'workflow_not_published',
  'origin_not_allowed',
  'login_required',
  'chat_session_revoked',
  'feature_disabled',
  'payload_too_large',
  'unsupported_media_type',
] as const satisfies readonly ErrorCode[];

/** What a strategy derives from a verified principal. */
export interface ChatPrincipalResolution {
  /** The workflow the credential is bound to. */
  workflowId: string;
  /** Whose transcript the requests read and write. */
  transcriptPrincipal: TranscriptPrincipal;
  /**
   * Which definition answers: the pinned published version (the default, for everything the
   * public reaches) or the owner's draft (the owner trying a change in the canvas).
   */
  runs?: 'published' | 'draft';
}

/**
 * Maps one kind of verified principal to a workflow and a transcript identity. The gateway finds
 * strategies by the `@ChatPrincipalStrategyFor(kind)` marker, so a new auth mode (share-link
 * visitors, OIDC users, durable chat sessions) plugs in with a provider and never edits the gateway.
 */
export interface ChatPrincipalStrategy<P extends Principal = Principal> {
  resolve(principal: P, req: Request): ChatPrincipalResolution | Promise<ChatPrincipalResolution>;

  /**
   * Final say once the workflow is loaded (e.g. the owner still owns it, the workflow is still
   * published). Throw a DomainError to refuse; a refused workflow should look missing (404).
   */
  authorize?(principal: P, workflow: WorkflowSnapshot, req: Request): void | Promise<void>;
}

/** Marks a provider as the chat strategy of one principal kind. */
/** The channel of a request: see `ChatContext.channel`. */
export function channelOf(principalKind: string, origin: string | undefined, ownOrigin: string): string {
  if (principalKind === 'chat' || principalKind === 'user') return 'canvas';
  if (principalKind === 'host') return 'host';
  if (!origin) return 'api';
  return origin.toLowerCase() === ownOrigin.toLowerCase() ? 'page' : 'embed';
}

export const ChatPrincipalStrategyFor = DiscoveryService.createDecorator<PrincipalKind>();
