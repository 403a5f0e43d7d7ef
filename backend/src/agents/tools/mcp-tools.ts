import { createHash } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { McpToolDefinition } from '../../workflows/runner-definition';
import type { OutboundPolicy } from '../../outbound/outbound-policy';
import { describeFailure } from './http-tool';
import { failure, success, ToolResult } from './tool-output';

/** A tool an MCP server offers (after the `allowedTools` filter). */
export interface McpListedTool {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

export interface McpCallContext {
  outbound: OutboundPolicy;
  headers: Record<string, string>;
  identity(audience: string): Promise<string>;
  signal: AbortSignal;
}

/** Per-call (and listing) deadline of MCP requests, ms. */
export const MCP_TIMEOUT_MS = 30_000;
/** How long a server's tool list is reused before it is listed again. */
export const MCP_LIST_TTL_MS = 5 * 60_000;
const MAX_CACHED_LISTS = 256;

/**
 * MCP servers through `@modelcontextprotocol/sdk`'s client over Streamable HTTP, with the
 * outbound policy as its `fetch` and `X-Parley-Identity` plus the owner's headers on every
 * request. A connection lives for one listing or one call (the identity differs per chat);
 * tool lists are cached per workflow and definition hash (a changed definition or version lists again).
 */
export class McpTools {
  private readonly lists = new Map<string, { tools: McpListedTool[]; expiresAt: number }>();

  /** The tools `tool` offers, filtered by `allowedTools`; cached under `workflowId` + definition hash. */
  async list(workflowId: string, tool: McpToolDefinition, ctx: McpCallContext): Promise<McpListedTool[]> {
    const key = `${workflowId}:${definitionHash(tool)}`;
    const hit = this.lists.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.tools;
    const listed = await this.withClient(tool, ctx, MCP_TIMEOUT_MS, async (client) => {
      const all: McpListedTool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined, { signal: ctx.signal, timeout: MCP_TIMEOUT_MS });
        for (const t of page.tools) all.push({ name: t.name, ...(t.description ? { description: t.description } : {}), inputSchema: t.inputSchema as Record<string, unknown> });
        cursor = page.nextCursor;
      } while (cursor && all.length < 1000);
      return all;
    });
    const allowed = tool.allowedTools ? listed.filter((t) => tool.allowedTools!.includes(t.name)) : listed;
    this.lists.delete(key);
    if (this.lists.size >= MAX_CACHED_LISTS) this.lists.delete(this.lists.keys().next().value as string);
    this.lists.set(key, { tools: allowed, expiresAt: Date.now() + MCP_LIST_TTL_MS });
    return allowed;
  }

  /** Calls `name` on the server; protocol errors, timeouts and `isError` results become error results. */
  async call(tool: McpToolDefinition, name: string, args: Record<string, unknown>, ctx: McpCallContext): Promise<ToolResult> {
    try {
      return await this.withClient(tool, ctx, MCP_TIMEOUT_MS, async (client) => {
        const result = await client.callTool({ name, arguments: args }, undefined, { signal: ctx.signal, timeout: MCP_TIMEOUT_MS });
        const text = contentText(result);
        return result.isError ? failure(text || 'the MCP tool reported an error', 'the tool reported an error') : success(text || '(no content)');
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === -32001) return failure(`the tool did not answer within ${MCP_TIMEOUT_MS} ms`, 'timed out');
      const result = describeFailure(error, MCP_TIMEOUT_MS, ctx.signal);
      if (result.summary === 'unreachable' && error instanceof Error && /MCP error/.test(error.message)) return failure(error.message.slice(0, 500), 'MCP error');
      return result;
    }
  }

  private async withClient<T>(tool: McpToolDefinition, ctx: McpCallContext, timeoutMs: number, work: (client: Client) => Promise<T>): Promise<T> {
    const identity = await ctx.identity(tool.url);
    const { Client, StreamableHTTPClientTransport } = mcpSdk();
    const transport = new StreamableHTTPClientTransport(new URL(tool.url), {
      requestInit: { headers: { ...ctx.headers, 'x-parley-identity': identity, 'user-agent': 'Parley-Agent/1' } },
      fetch: ctx.outbound.fetcher({ timeoutMs }) as never,
    });
    const client = new Client({ name: 'parley', version: '1.0.0' });
    try {
      await client.connect(transport, { signal: ctx.signal, timeout: timeoutMs });
      return await work(client);
    } finally {
      await transport.terminateSession().catch(() => undefined);
      await client.close().catch(() => undefined);
    }
  }
}

type McpSdk = typeof import('@modelcontextprotocol/sdk/client/index.js') & typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js');
let mcpSdkModules: McpSdk | undefined;

/** The MCP SDK's client (~350 modules with its schemas), loaded with the first MCP call rather than at start-up. */
function mcpSdk(): McpSdk {
  return (mcpSdkModules ??= {
    ...(require('@modelcontextprotocol/sdk/client/index.js') as typeof import('@modelcontextprotocol/sdk/client/index.js')),
    ...(require('@modelcontextprotocol/sdk/client/streamableHttp.js') as typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js')),
  });
}

/** Stable hash of a definition (sealed headers included, so a new secret lists again). */
export function definitionHash(tool: McpToolDefinition): string {
  return createHash('sha256').update(JSON.stringify(tool)).digest('base64url').slice(0, 22);
}

/** The text of an MCP tool result: text parts joined, other parts as JSON, structured content last. */
function contentText(result: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const part of (result.content as Array<Record<string, unknown>> | undefined) ?? []) {
    if (part.type === 'text' && typeof part.text === 'string') parts.push(part.text);
    else parts.push(JSON.stringify(part));
  }
  if (parts.length === 0 && result.structuredContent !== undefined) parts.push(JSON.stringify(result.structuredContent));
  if (parts.length === 0 && 'toolResult' in result) parts.push(JSON.stringify(result.toolResult));
  return parts.join('\n');
}
