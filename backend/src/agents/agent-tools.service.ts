import { Injectable } from '@nestjs/common';
import type { UserPrincipal } from '../auth/principal';
import { DomainError } from '../common/errors/domain-error';
import { OutboundService } from '../outbound/outbound.service';
import type { AgentToolDto } from '../workflows/dto/agent-tool.dto';
import { RunnerDefinitions } from '../workflows/runner-definitions';
import { WorkflowsService } from '../workflows/workflows.service';
import { AgentRuntime } from './agent-runtime';
import { McpTools } from './tools/mcp-tools';

/** What a tool connection test answered (`POST /api/workflows/:id/tools/test`). */
export type ToolTestResult =
  | { ok: true; status?: number; tools?: Array<{ name: string; description?: string }> }
  | { ok: false; code: string; message: string };

/** Deadline of a connection test, ms. */
const TEST_TIMEOUT_MS = 10_000;

/**
 * The owner's "test connection": the definition is validated and its URL checked like on save
 * (`***` headers filled from the stored tool of the same name); an MCP server is connected and
 * listed (no cache); an http tool gets a `HEAD` (nothing is called with arguments); a client tool
 * has nothing to reach.
 */
@Injectable()
export class AgentToolsService {
  constructor(
    private readonly workflows: WorkflowsService,
    private readonly definitions: RunnerDefinitions,
    private readonly outbound: OutboundService,
    private readonly runtime: AgentRuntime,
  ) {}

  async test(user: UserPrincipal, workflowId: string, dto: AgentToolDto): Promise<ToolTestResult> {
    const workflow = await this.workflows.getOwned(user.userId, workflowId);
    const stored = workflow.runner.kind === 'agent' ? workflow.runner.tools.find((t) => t.name === dto.name) : undefined;
    let tool;
    try {
      tool = await this.definitions.toTool(dto, 'tool', stored);
    } catch (error) {
      if (error instanceof DomainError) return { ok: false, code: error.code, message: error.message };
      throw error;
    }
    const signal = AbortSignal.timeout(TEST_TIMEOUT_MS);
    const identity = (audience: string) =>
      this.runtime.identity({ workflow, workflowVersion: null, principal: user, scope: { workflowId, principal: { kind: 'user', id: user.userId } }, requestId: '' }, 'tools-test')(audience);
    switch (tool.type) {
      case 'client':
        return { ok: true };
      case 'mcp': {
        try {
          const tools = await new McpTools().list(workflowId, tool, { outbound: this.outbound, headers: this.definitions.openHeaders(tool.headers), identity, signal });
          return { ok: true, tools: tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}) })) };
        } catch (error) {
          return { ok: false, ...describe(error) };
        }
      }
      case 'http': {
        try {
          const url = tool.url.replace(/\{([A-Za-z0-9_-]{1,64})\}/g, 'test');
          const res = await this.outbound.request(url, { method: 'HEAD', headers: { ...this.definitions.openHeaders(tool.headers), 'x-parley-identity': await identity(url) }, signal }, { timeoutMs: TEST_TIMEOUT_MS });
          await res.body?.cancel().catch(() => undefined);
          return { ok: true, status: res.status };
        } catch (error) {
          return { ok: false, ...describe(error) };
        }
      }
    }
  }
}

function describe(error: unknown): { code: string; message: string } {
  if (error instanceof DomainError) return { code: error.code, message: error.message };
  const name = (error as { name?: string })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return { code: 'tool_timeout', message: `No answer within ${TEST_TIMEOUT_MS} ms.` };
  const message = error instanceof Error && /MCP error/.test(error.message) ? error.message.slice(0, 300) : 'The server could not be reached or did not speak the expected protocol.';
  return { code: 'tool_unreachable', message };
}
