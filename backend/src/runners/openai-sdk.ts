/**
 * The OpenAI SDK, loaded on first use rather than at start-up: ~150 modules that a server whose workflows use
 * the echo or webhook runner never needs, and that the rest wait for until the first model request
 * (docs/performance.md, "ChatKit gateway", memory). Types come from `import type`, which costs nothing at run time.
 * Node caches the module, so every call after the first is a lookup.
 */
export function openaiSdk(): typeof import('openai') {
  return require('openai') as typeof import('openai');
}
