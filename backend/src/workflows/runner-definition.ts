import type { WebhookRunnerDefinition } from './webhook-definition';

/**
 * Stored runner definitions (the `workflows.runner` jsonb). Agent tool header values are stored
 * sealed (`SecretBox`, purpose `TOOL_HEADER_PURPOSE`), never in plaintext; API responses mask them.
 */
export type ModelProvider = 'openai' | 'gemini' | 'compatible';
export type ApprovalMode = 'never' | 'always';

interface ToolCommon {
  name: string;
  description?: string;
  approval?: ApprovalMode;
}

export interface HttpToolDefinition extends ToolCommon {
  type: 'http';
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  parameters?: Record<string, unknown>;
  /** Header name → sealed value. */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface McpToolDefinition extends ToolCommon {
  type: 'mcp';
  url: string;
  /** Header name → sealed value. */
  headers?: Record<string, string>;
  allowedTools?: string[];
  approvalOverrides?: Record<string, ApprovalMode>;
}

export interface ClientToolDefinition extends ToolCommon {
  type: 'client';
  parameters?: Record<string, unknown>;
}

export type ToolDefinition = HttpToolDefinition | McpToolDefinition | ClientToolDefinition;

export interface ModelFields {
  provider: ModelProvider;
  model: string;
  instructions?: string;
  baseUrl?: string;
  temperature?: number;
}

export type RunnerDefinition =
  | { kind: 'echo' }
  | ({ kind: 'openai' } & ModelFields)
  | ({ kind: 'agent'; maxSteps?: number; tools: ToolDefinition[] } & ModelFields)
  | WebhookRunnerDefinition;

export type AgentRunnerDefinition = Extract<RunnerDefinition, { kind: 'agent' }>;

/** `SecretBox` purpose of tool header values. */
export const TOOL_HEADER_PURPOSE = 'parley/tool-header';

/** Default and ceiling of `maxSteps` (model turns per answer). */
export const DEFAULT_MAX_STEPS = 8;
export const MAX_MAX_STEPS = 25;
/** Default per-call timeout of http tools, ms. */
export const DEFAULT_TOOL_TIMEOUT_MS = 10_000;
