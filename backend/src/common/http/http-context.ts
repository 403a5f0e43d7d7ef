import type { ArgumentsHost } from '@nestjs/common';

/**
 * The request of an HTTP execution context, without `switchToHttp()`: Nest's `switchToHttp()` assigns three new
 * closures onto the context on every call, and a chat request's guards and verifiers asked for it five times
 * (docs/performance.md, "lean-pipe"). Same object: Nest's HTTP contexts hold `[req, res, next]`.
 */
export function httpRequestOf<T>(context: ArgumentsHost): T {
  return context.getArgByIndex<T>(0);
}

/** The response of an HTTP execution context (see `httpRequestOf`). */
export function httpResponseOf<T>(context: ArgumentsHost): T {
  return context.getArgByIndex<T>(1);
}
