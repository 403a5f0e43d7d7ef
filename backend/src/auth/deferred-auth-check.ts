import { SetMetadata } from '@nestjs/common';
import type { Request } from 'express';

/** Metadata key of `@DeferAuthCheck()`. */
export const DEFER_AUTH_CHECK = 'parley:deferAuthCheck';

/**
 * A part of a credential's verification that a verifier left to the request (a database read the
 * route can fold into its own first statement). It must run before the request answers anything,
 * errors included: `check()` runs it unless it ran already, and rejects with the verdict.
 */
export interface DeferredAuthCheck {
  check(): Promise<void>;
}

/**
 * Marks a route that guarantees to run a deferred check before it answers (the ChatKit route: its
 * store folds the chat session row check into the request's first transcript statement, its
 * gateway checks before any answer or error). Verifiers may defer only on such routes; everything
 * that refuses a request before the handler (the rate limiter) runs `pendingAuthCheck(req)` first,
 * so the credential's verdict still comes first.
 */
export const DeferAuthCheck = (): MethodDecorator => SetMetadata(DEFER_AUTH_CHECK, true);

const pending = new WeakMap<Request, DeferredAuthCheck>();

/** Records the check the request owes (a verifier, on a `@DeferAuthCheck()` route). */
export function deferAuthCheck(req: Request, check: DeferredAuthCheck): void {
  pending.set(req, check);
}

/** The check the request still owes, if its verifier deferred one; `T` is what that verifier recorded. */
export function pendingAuthCheck<T extends DeferredAuthCheck = DeferredAuthCheck>(req: Request): T | undefined {
  return pending.get(req) as T | undefined;
}
