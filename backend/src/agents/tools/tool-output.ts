/** Largest tool output the model sees, in UTF-8 bytes (WORKFLOWS §3). */
export const TOOL_OUTPUT_LIMIT_BYTES = 64 * 1024;

/** The marker appended to a truncated output, so the model knows it saw a part. */
export const TRUNCATION_MARKER = '\n[… output truncated by Parley: it exceeded 64 KB]';

/** `text` cut to `limit` UTF-8 bytes (on a character boundary) with the marker, or unchanged. */
export function capOutput(text: string, limit = TOOL_OUTPUT_LIMIT_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return text;
  let cut = limit - Buffer.byteLength(TRUNCATION_MARKER);
  // Back off continuation bytes so a multi-byte character is not split.
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut).toString('utf8') + TRUNCATION_MARKER;
}

/** A tool outcome: what the model is told, and whether it counts as a failure. */
export interface ToolResult {
  ok: boolean;
  /** The text given to the model (already capped). */
  output: string;
  /** A short line for the chat's task (never the output, never a secret). */
  summary?: string;
}

export const failure = (output: string, summary = output): ToolResult => ({ ok: false, output: capOutput(`Error: ${output}`), summary: summary.slice(0, 200) });
export const success = (output: string): ToolResult => ({ ok: true, output: capOutput(output) });
