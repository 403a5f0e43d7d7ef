import { Injectable } from '@nestjs/common';
import { DomainError, ValidationFailedError } from '../common/errors/domain-error';
import { OutboundService } from '../outbound/outbound.service';
import { isSealed, SecretBox } from '../secrets/secret-box';
import { AgentToolDto, MASKED_SECRET } from './dto/agent-tool.dto';
import type { RunnerDto } from './dto/workflow.dto';
import { RunnerDefinition, TOOL_HEADER_PURPOSE, ToolDefinition } from './runner-definition';
import { schemaProblem } from './tool-schemas';
import { WebhookDefinitions } from './webhook-definition';

/**
 * Turns runner DTOs into stored definitions and back (docs/workflows.md): unique tool names, compiled
 * parameter schemas, URLs checked by the outbound policy (tool, MCP and `compatible` base URLs),
 * header values sealed at rest, `"***"` meaning "keep the stored value", and responses masked.
 */
@Injectable()
export class RunnerDefinitions {
  constructor(
    private readonly outbound: OutboundService,
    private readonly secrets: SecretBox,
    private readonly webhooks: WebhookDefinitions,
  ) {}

  /** The definition to store for `dto`; `previous` supplies the values of `"***"` headers. */
  async toDefinition(dto: RunnerDto | undefined, previous?: RunnerDefinition): Promise<RunnerDefinition> {
    if (!dto || dto.kind === 'echo') return { kind: 'echo' };
    if (dto.kind === 'webhook') return this.webhooks.toDefinition(dto, previous);
    const model = {
      provider: dto.provider!,
      model: dto.model!,
      ...(dto.instructions !== undefined ? { instructions: dto.instructions } : {}),
      ...(dto.baseUrl !== undefined ? { baseUrl: dto.baseUrl } : {}),
      ...(dto.temperature !== undefined ? { temperature: dto.temperature } : {}),
    };
    if (dto.provider === 'compatible' && dto.baseUrl) await this.checkUrl(dto.baseUrl, 'runner.baseUrl');
    if (dto.kind === 'openai') return { kind: 'openai', ...model };
    const tools = dto.tools ?? [];
    const seen = new Set<string>();
    const previousTools = previous?.kind === 'agent' ? previous.tools : [];
    const out: ToolDefinition[] = [];
    for (const [index, tool] of tools.entries()) {
      const path = `runner.tools.${index}`;
      if (seen.has(tool.name)) {
        throw new DomainError('tool_name_duplicate', `Two tools are named "${tool.name}".`, { fields: { [`${path}.name`]: [`"${tool.name}" is already the name of another tool`] } });
      }
      seen.add(tool.name);
      out.push(await this.toTool(tool, path, previousTools.find((p) => p.name === tool.name)));
    }
    return { kind: 'agent', ...model, ...(dto.maxSteps !== undefined ? { maxSteps: dto.maxSteps } : {}), tools: out };
  }

  /**
   * One tool from a definition sent by the owner (e.g. the connection test), with `"***"`
   * filled from `stored`; headers stay sealed like stored ones.
   */
  async toTool(tool: AgentToolDto, path: string, stored?: ToolDefinition): Promise<ToolDefinition> {
    const common = {
      name: tool.name,
      ...(tool.description !== undefined ? { description: tool.description } : {}),
      ...(tool.approval !== undefined ? { approval: tool.approval } : {}),
    };
    if (tool.parameters !== undefined) {
      const problem = schemaProblem(tool.parameters);
      if (problem) throw new DomainError('tool_schema_invalid', `The parameters of tool "${tool.name}" ${problem}.`, { fields: { [`${path}.parameters`]: [problem] } });
    }
    switch (tool.type) {
      case 'client':
        return { type: 'client', ...common, ...(tool.parameters ? { parameters: tool.parameters } : {}) };
      case 'http': {
        await this.checkUrl(tool.url!, `${path}.url`);
        const headers = this.sealHeaders(tool.headers, stored, `${path}.headers`);
        return {
          type: 'http',
          ...common,
          method: tool.method!,
          url: tool.url!,
          ...(tool.parameters ? { parameters: tool.parameters } : {}),
          ...(headers ? { headers } : {}),
          ...(tool.timeoutMs !== undefined ? { timeoutMs: tool.timeoutMs } : {}),
        };
      }
      case 'mcp': {
        await this.checkUrl(tool.url!, `${path}.url`);
        const headers = this.sealHeaders(tool.headers, stored, `${path}.headers`);
        if (tool.allowedTools && new Set(tool.allowedTools).size !== tool.allowedTools.length) {
          throw new DomainError('tool_name_duplicate', `allowedTools of "${tool.name}" lists a tool twice.`, { fields: { [`${path}.allowedTools`]: ['lists a tool twice'] } });
        }
        return {
          type: 'mcp',
          ...common,
          url: tool.url!,
          ...(headers ? { headers } : {}),
          ...(tool.allowedTools ? { allowedTools: tool.allowedTools } : {}),
          ...(tool.approvalOverrides ? { approvalOverrides: tool.approvalOverrides } : {}),
        };
      }
    }
  }

  /** The runner as the API shows it: every header value is `"***"`. */
  present(definition: RunnerDefinition): RunnerDto {
    if (definition.kind === 'webhook') return this.webhooks.present(definition) as RunnerDto;
    if (definition.kind !== 'agent') return definition as RunnerDto;
    return {
      ...definition,
      tools: definition.tools.map((tool) =>
        'headers' in tool && tool.headers ? { ...tool, headers: Object.fromEntries(Object.keys(tool.headers).map((name) => [name, MASKED_SECRET])) } : tool,
      ),
    } as RunnerDto;
  }

  /** Plaintext headers of a stored tool, for the outbound request only. */
  openHeaders(headers: Record<string, string> | undefined): Record<string, string> {
    if (!headers) return {};
    return Object.fromEntries(Object.entries(headers).map(([name, sealed]) => [name, this.secrets.open(sealed, TOOL_HEADER_PURPOSE)]));
  }

  private sealHeaders(headers: Record<string, string> | undefined, stored: ToolDefinition | undefined, path: string): Record<string, string> | undefined {
    if (!headers) return undefined;
    const previous = stored && 'headers' in stored ? (stored.headers ?? {}) : {};
    const previousByName = new Map(Object.entries(previous).map(([name, value]) => [name.toLowerCase(), value]));
    const sealed: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value === MASKED_SECRET) {
        const kept = previousByName.get(name.toLowerCase());
        if (!kept || !isSealed(kept)) throw new ValidationFailedError({ [`${path}.${name}`]: ['"***" keeps a stored value, but this tool has none for this header; send the value'] });
        sealed[name] = kept;
      } else {
        sealed[name] = this.secrets.seal(value, TOOL_HEADER_PURPOSE);
      }
    }
    return sealed;
  }

  private async checkUrl(url: string, field: string): Promise<void> {
    try {
      await this.outbound.check(url.replace(/\{([A-Za-z0-9_-]{1,64})\}/g, 'p'));
    } catch (error) {
      if (error instanceof DomainError) throw new DomainError(error.code, error.message, { ...error.details, fields: { [field]: [error.message] } });
      throw error;
    }
  }
}
