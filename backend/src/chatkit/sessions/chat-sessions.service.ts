import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { isUUID } from 'class-validator';
import { InvalidTokenError } from '../../auth/auth.errors';
import { unverifiedTokenKind } from '../../auth/credentials';
import { SigningService } from '../../auth/signing.service';
import type { ChatPrincipal } from '../../auth/principal';
import { NotFoundError } from '../../common/errors/domain-error';
import { featuresConfig } from '../../config/features.config';
import { FeatureDisabledError } from '../../publish/publish.errors';
import { ChatSessionRow, ChatSessionsRepository } from '../../transcript/chat-sessions.repository';
import { WorkflowsService } from '../../workflows/workflows.service';
import { CHAT_TOKEN_MAX_TTL_SECONDS, chatkitConfig } from '../chatkit.config';
import { ChatSessionRevokedError } from '../chatkit.errors';

/** `aud` of chat session JWTs. */
export const CHAT_TOKEN_AUDIENCE = 'parley-chat';

/** The device of a session request without `deviceId` (docs/embedding.md, section 1). */
export const DEFAULT_DEVICE_ID = 'default';

/** A session is reused only while it has at least this long to live. */
export const SESSION_REUSE_MIN_REMAINING_MS = 3600 * 1000;

/** `last_used_at` is written at most this often per session. */
export const LAST_USED_RESOLUTION_MS = 60 * 1000;

/** A freshly issued chat session token. */
export interface IssuedChatSession {
  token: string;
  expiresAt: string;
  sessionId: string;
}

export interface ChatSessionOptions {
  deviceId?: string;
  metadata?: Record<string, unknown>;
}

/** A chat session as its owner sees it. */
export interface ChatSessionView {
  id: string;
  workflowId: string;
  deviceId: string;
  metadata: Record<string, unknown>;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string;
  revokedAt: string | null;
}

/** Verified token signatures remembered, so ES256 is checked once per token (the session row is read every time). */
const VERIFIED_CACHE_SIZE = 10_000;

/** Claims Parley puts in a chat session JWT besides the registered ones. */
interface ChatClaims {
  sub?: unknown;
  wf?: unknown;
  sid?: unknown;
  /** Set on other kinds of chat JWT (end-user `host` tokens); canvas tokens have none. */
  kind?: unknown;
}

/**
 * Chat sessions, the canvas auth mode. A durable `chat_sessions` row (user, workflow, device,
 * 24 h) stands behind short ES256 JWTs (`sub`, `wf`, `sid`, `jti`, `aud=parley-chat`, ≤ 5 min)
 * that the widget renews before they expire. Revoking the row refuses its tokens at once, on every
 * instance: the row is read on every request (no cache), only the signature check is remembered.
 */
@Injectable()
export class ChatSessionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChatSessions');
  private readonly verified = new Map<string, { principal: ChatPrincipal; expiresAtMs: number }>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly signing: SigningService,
    private readonly workflows: WorkflowsService,
    private readonly sessions: ChatSessionsRepository,
    @Inject(chatkitConfig.KEY) private readonly config: ConfigType<typeof chatkitConfig>,
    @Inject(featuresConfig.KEY) private readonly features: ConfigType<typeof featuresConfig>,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.deleteExpired().catch((err: unknown) => this.logger.warn(`chat session cleanup failed: ${(err as Error).message}`));
    }, this.config.chatSessionCleanupSeconds * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Throws 403 `feature_disabled` when the canvas chat is switched off. */
  assertEnabled(): void {
    if (!this.features.canvasEnabled) throw new FeatureDisabledError('The canvas chat');
  }

  /**
   * Issues a token for `userId` on a workflow they own (another owner's workflow is 404). Reuses
   * the caller's active session of that device and workflow unless it expires within the hour;
   * a revoked or expired session is never reused.
   */
  async issue(userId: string, workflowId: string, options: ChatSessionOptions = {}): Promise<IssuedChatSession> {
    this.assertEnabled();
    await this.workflows.getOwned(userId, workflowId);
    const deviceId = options.deviceId ?? DEFAULT_DEVICE_ID;
    let session = await this.sessions.findReusable(userId, workflowId, deviceId, SESSION_REUSE_MIN_REMAINING_MS / 1000);
    if (session && options.metadata !== undefined) await this.sessions.updateMetadata(session.id, options.metadata);
    session ??= await this.sessions.insert(userId, workflowId, deviceId, options.metadata ?? {}, this.config.chatSessionTtlSeconds);
    const signed = await this.signing.sign(
      { sub: userId, wf: workflowId, sid: session.id },
      { audience: CHAT_TOKEN_AUDIENCE, ttlSeconds: this.config.chatTokenTtlSeconds },
    );
    return { token: signed.token, expiresAt: signed.expiresAt.toISOString(), sessionId: session.id };
  }

  /**
   * Verifies a chat token: signature, issuer, audience and expiry through the signing service,
   * then the claims this mode needs (a token without `wf`, or any other claim, is `token_invalid`),
   * then its session row: revoked, expired or gone → 401 `chat_session_revoked`.
   *
   * A chat widget sends the same token with every request for its whole (≤ 5 min) life, so the
   * signature verification is remembered by the token's exact text; the session row is not.
   */
  verify(token: string): Promise<ChatPrincipal> {
    // The widget's same token again (the usual case): straight to the session row, no promise of its own.
    const cached = this.verified.get(token);
    if (cached && cached.expiresAtMs > Date.now()) return this.activePrincipal({ ...cached.principal });
    return this.verifySignature(token).then((principal) => this.activePrincipal(principal));
  }

  private async verifySignature(token: string): Promise<ChatPrincipal> {
    const cached = this.verified.get(token);
    if (cached && cached.expiresAtMs > Date.now()) return { ...cached.principal };
    if (cached) this.verified.delete(token);

    // End-user (host) tokens share the audience; refuse them before spending a signature check.
    if (unverifiedTokenKind(token) !== undefined) throw new InvalidTokenError();
    const claims = await this.signing.verify<ChatClaims>(token, { audience: CHAT_TOKEN_AUDIENCE });
    const { sub, wf, sid, jti } = claims;
    if (claims.kind !== undefined) throw new InvalidTokenError();
    if (!isId(sub) || !isId(wf) || !isUUID(wf) || !isId(sid) || !isId(jti)) throw new InvalidTokenError();
    // Refuse tokens minted (or forged with a stolen key) for longer than a chat session may live.
    if (claims.exp - claims.iat > CHAT_TOKEN_MAX_TTL_SECONDS) throw new InvalidTokenError();
    const principal: ChatPrincipal = { kind: 'chat', userId: sub, workflowId: wf, sessionId: sid, tokenId: jti };
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, { principal, expiresAtMs: claims.exp * 1000 });
    return { ...principal };
  }

  /** `principal` once its session is active: one indexed read per request; a bounded `last_used_at` write at most once a minute. */
  private async activePrincipal(principal: ChatPrincipal): Promise<ChatPrincipal> {
    if (!isUUID(principal.sessionId)) throw new ChatSessionRevokedError();
    const row = await this.sessions.state(principal.sessionId, principal.userId, principal.workflowId, LAST_USED_RESOLUTION_MS / 1000);
    if (!row) {
      // Sessions go with their workflow (cascade): a deleted workflow answers 404, like any missing one.
      if (!(await this.workflows.isOwnedBy(principal.userId, principal.workflowId))) throw new NotFoundError('Workflow not found.');
      throw new ChatSessionRevokedError();
    }
    if (!row.active) throw new ChatSessionRevokedError();
    if (row.stale) await this.sessions.touch(principal.sessionId, LAST_USED_RESOLUTION_MS / 1000);
    return principal;
  }

  /** The caller's sessions: active ones first (newest first), then revoked or expired ones. */
  async list(userId: string): Promise<ChatSessionView[]> {
    const rows = await this.sessions.listForUser(userId);
    return rows.map(toView);
  }

  /** Revokes one of the caller's sessions (idempotent); another user's or an unknown one → 404. */
  async revoke(userId: string, sessionId: string): Promise<void> {
    if (!(await this.sessions.revoke(sessionId, userId))) throw new NotFoundError('Chat session not found.');
  }

  /** Revokes every active session of the caller; returns how many. */
  async revokeAll(userId: string): Promise<number> {
    return this.sessions.revokeAll(userId);
  }

  /** The periodic job: deletes sessions past their expiry (revoked or not); returns how many. */
  async deleteExpired(now: Date = new Date()): Promise<number> {
    return this.sessions.deleteExpired(now);
  }
}

function toView(row: ChatSessionRow): ChatSessionView {
  return {
    id: row.id,
    workflowId: row.workflow_id,
    deviceId: row.device_id,
    metadata: row.metadata ?? {},
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
    expiresAt: new Date(row.expires_at).toISOString(),
    revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
  };
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 200;
}
