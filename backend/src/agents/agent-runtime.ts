import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { IdentityTokenService, identitySubjectOf } from '../auth/identity-token.service';
import { ContextLogger } from '../common/logging/request-log';
import { Transactions } from '../database/transactions';
import type { ChatContext } from '../runners/chat-context';
import { OutboundService } from '../outbound/outbound.service';
import { RunnerDefinitions } from '../workflows/runner-definitions';
import type { HttpToolDefinition, McpToolDefinition } from '../workflows/runner-definition';
import { AgentToolCallsRepository, ToolCallRow } from './agent-tool-calls.repository';
import type { ApprovalDecision } from './approval-widgets';
import { callHttpTool } from './tools/http-tool';
import { McpListedTool, McpTools } from './tools/mcp-tools';
import { failure, ToolResult } from './tools/tool-output';

/** What deciding an approval did. */
export type DecisionOutcome =
  | { kind: 'unknown' }
  | { kind: 'stale'; row: ToolCallRow }
  | { kind: 'repeat'; row: ToolCallRow }
  | { kind: 'decided'; row: ToolCallRow };

/**
 * The shared, stateless side of agent runners: tool execution under the outbound policy with
 * `X-Parley-Identity` and the owner's (decrypted) headers, MCP listings, the tool-call rows and
 * approval decisions with their audit events. One instance per process; runners are per request.
 */
@Injectable()
export class AgentRuntime {
  readonly logger = new ContextLogger('Agent');
  readonly mcp = new McpTools();

  constructor(
    readonly calls: AgentToolCallsRepository,
    private readonly outbound: OutboundService,
    private readonly identities: IdentityTokenService,
    private readonly definitions: RunnerDefinitions,
    private readonly audit: AuditService,
    private readonly transactions: Transactions,
  ) {}

  /** Mints the identity of `ctx`'s principal for `url`'s origin. */
  identity(ctx: ChatContext, threadId: string): (audience: string) => Promise<string> {
    const subject = identitySubjectOf(ctx.principal);
    return (audience) => this.identities.mint({ workflowId: ctx.workflow.id, threadId, subject, audience });
  }

  async callHttp(tool: HttpToolDefinition, args: Record<string, unknown>, ctx: ChatContext, threadId: string, signal: AbortSignal): Promise<ToolResult> {
    const headers = this.headersOf(tool);
    if (!headers) return failure('the tool’s stored secrets cannot be read on this server (PARLEY_SECRET_KEY changed?)', 'misconfigured');
    return scrub(await callHttpTool(tool, args, { outbound: this.outbound, headers, identity: this.identity(ctx, threadId), signal }), headers);
  }

  async callMcp(tool: McpToolDefinition, name: string, args: Record<string, unknown>, ctx: ChatContext, threadId: string, signal: AbortSignal): Promise<ToolResult> {
    const headers = this.headersOf(tool);
    if (!headers) return failure('the tool’s stored secrets cannot be read on this server (PARLEY_SECRET_KEY changed?)', 'misconfigured');
    return scrub(await this.mcp.call(tool, name, args, { outbound: this.outbound, headers, identity: this.identity(ctx, threadId), signal }), headers);
  }

  /** The server's tools, or an empty list (logged) when it cannot be listed now. */
  async listMcp(tool: McpToolDefinition, ctx: ChatContext, threadId: string, signal: AbortSignal): Promise<McpListedTool[]> {
    const headers = this.headersOf(tool);
    if (!headers) return [];
    try {
      return await this.mcp.list(ctx.workflow.id, tool, { outbound: this.outbound, headers, identity: this.identity(ctx, threadId), signal });
    } catch (error) {
      // Never the message: a server's error text may echo what it was sent.
      const status = /HTTP (\d{3})/.exec(String((error as Error)?.message))?.[1];
      this.logger.in(ctx.log).warn({ workflowId: ctx.workflow.id, tool: tool.name, err: { name: (error as Error)?.name, status } }, 'MCP server could not be listed; its tools are left out of this turn');
      return [];
    }
  }

  /**
   * Records a person's decision on a pending call, atomically: the row is locked, a second
   * identical decision changes nothing, a contrary or late one is `stale`. Approve moves the
   * call to `running` (the caller runs it); deny settles it. Each change is an audit event.
   */
  async decide(ctx: ChatContext, threadId: string, callId: string, decision: ApprovalDecision, itemId: string | null): Promise<DecisionOutcome> {
    const subject = identitySubjectOf(ctx.principal);
    const decidedBy = `${subject.kind}:${subject.sub}`;
    return this.transactions.run(async (tx) => {
      const row = await this.calls.findForUpdate(threadId, callId, tx);
      if (!row || row.workflow_id !== ctx.workflow.id || (itemId !== null && row.item_id !== itemId) || row.approval === 'none') return { kind: 'unknown' };
      const wanted = decision === 'approve' ? 'approved' : 'denied';
      if (row.approval === wanted) return { kind: 'repeat', row };
      if (row.approval !== 'pending' || row.status !== 'pending') return { kind: 'stale', row };
      const output = decision === 'deny' ? 'The user denied this tool call; it was not executed.' : null;
      await this.calls.decide(threadId, callId, wanted, decidedBy, decision === 'deny' ? 'denied' : 'running', output, tx);
      await this.audit.record(tx, {
        action: decision === 'approve' ? 'agent.tool_call.approved' : 'agent.tool_call.denied',
        actor: { kind: subject.kind, id: subject.sub },
        workflowId: ctx.workflow.id,
        ownerId: ctx.workflow.ownerId,
        requestId: ctx.requestId,
        metadata: { threadId, callId, tool: row.tool_name, toolType: row.tool_type },
      });
      return { kind: 'decided', row: { ...row, approval: wanted, decided_by: decidedBy, decided_at: new Date(), status: decision === 'deny' ? 'denied' : 'running', output: output ?? row.output } };
    });
  }

  private headersOf(tool: HttpToolDefinition | McpToolDefinition): Record<string, string> | null {
    try {
      return this.definitions.openHeaders(tool.headers);
    } catch {
      return null;
    }
  }
}

/**
 * A result with the tool's own secret header values masked: a server that echoes its request
 * (an error page, a debug endpoint) must not carry them to the model, the transcript or the log.
 */
function scrub(result: ToolResult, headers: Record<string, string>): ToolResult {
  const secrets = Object.values(headers).filter((value) => value.length >= 4);
  if (secrets.length === 0) return result;
  const mask = (text: string): string => secrets.reduce((out, secret) => out.split(secret).join('***'), text);
  return { ...result, output: mask(result.output), ...(result.summary !== undefined ? { summary: mask(result.summary) } : {}) };
}

/** Who decided, as shown on the card and stored in `decided_by`: an email or name when known. */
export function principalLabel(ctx: ChatContext): string {
  const subject = identitySubjectOf(ctx.principal);
  if (subject.email) return subject.email;
  if (subject.name) return subject.name;
  switch (subject.kind) {
    case 'visitor':
      return 'visitor';
    case 'chat':
    case 'user':
      return 'the owner';
    default:
      return subject.kind;
  }
}
