import { normalizeIp } from '@nestjs/throttler';
import type { Request } from 'express';
import type { Principal } from '../auth/principal';
import type { RedisFailureMode } from './ratelimit.config';

/**
 * The named limits. `ip`, `principal` and `link` are the global layers (RateLimitGuard);
 * `auth_ip` and `auth_email` are the credential limits of login and register (AuthRateLimitGuard);
 * `attachments` counts ChatKit `attachments.create` per principal (RateLimitCounter, from the chat service).
 * The name is what a 429 reports in `details.bucket`.
 */
export type RateLimitBucket = 'ip' | 'principal' | 'link' | 'auth_ip' | 'auth_email' | 'attachments';
export const RATE_LIMIT_BUCKETS: readonly RateLimitBucket[] = ['ip', 'principal', 'link', 'auth_ip', 'auth_email', 'attachments'];

/** IPv6 clients are grouped by /64: one subscriber usually holds a whole /64 and could rotate through it. */
const IPV6_SUBNET_PREFIX = 64;

type RequestWithPrincipal = Request & { principal?: Principal };

/**
 * The client address as Express resolved it: the socket peer, or — only when the peer is a trusted
 * proxy (`TRUST_PROXY`) — the nearest untrusted `X-Forwarded-For` hop. Never the raw header.
 */
export function ipKeyOf(req: Request): string {
  return `ip:${req.ip ? normalizeIp(req.ip, IPV6_SUBNET_PREFIX) : 'unknown'}`;
}

/**
 * Whom the request acts as, for the principal bucket; null without a principal (public routes).
 * A canvas chat user is keyed on the user, not the session: minting sessions (one per device)
 * must not buy a fresh budget. It stays apart from the same person's owner API traffic.
 */
export function principalKeyOf(req: Request): string | null {
  const p = (req as RequestWithPrincipal).principal;
  if (!p) return null;
  switch (p.kind) {
    case 'user':
      return `user:${p.userId}`;
    case 'chat':
      return `chat:${p.userId}`;
    case 'visitor':
      return `visitor:${p.workflowId}:${p.visitorId}`;
    case 'oauth':
      return `oauth:${p.issuer} ${p.subject}`;
    case 'serverKey':
      // Per key: a host backend minting sessions for many users is one client.
      return `serverKey:${p.keyId}`;
    case 'host':
      return `host:${p.workflowId}:${p.hostUserId}`;
    default: {
      const unknown: never = p;
      throw new Error(`No rate-limit key for principal ${JSON.stringify(unknown)}.`);
    }
  }
}

/**
 * The share link a request came through, for the link bucket; null when it did not come through
 * one. Any principal carrying `publishLinkId` counts (visitors today, OIDC users on a
 * `requireLogin` link when the gateway attaches it).
 */
export function linkKeyOf(req: Request): string | null {
  const p = (req as RequestWithPrincipal).principal as { publishLinkId?: unknown } | undefined;
  return typeof p?.publishLinkId === 'string' && p.publishLinkId !== '' ? `link:${p.publishLinkId}` : null;
}

/**
 * Whether a request may pass while the counter store is unreachable. `mixed`: owners (access JWT,
 * personal token) and canvas chat users pass — their credentials are already expensive to obtain
 * and revocable; share-link visitors, OIDC users of public links and anonymous requests are the
 * traffic the limiter exists for, so they are refused.
 */
export function passesWhileStoreDown(mode: RedisFailureMode, principal: Principal | undefined): boolean {
  if (mode === 'open') return true;
  if (mode === 'closed') return false;
  return principal?.kind === 'user' || principal?.kind === 'chat';
}

/** One bucket's state after this request was counted. */
export interface BucketOutcome {
  bucket: RateLimitBucket;
  limit: number;
  remaining: number;
  /** Seconds until the bucket's window resets. */
  resetSeconds: number;
}

/**
 * The bucket the `RateLimit-*` headers describe: the fewest requests left; on a tie the later
 * reset, since the client has capacity again only when every exhausted bucket has reset.
 */
export function tightestOf(outcomes: readonly BucketOutcome[]): BucketOutcome | undefined {
  let best: BucketOutcome | undefined;
  for (const o of outcomes) {
    if (!best || o.remaining < best.remaining || (o.remaining === best.remaining && o.resetSeconds > best.resetSeconds)) best = o;
  }
  return best;
}
