import type { HttpToolDefinition } from '../../workflows/runner-definition';
import { DEFAULT_TOOL_TIMEOUT_MS } from '../../workflows/runner-definition';
import { OutboundResponseTooLargeError, OutboundUrlRefusedError } from '../../outbound/outbound.errors';
import type { OutboundPolicy } from '../../outbound/outbound-policy';
import { capOutput, failure, success, ToolResult, TOOL_OUTPUT_LIMIT_BYTES } from './tool-output';

/** Everything an http call needs besides the definition. */
export interface HttpCallContext {
  outbound: OutboundPolicy;
  /** Plaintext header values (opened from the sealed definition). */
  headers: Record<string, string>;
  /** Mints `X-Parley-Identity` for the target origin. */
  identity(audience: string): Promise<string>;
  signal: AbortSignal;
}

/**
 * The request an http tool makes for `args`: `{param}` placeholders in the path are filled (URL
 * encoded) and removed from the arguments; the rest go in the query string for GET and DELETE
 * and as a JSON body otherwise.
 */
export function buildHttpRequest(tool: HttpToolDefinition, args: Record<string, unknown>): { url: string; body?: string } {
  const rest: Record<string, unknown> = { ...args };
  const url = tool.url.replace(/\{([A-Za-z0-9_-]{1,64})\}/g, (_, name: string) => {
    const value = rest[name];
    delete rest[name];
    return encodeURIComponent(value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));
  });
  if (tool.method === 'GET' || tool.method === 'DELETE') {
    const target = new URL(url);
    for (const [key, value] of Object.entries(rest)) {
      if (value === undefined || value === null) continue;
      target.searchParams.append(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
    }
    return { url: target.toString() };
  }
  return { url, body: JSON.stringify(rest) };
}

/** Calls an http tool under the outbound policy; every failure becomes an error result for the model. */
export async function callHttpTool(tool: HttpToolDefinition, args: Record<string, unknown>, ctx: HttpCallContext): Promise<ToolResult> {
  const { url, body } = buildHttpRequest(tool, args);
  const timeoutMs = tool.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  try {
    const headers: Record<string, string> = {
      accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
      'user-agent': 'Parley-Agent/1',
      ...ctx.headers,
      'x-parley-identity': await ctx.identity(url),
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await ctx.outbound.request(url, { method: tool.method, headers, body, signal: ctx.signal }, { timeoutMs });
    const text = await readCapped(res);
    if (!res.ok) return failure(`HTTP ${res.status}${text ? `: ${capOutput(text, 2048)}` : ''}`, `HTTP ${res.status}`);
    return success(text === '' ? `(HTTP ${res.status}, empty body)` : text);
  } catch (error) {
    return describeFailure(error, timeoutMs, ctx.signal);
  }
}

/**
 * The body as text, reading no more than a little over the output cap: a larger body is cut
 * (and the download stopped) so the model sees its start with the truncation marker.
 */
export async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let cut = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > TOOL_OUTPUT_LIMIT_BYTES) {
      cut = true;
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return cut ? capOutput(text) : text;
}

/** A tool failure the model and the chat can be told (never a header, never the URL's query). */
export function describeFailure(error: unknown, timeoutMs: number, signal: AbortSignal): ToolResult {
  if (signal.aborted) return failure('the call was cancelled', 'cancelled');
  if (error instanceof OutboundUrlRefusedError) return failure(error.message, 'refused by the outbound policy');
  if (error instanceof OutboundResponseTooLargeError) return failure(`the response exceeded ${error.limitBytes} bytes`, 'response too large');
  const name = (error as { name?: string })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return failure(`the tool did not answer within ${timeoutMs} ms`, 'timed out');
  return failure('the tool could not be reached', 'unreachable');
}
