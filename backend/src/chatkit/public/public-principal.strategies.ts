import { Injectable } from '@nestjs/common';
import { ForbiddenError } from '../../auth/auth.errors';
import type { OAuthPrincipal, VisitorPrincipal } from '../../auth/principal';
import { ChatPrincipalResolution, ChatPrincipalStrategy, ChatPrincipalStrategyFor } from '../context/chat-context';

/** The transcript id of an OIDC user: issuer and subject, so history follows the person across devices. */
export function oauthTranscriptId(principal: Pick<OAuthPrincipal, 'issuer' | 'subject'>): string {
  return `${principal.issuer}|${principal.subject}`;
}

/**
 * Share-link visitors chat in the link's workflow as themselves (`{kind: 'visitor', id: vis_…}`):
 * another visitor, a signed-in user and the owner's canvas chats are other principals, so their
 * threads are not found. Publish state needs no second look here: the verifier has just read the
 * link and its workflow from the database.
 */
@ChatPrincipalStrategyFor('visitor')
@Injectable()
export class VisitorChatStrategy implements ChatPrincipalStrategy<VisitorPrincipal> {
  resolve(principal: VisitorPrincipal): ChatPrincipalResolution {
    return { workflowId: principal.workflowId, transcriptPrincipal: { kind: 'visitor', id: principal.visitorId } };
  }
}

/**
 * OIDC users of a `requireLogin` share link. Only a session presented together with a share link
 * names a workflow; a bare OAuth session cannot chat.
 */
@ChatPrincipalStrategyFor('oauth')
@Injectable()
export class OAuthChatStrategy implements ChatPrincipalStrategy<OAuthPrincipal> {
  resolve(principal: OAuthPrincipal): ChatPrincipalResolution {
    if (!principal.workflowId) throw new ForbiddenError('Open the chat through its share link.');
    return { workflowId: principal.workflowId, transcriptPrincipal: { kind: 'oauth', id: oauthTranscriptId(principal) } };
  }
}
