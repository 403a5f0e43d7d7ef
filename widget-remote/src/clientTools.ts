import type { ClientToolCall, ClientToolHandler } from './contract';

/**
 * Runs a host's client tool and shapes what goes back to the assistant the same way in both renderers (ChatKit only
 * accepts an object): an object result as it is, any other value as `{result: value}`, a throw or rejection as
 * `{error: message}`. Never throws.
 */
export async function runClientTool(handler: ClientToolHandler, call: ClientToolCall): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = await handler(call);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  return { result: value ?? null };
}
