import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsObject, IsString, Matches, Max, MaxLength, Min, registerDecorator, ValidateIf, ValidationOptions } from 'class-validator';

export const TOOL_TYPES = ['http', 'mcp', 'client'] as const;
export type ToolType = (typeof TOOL_TYPES)[number];
export const TOOL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export const APPROVAL_MODES = ['never', 'always'] as const;
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
/** What every response shows instead of a header value; sending it back keeps the stored value. */
export const MASKED_SECRET = '***';
export const MAX_TOOLS = 32;
export const MAX_TOOL_HEADERS = 16;
/** Headers a tool definition may not set: Parley or the HTTP client own them. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'x-parley-identity', 'mcp-session-id', 'mcp-protocol-version']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

/** Fails when the property is set on a tool whose `type` is not one of `types`. */
function OnlyForToolType(types: ToolType[], options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'onlyForToolType',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} applies only to ${types.join('/')} tools`, ...options },
      validator: { validate: (value: unknown, args) => value === undefined || types.includes((args?.object as { type?: ToolType }).type as ToolType) },
    });
}

/** A `Record<string,string>` of HTTP headers: valid names, none reserved, values ≤ 4096 characters. */
function IsHeaderMap(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isHeaderMap',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: `${String(propertyName)} must map at most ${MAX_TOOL_HEADERS} valid header names (not Host, Content-Length, Connection, X-Parley-Identity…) to strings of at most 4096 characters`,
        ...options,
      },
      validator: {
        validate: (value: unknown) => {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
          const entries = Object.entries(value as Record<string, unknown>);
          return (
            entries.length <= MAX_TOOL_HEADERS &&
            entries.every(([name, v]) => HEADER_NAME.test(name) && !RESERVED_HEADERS.has(name.toLowerCase()) && typeof v === 'string' && v.length <= 4096 && !/[\r\n\0]/.test(v))
          );
        },
      },
    });
}

/** An http(s) URL whose `{param}` placeholders (path only) are allowed. */
function IsToolUrl(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isToolUrl',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} must be an http(s) URL; {param} placeholders may appear in the path only`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && isToolUrl(value) },
    });
}

/** Placeholders of a URL template: `{id}` → `id`. */
export function urlPlaceholders(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z0-9_-]{1,64})\}/g)].map((m) => m[1]);
}

export function isToolUrl(value: string): boolean {
  if (value.length > 2000) return false;
  const sample = value.replace(/\{([A-Za-z0-9_-]{1,64})\}/g, 'p');
  if (/[{}]/.test(sample)) return false;
  try {
    const url = new URL(sample);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  } catch {
    return false;
  }
  const brace = value.indexOf('{');
  if (brace === -1) return true;
  // Placeholders only in the path: the model must not choose the host, the query or the fragment.
  if (!/^https?:\/\/[^/?#{]+\//i.test(value.slice(0, brace))) return false;
  const tail = value.search(/[?#]/);
  return tail === -1 || !value.slice(tail).includes('{');
}

/**
 * One tool of an `agent` runner (CONTRACTS §1): `http`, `mcp` or `client`. Fields apply per type;
 * header values are secrets (write-only, `"***"` in responses).
 */
export class AgentToolDto {
  @ApiProperty({ enum: TOOL_TYPES })
  @IsIn(TOOL_TYPES)
  type: ToolType;

  @ApiProperty({ pattern: TOOL_NAME_PATTERN.source, example: 'lookup_order', description: 'Unique in the workflow; the name the model calls (MCP tools keep their server names).' })
  @IsString()
  @Matches(TOOL_NAME_PATTERN, { message: 'name must be 1-64 letters, digits, _ or -' })
  name: string;

  @ApiPropertyOptional({ maxLength: 1024 })
  @ValidateIf((o: AgentToolDto) => o.description !== undefined)
  @IsString()
  @MaxLength(1024)
  description?: string;

  @ApiPropertyOptional({ enum: APPROVAL_MODES, description: '`always`: a person approves each call in the chat (default `never`)' })
  @ValidateIf((o: AgentToolDto) => o.approval !== undefined)
  @IsIn(APPROVAL_MODES)
  approval?: (typeof APPROVAL_MODES)[number];

  @ApiPropertyOptional({ enum: TOOL_METHODS, description: 'http tools only (required)' })
  @OnlyForToolType(['http'])
  @ValidateIf((o: AgentToolDto) => o.type === 'http' || o.method !== undefined)
  @IsIn(TOOL_METHODS)
  method?: (typeof TOOL_METHODS)[number];

  @ApiPropertyOptional({ example: 'https://api.example.com/orders/{orderId}', description: 'http: the endpoint, `{param}` path placeholders filled from the arguments; mcp: the Streamable HTTP endpoint (required for both)' })
  @OnlyForToolType(['http', 'mcp'])
  @ValidateIf((o: AgentToolDto) => o.type === 'http' || o.type === 'mcp' || o.url !== undefined)
  @IsToolUrl()
  url?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'JSON Schema (type object) of the arguments (http and client tools)' })
  @OnlyForToolType(['http', 'client'])
  @ValidateIf((o: AgentToolDto) => o.parameters !== undefined)
  @IsObject()
  parameters?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { Authorization: '***' },
    description: 'Secret header values: write-only, shown as "***"; sending "***" keeps the stored value (http and mcp tools)',
  })
  @OnlyForToolType(['http', 'mcp'])
  @ValidateIf((o: AgentToolDto) => o.headers !== undefined)
  @IsHeaderMap()
  headers?: Record<string, string>;

  @ApiPropertyOptional({ minimum: 100, maximum: 60000, description: 'http tools only: per-call timeout in ms (default 10000)' })
  @OnlyForToolType(['http'])
  @ValidateIf((o: AgentToolDto) => o.timeoutMs !== undefined)
  @IsInt()
  @Min(100)
  @Max(60000)
  timeoutMs?: number;

  @ApiPropertyOptional({ type: [String], description: 'mcp tools only: the server tools offered to the model (default: all)' })
  @OnlyForToolType(['mcp'])
  @ValidateIf((o: AgentToolDto) => o.allowedTools !== undefined)
  @IsArray()
  @ArrayMaxSize(128)
  @Matches(TOOL_NAME_PATTERN, { each: true, message: 'allowedTools must hold tool names (1-64 letters, digits, _ or -)' })
  allowedTools?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string', enum: [...APPROVAL_MODES] }, description: 'mcp tools only: approval per server tool name' })
  @OnlyForToolType(['mcp'])
  @ValidateIf((o: AgentToolDto) => o.approvalOverrides !== undefined)
  @IsObject()
  @IsApprovalMap()
  approvalOverrides?: Record<string, (typeof APPROVAL_MODES)[number]>;
}

function IsApprovalMap(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isApprovalMap',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} must map tool names to "never" or "always"`, ...options },
      validator: {
        validate: (value: unknown) =>
          value !== null &&
          typeof value === 'object' &&
          Object.entries(value as Record<string, unknown>).length <= 128 &&
          Object.entries(value as Record<string, unknown>).every(([k, v]) => TOOL_NAME_PATTERN.test(k) && (v === 'never' || v === 'always')),
      },
    });
}
