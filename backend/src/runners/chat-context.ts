import type { Principal } from '../auth/principal';
import type { RequestLog } from '../common/logging/request-log';
import type { TranscriptScope } from '../transcript/transcript.types';
import type { WorkflowSnapshot } from '../workflows/workflows.service';

/**
 * Everything a ChatKit request runs as: the workflow that answers, the transcript scope its
 * threads live in, and the authenticated principal. Built once per request, before any body
 * parsing or lookup, and passed as the protocol core's context to every store and runner call.
 */
export interface ChatContext {
  /**
   * The workflow as this principal runs it (docs/publishing.md, Versions): for public principals its `runner` is
   * the pinned published version's, for the owner's canvas chat the draft's.
   */
  workflow: WorkflowSnapshot;
  /** The published version that answers, recorded on every item written; null when the draft answers. */
  workflowVersion: number | null;
  scope: TranscriptScope;
  principal: Principal;
  requestId: string;
  /**
   * The request's logging (`requestLog(req)`): what is logged about this chat goes through it, so the line carries
   * the request id and its assigned fields. Absent outside an HTTP request.
   */
  log?: RequestLog;
  /**
   * How the conversation came in, recorded on threads it creates (owner analytics): `canvas`
   * (the owner's chat), `page` (the share-link page on Parley's own origin), `embed` (a public
   * principal from another origin), `host` (a host-app session), `api` (a public principal
   * without an Origin header); see `channelOf`.
   */
  channel: string;
}
