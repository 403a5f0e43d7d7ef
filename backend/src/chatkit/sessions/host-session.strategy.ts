import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { HostPrincipal } from '../../auth/principal';
import type { WorkflowSnapshot } from '../../workflows/workflows.service';
import { applyWorkflowCors } from '../public/chatkit-cors';
import { OriginNotAllowedError } from '../public/public-access.errors';
import { ChatPrincipalResolution, ChatPrincipalStrategy, ChatPrincipalStrategyFor } from '../context/chat-context';

/**
 * Host-app end users chat in their session's workflow as `{kind: 'host', id: <host user id>}`:
 * the id is the host's own, and the transcript scope adds the workflow, so the same id in two
 * workflows is two people. Threads are keyed by the user, not the session, so they follow the
 * person to every device the host mints a session for.
 */
@ChatPrincipalStrategyFor('host')
@Injectable()
export class HostChatStrategy implements ChatPrincipalStrategy<HostPrincipal> {
  resolve(principal: HostPrincipal): ChatPrincipalResolution {
    return { workflowId: principal.workflowId, transcriptPrincipal: { kind: 'host', id: principal.hostUserId } };
  }

  /**
   * The workflow's `allowedOrigins` (when set) decide the CORS headers of the answer, as for share
   * links; a browser request from an origin not listed is refused. Requests without `Origin` (a
   * native app, a server) pass: the client secret is the credential.
   */
  authorize(_principal: HostPrincipal, workflow: WorkflowSnapshot, req: Request): void {
    if (!workflow.allowedOrigins.length) return;
    if (req.res) applyWorkflowCors(req, req.res as Response, workflow.allowedOrigins);
    const origin = req.headers.origin;
    if (origin !== undefined && !workflow.allowedOrigins.includes(origin)) throw new OriginNotAllowedError();
  }
}
