import { ExecutionContext } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { Request } from 'express';
import { AuthMode, Principal } from './principal';

/**
 * Proves one auth mode's credential. Register an implementation by decorating a provider
 * with `@AuthVerifier('mode')` in any module; the global guard finds it, so adding a mode
 * (chat, publishToken, oauthSession) never edits the guard.
 */
export interface PrincipalVerifier {
  /**
   * Whether the request carries a credential of this mode at all (header or cookie present).
   * Lets the guard tell "no credential" (401 `unauthenticated`) from "a credential of a mode
   * this route does not accept" (403 `forbidden`).
   */
  hasCredential(req: Request): boolean;

  /**
   * True when this mode's credential is only ever an ambient cookie that the browser attaches on
   * its own (the OAuth session). Its presence says nothing about what the client meant to use, so
   * the guard never turns a 401 into a 403 `forbidden` because of it: a browser that also holds an
   * end-user session must still get `unauthenticated` (and refresh) on owner routes.
   */
  readonly ambient?: boolean;

  /**
   * Verifies the credential. Returns null when there is none; throws a DomainError
   * (`token_invalid`, `token_expired`, `csrf_failed`, …) when there is a bad one.
   */
  verify(context: ExecutionContext): Promise<Principal | null>;
}

/** Marks a provider as the verifier of one auth mode. */
export const AuthVerifier = DiscoveryService.createDecorator<AuthMode>();
