/**
 * Who a request acts as (docs/security.md, The model). Every authenticated request resolves to exactly one
 * principal; verifiers produce them and controllers read them with `@CurrentPrincipal()`.
 */

/** An owner, proven by an access JWT (Bearer or `parley_access` cookie) or a personal access token. */
export interface UserPrincipal {
  kind: 'user';
  userId: string;
  email: string;
  credential: 'access_token' | 'personal_token';
  /** Set when `credential` is `personal_token`. */
  personalTokenId?: string;
}

/** A workflow-scoped chat session JWT (`aud=parley-chat`), minted for a signed-in owner. */
export interface ChatPrincipal {
  kind: 'chat';
  userId: string;
  workflowId: string;
  sessionId: string;
  /** The JWT's `jti`. */
  tokenId: string;
}

/** An anonymous visitor of a published workflow: share-link token plus a server-signed visitor token. */
export interface VisitorPrincipal {
  kind: 'visitor';
  visitorId: string;
  workflowId: string;
  publishLinkId: string;
}

/** An end user signed in through OpenID Connect (OAuth session cookie `parley_oauth`). */
export interface OAuthPrincipal {
  kind: 'oauth';
  sessionId: string;
  issuer: string;
  subject: string;
  email: string | null;
  /**
   * True only when the provider asserted `email_verified: true` (the OIDC verifier always sets it;
   * absent counts as false). Do not treat an unverified email as proof of anything.
   */
  emailVerified?: boolean;
  name: string | null;
  expiresAt: Date;
  /**
   * Set when the session was presented together with a share link (a `requireLogin` workflow on
   * `/api/chatkit`): the workflow the link is bound to and the stable `publish_links` id, so the
   * chat gateway knows which workflow answers and the rate limiter's per-link bucket applies.
   */
  workflowId?: string;
  publishLinkId?: string;
}

/**
 * A host application's backend, proven by a workflow server key `wsk_…` (Bearer). It can only mint
 * end-user sessions for the one workflow the key belongs to; it never chats.
 */
export interface ServerKeyPrincipal {
  kind: 'serverKey';
  keyId: string;
  workflowId: string;
}

/**
 * An end user of a host application (docs/embedding.md, section 7), proven by a chat JWT of kind `host` minted by
 * the host's backend with a server key. `hostUserId` is the host's own user id; it only means
 * something inside `workflowId` (ids are namespaced per workflow).
 */
export interface HostPrincipal {
  kind: 'host';
  workflowId: string;
  hostUserId: string;
  /** `<workflowId>:<hostUserId>`: the namespaced id tools and engines see as `sub` (X-Parley-Identity). */
  id: string;
  /** The durable end-user session (`sid`), revocable by the owner. */
  sessionId: string;
  /** The JWT's `jti`. */
  tokenId: string;
  email: string | null;
  name: string | null;
}

export type Principal = UserPrincipal | ChatPrincipal | VisitorPrincipal | OAuthPrincipal | ServerKeyPrincipal | HostPrincipal;
export type PrincipalKind = Principal['kind'];
export type PrincipalOf<K extends PrincipalKind> = Extract<Principal, { kind: K }>;

/** OpenAPI security scheme names (docs/security.md, The model), registered in `openapi.ts`. */
export type SecuritySchemeName = 'bearer' | 'publishToken' | 'visitorToken' | 'oauthSession' | 'serverKey';

/** The ways a route can accept credentials; `@Auth(...modes)` names them. */
export type AuthMode = 'jwt' | 'chat' | 'publishToken' | 'oauthSession' | 'serverKey' | 'hostSession';

export interface AuthModeSpec {
  /** The principal a successful verification of this mode yields. */
  principal: PrincipalKind;
  /** OpenAPI security requirement (schemes ANDed) written by `@Auth`. */
  security: SecuritySchemeName[];
  /** Whether the credential can ride in a cookie, so unsafe methods can fail with `csrf_failed`. */
  cookie: boolean;
}

export const AUTH_MODES: Record<AuthMode, AuthModeSpec> = {
  jwt: { principal: 'user', security: ['bearer'], cookie: true },
  chat: { principal: 'chat', security: ['bearer'], cookie: false },
  publishToken: { principal: 'visitor', security: ['publishToken'], cookie: false },
  oauthSession: { principal: 'oauth', security: ['oauthSession'], cookie: true },
  serverKey: { principal: 'serverKey', security: ['serverKey'], cookie: false },
  hostSession: { principal: 'host', security: ['bearer'], cookie: false },
};
