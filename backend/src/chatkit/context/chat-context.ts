import { DiscoveryService } from '@nestjs/core';
import type { Request } from 'express';
import type { Principal, PrincipalKind } from '../../auth/principal';
import type { TranscriptPrincipal } from '../../transcript/transcript.types';
import type { WorkflowSnapshot } from '../../workflows/workflows.service';

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
/** The channel of a request: see `ChatContext.channel` (runners/chat-context.ts). */
export function channelOf(principalKind: string, origin: string | undefined, ownOrigin: string): string {
  if (principalKind === 'chat' || principalKind === 'user') return 'canvas';
  if (principalKind === 'host') return 'host';
  if (!origin) return 'api';
  return origin.toLowerCase() === ownOrigin.toLowerCase() ? 'page' : 'embed';
}

export const ChatPrincipalStrategyFor = DiscoveryService.createDecorator<PrincipalKind>();
