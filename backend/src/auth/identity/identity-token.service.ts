import { Injectable } from '@nestjs/common';
import type { Principal } from '../principal';
import { SigningService } from '../keys/signing.service';

/** Lifetime of an `X-Parley-Identity` token, seconds (CONTRACTS §4: `exp - iat ≤ 60`). */
export const IDENTITY_TOKEN_TTL_SECONDS = 60;

/** The header tool servers, MCP servers and webhook engines read the identity from. */
export const IDENTITY_HEADER = 'X-Parley-Identity';

/** Who is chatting, as a tool sees it. `kind` is an open string (`user`, `chat`, `visitor`, `oauth`, `host`, …). */
export interface IdentitySubject {
  kind: string;
  sub: string;
  email?: string | null;
  name?: string | null;
}

export interface IdentityTokenRequest {
  workflowId: string;
  threadId: string;
  subject: IdentitySubject;
  /** The URL (or origin) the token is for; its origin becomes `aud`. */
  audience: string;
}

/** The end-user subject of a verified principal (ids as the transcript keys them). */
export function identitySubjectOf(principal: Principal): IdentitySubject {
  switch (principal.kind) {
    case 'user':
      return { kind: 'user', sub: principal.userId, email: principal.email };
    case 'chat':
      return { kind: 'chat', sub: principal.userId };
    case 'visitor':
      return { kind: 'visitor', sub: principal.visitorId };
    case 'oauth':
      return { kind: 'oauth', sub: `${principal.issuer}|${principal.subject}`, email: principal.emailVerified ? principal.email : null, name: principal.name };
    default: {
      // Principal kinds added later (e.g. `host`) describe themselves.
      const other = principal as { kind: string; id?: string; userId?: string; email?: string | null; name?: string | null };
      return { kind: other.kind, sub: String(other.id ?? other.userId ?? ''), email: other.email ?? null, name: other.name ?? null };
    }
  }
}

/**
 * Mints `X-Parley-Identity` (WORKFLOWS §5, CONTRACTS §4): an ES256 JWT signed with Parley's keys
 * (verifiable at `/.well-known/jwks.json`), `iss` = PUBLIC_BASE_URL, `aud` = the target origin,
 * 60 s lifetime, claims `wf`, `thr`, `sub`, `kind`, and `email`/`name` when known. One token per
 * outbound request: a tool cannot replay it against another origin.
 */
@Injectable()
export class IdentityTokenService {
  constructor(private readonly signing: SigningService) {}

  async mint(request: IdentityTokenRequest): Promise<string> {
    const { subject } = request;
    const claims: Record<string, unknown> = { wf: request.workflowId, thr: request.threadId, sub: subject.sub, kind: subject.kind };
    if (subject.email) claims.email = subject.email;
    if (subject.name) claims.name = subject.name;
    const signed = await this.signing.sign(claims, { audience: audienceOf(request.audience), ttlSeconds: IDENTITY_TOKEN_TTL_SECONDS });
    return signed.token;
  }
}

/** The origin of a URL (`https://tools.example.com`), which is what `aud` names. */
export function audienceOf(url: string): string {
  return new URL(url).origin;
}
