import { SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import type { SessionGate } from '../../transcript/transcript.types';

/** Metadata key of `@DeferChatSessionCheck()`. */
export const DEFER_CHAT_SESSION_CHECK = 'parley:deferChatSessionCheck';

/**
 * On a route that is guaranteed to run the check before it answers (the ChatKit route: its store
 * folds it into the request's first transcript statement, its gateway checks before any answer or
 * error), the `chat` verifier checks the token and leaves the session row check to the request
 * (`pendingChatSession`). Everywhere else the verifier reads the row itself.
 */
export const DeferChatSessionCheck = (): MethodDecorator => SetMetadata(DEFER_CHAT_SESSION_CHECK, true);

const pending = new WeakMap<Request, SessionGate>();

/** Records the session check the request owes (the `chat` verifier, on a deferring route). */
export function deferChatSessionCheck(req: Request, gate: SessionGate): void {
  pending.set(req, gate);
}

/** The session check the request still owes, if its credential was a chat token on a deferring route. */
export function pendingChatSession(req: Request): SessionGate | undefined {
  return pending.get(req);
}
