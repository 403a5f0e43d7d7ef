import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { isUUID } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { InvalidTokenError } from '../../auth/auth.errors';
import { SigningService } from '../../auth/keys/signing.service';
import type { ChatPrincipal } from '../../auth/principal';
import { featuresConfig } from '../../config/features.config';
import { FeatureDisabledError } from '../../publish/publish.errors';
import { WorkflowsService } from '../../workflows/workflows.service';
import { CHAT_TOKEN_MAX_TTL_SECONDS, chatkitConfig } from '../chatkit.config';

/** `aud` of chat session JWTs. */
export const CHAT_TOKEN_AUDIENCE = 'parley-chat';

/** A freshly issued chat session token. */
export interface IssuedChatSession {
  token: string;
  expiresAt: string;
  sessionId: string;
}

/** Verified tokens remembered, so a token is checked once, not on every request of its life. */
const VERIFIED_CACHE_SIZE = 10_000;

/** Claims Parley puts in a chat session JWT besides the registered ones. */
interface ChatClaims {
  sub?: unknown;
  wf?: unknown;
  sid?: unknown;
}

/**
 * Chat session JWTs, the canvas auth mode: ES256 tokens for one owner and one of their workflows
 * (`sub`, `wf`, `sid`, `jti`, `aud=parley-chat`), living at most five minutes. The widget asks for
 * a new one before the current one expires. Signing and verification go through the auth
 * module's `SigningService` (key rotation, `kid`, issuer).
 */
@Injectable()
export class ChatSessionsService {
  private readonly verified = new Map<string, { principal: ChatPrincipal; expiresAtMs: number }>();

  constructor(
    private readonly signing: SigningService,
    private readonly workflows: WorkflowsService,
    @Inject(chatkitConfig.KEY) private readonly config: ConfigType<typeof chatkitConfig>,
    @Inject(featuresConfig.KEY) private readonly features: ConfigType<typeof featuresConfig>,
  ) {}

  /** Throws 403 `feature_disabled` when the canvas chat is switched off. */
  assertEnabled(): void {
    if (!this.features.canvasEnabled) throw new FeatureDisabledError('The canvas chat');
  }

  /** Issues a token for `userId` on a workflow they own (another owner's workflow is 404). */
  async issue(userId: string, workflowId: string): Promise<IssuedChatSession> {
    this.assertEnabled();
    await this.workflows.getOwned(userId, workflowId);
    const sessionId = randomUUID();
    const signed = await this.signing.sign(
      { sub: userId, wf: workflowId, sid: sessionId },
      { audience: CHAT_TOKEN_AUDIENCE, ttlSeconds: this.config.chatTokenTtlSeconds },
    );
    return { token: signed.token, expiresAt: signed.expiresAt.toISOString(), sessionId };
  }

  /**
   * Verifies a chat token: signature, issuer, audience and expiry through the signing service,
   * then the claims this mode needs. A token without `wf` (or any other claim) is `token_invalid`.
   *
   * A chat widget sends the same token with every request for its whole (≤ 5 min) life, so a
   * successfully verified token is remembered, by its exact text, until it expires: an ES256
   * verification costs more than the rest of an echo request. Nothing about a chat token can
   * change before it expires (there is no revocation yet; durable sessions will have to check
   * theirs on every request), and failures are never cached.
   */
  async verify(token: string): Promise<ChatPrincipal> {
    const cached = this.verified.get(token);
    if (cached && cached.expiresAtMs > Date.now()) return { ...cached.principal };
    if (cached) this.verified.delete(token);

    const claims = await this.signing.verify<ChatClaims>(token, { audience: CHAT_TOKEN_AUDIENCE });
    const { sub, wf, sid, jti } = claims;
    if (!isId(sub) || !isId(wf) || !isUUID(wf) || !isId(sid) || !isId(jti)) throw new InvalidTokenError();
    // Refuse tokens minted (or forged with a stolen key) for longer than a chat session may live.
    if (claims.exp - claims.iat > CHAT_TOKEN_MAX_TTL_SECONDS) throw new InvalidTokenError();
    const principal: ChatPrincipal = { kind: 'chat', userId: sub, workflowId: wf, sessionId: sid, tokenId: jti };
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, { principal, expiresAtMs: claims.exp * 1000 });
    return { ...principal };
  }
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 200;
}
