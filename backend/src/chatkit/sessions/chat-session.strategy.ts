import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../../common/errors/domain-error';
import type { ChatPrincipal } from '../../auth/principal';
import type { WorkflowSnapshot } from '../../workflows/workflows.service';
import { ChatPrincipalResolution, ChatPrincipalStrategy, ChatPrincipalStrategyFor } from '../context/chat-context';

/**
 * Chat session tokens chat as their owner: the token's workflow answers with its draft (the owner
 * tries changes in the canvas before publishing them), and the transcript belongs to the user
 * (`{kind: 'user', id: sub}`) within that workflow.
 */
@ChatPrincipalStrategyFor('chat')
@Injectable()
export class ChatSessionStrategy implements ChatPrincipalStrategy<ChatPrincipal> {
  resolve(principal: ChatPrincipal): ChatPrincipalResolution {
    return { workflowId: principal.workflowId, transcriptPrincipal: { kind: 'user', id: principal.userId }, runs: 'draft' };
  }

  /** Tokens outlive nothing: a workflow that changed hands (or vanished) is simply not there. */
  authorize(principal: ChatPrincipal, workflow: WorkflowSnapshot): void {
    if (workflow.ownerId !== principal.userId) throw new NotFoundError('Workflow not found.');
  }
}
