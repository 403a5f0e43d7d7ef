/**
 * The OpenAI SDK, loaded on first use rather than at start-up: ~150 modules that a server whose workflows use
 * the echo or webhook runner never needs, and that the rest wait for until the first model request
 * (docs/performance.md, "ChatKit gateway", memory). Types come from `import type`, which costs nothing at run time.
 * Node caches the module, so every call after the first is a lookup.
 */
export function openaiSdk(): typeof import('openai') {
  return require('openai') as typeof import('openai');
}

/** The SDK's SSE stream (`Stream.fromSSEResponse`), loaded on first use like the rest of the SDK. */
export function openaiStreaming(): typeof import('openai/core/streaming') {
  return require('openai/core/streaming') as typeof import('openai/core/streaming');
}

let userAgent: string | undefined;

/** The User-Agent the SDK sends (`OpenAI/JS <version>`), for the requests the `openai` runner makes itself. */
export function openaiUserAgent(): string {
  return (userAgent ??= `OpenAI/JS ${(require('openai/version') as typeof import('openai/version')).VERSION}`);
}
