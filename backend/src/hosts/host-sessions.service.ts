import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { isEmail, isUUID } from 'class-validator';
import { AuditService } from '../audit/audit.service';
import { InvalidTokenError } from '../auth/auth.errors';
import { SigningService } from '../auth/signing.service';
import type { HostPrincipal, ServerKeyPrincipal } from '../auth/principal';
import type { RequestLog } from '../common/logging/request-log';
import { NotFoundError } from '../common/errors/domain-error';
import { CHAT_TOKEN_MAX_TTL_SECONDS, chatkitConfig } from '../chatkit/chatkit.config';
import { ChatSessionRevokedError } from '../chatkit/chatkit.errors';
import { Transactions, Tx } from '../database/transactions';
import { ClusterEvent, ClusterEvents } from '../operations/cluster-events';
import { WorkflowMismatchError } from '../publish/publish.errors';
import { WorkflowsService } from '../workflows/workflows.service';
import { HostSessionRow, HostSessionsRepository } from './host-sessions.repository';
import { HostUserInvalidError, ServerKeyInvalidError, ServerKeyRevokedError } from './hosts.errors';
import { LAST_USED_RESOLUTION_SECONDS as KEY_LAST_USED_RESOLUTION_SECONDS, ServerKeysService } from './server-keys.service';

/** `aud` of every chat JWT; host tokens are told apart by their `kind: 'host'` claim. */
export const HOST_TOKEN_AUDIENCE = 'parley-chat';

/** The `kind` claim of an end-user (host) chat JWT. */
export const HOST_TOKEN_KIND = 'host';

/** The device of a session request without `deviceId`. */
export const DEFAULT_HOST_DEVICE = 'default';

/** A session is reused only while it has at least this long to live. */
const SESSION_REUSE_MIN_REMAINING_SECONDS = 3600;

/** `last_used_at` is written at most this often per session. */
const LAST_USED_RESOLUTION_SECONDS = 60;

const VERIFIED_CACHE_SIZE = 10_000;

/** Printable, no control characters: the id is shown to owners and used in the identity token's `sub`. */
const HOST_USER_ID = /^[\x21-\x7e\u00a0-\uffff][\x20-\x7e\u00a0-\uffff]{0,199}$/u;
const DEVICE_ID = /^[\x21-\x7e][\x20-\x7e]{0,199}$/;

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** The host's user as it sent it (after checks). */
export interface HostUser {
  id: string;
  email: string | null;
  name: string | null;
}

/** What `end-user-sessions` answers (hosted ChatKit's `client_secret` / `expires_at` names). */
export interface IssuedHostSession {
  client_secret: string;
  /** Unix seconds, as hosted ChatKit. */
  expires_at: number;
  session_id: string;
}

export interface HostSessionView {
  id: string;
  user: HostUser;
  deviceId: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string;
  revokedAt: string | null;
}

interface HostClaims {
  sub?: unknown;
  wf?: unknown;
  sid?: unknown;
  kind?: unknown;
  email?: unknown;
  name?: unknown;
}

/** The `sub` of a host user's tokens: the host's id namespaced by the workflow (`<workflowId>:<hostUserId>`). */
export function hostSubject(workflowId: string, hostUserId: string): string {
  return `${workflowId}:${hostUserId}`;
}

/**
 * Checks the `user` of a session request: `{id, email?, name?}` (or, for the hosted-ChatKit shape,
 * a bare id string). Anything else is 400 `host_user_invalid` naming the field.
 */
export function parseHostUser(value: unknown): HostUser {
  const user = typeof value === 'string' ? { id: value } : value;
  if (typeof user !== 'object' || user === null || Array.isArray(user)) throw new HostUserInvalidError({ user: ['user must be an object {id, email?, name?}'] });
  const { id, email, name, ...rest } = user as Record<string, unknown>;
  const fields: Record<string, string[]> = {};
  if (typeof id !== 'string' || !HOST_USER_ID.test(id)) fields['user.id'] = ['user.id must be a string of 1 to 200 printable characters'];
  if (email !== undefined && email !== null && (typeof email !== 'string' || email.length > 254 || !isEmail(email))) fields['user.email'] = ['user.email must be an email address'];
  if (name !== undefined && name !== null && (typeof name !== 'string' || name.trim() === '' || name.length > 200 || hasControlCharacter(name))) {
    fields['user.name'] = ['user.name must be 1 to 200 characters without control characters'];
  }
  for (const key of Object.keys(rest)) fields[`user.${key}`] = ['is not an accepted property'];
  if (Object.keys(fields).length) throw new HostUserInvalidError(fields);
  return {
    id: id as string,
    email: typeof email === 'string' ? email.toLowerCase() : null,
    name: typeof name === 'string' ? name.trim() : null,
  };
}

/**
 * End-user sessions of host applications (docs/embedding.md, section 7). A host's backend, holding a server key,
 * mints a session for one of its signed-in users: a durable `host_sessions` row (workflow, host
 * user, device; `CHAT_SESSION_TTL`) behind short ES256 chat JWTs of kind `host` (≤ 5 min) that the
 * widget renews through the host. Host user ids are namespaced per workflow, so the same id in two
 * workflows is two people; threads are keyed by it, so they follow the person across devices.
 * Revocation is read on every request and ends live streams on every instance.
 */
@Injectable()
export class HostSessionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('HostSessions');
  private readonly verified = new Map<string, { principal: HostPrincipal; expiresAtMs: number }>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly signing: SigningService,
    private readonly workflows: WorkflowsService,
    private readonly transactions: Transactions,
    private readonly repository: HostSessionsRepository,
    private readonly cluster: ClusterEvents,
    private readonly audit: AuditService,
    @Inject(chatkitConfig.KEY) private readonly config: ConfigType<typeof chatkitConfig>,
    private readonly keys: ServerKeysService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.repository
        .deleteExpired()
        .catch((err: unknown) => this.logger.warn(`host session cleanup failed: ${(err as Error).message}`));
    }, this.config.chatSessionCleanupSeconds * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Mints a token for `user` on the key's workflow (`workflowId` naming another → 403
   * `workflow_mismatch`). Reuses the user's active session of that device unless it expires within
   * the hour; records the newest email and name the host sent, for the owner's transcripts.
   */
  async issue(key: ServerKeyPrincipal, workflowId: string, rawUser: unknown, deviceId = DEFAULT_HOST_DEVICE): Promise<IssuedHostSession> {
    if (key.workflowId !== workflowId.toLowerCase()) throw new WorkflowMismatchError();
    const user = parseHostUser(rawUser);
    if (!DEVICE_ID.test(deviceId)) throw new HostUserInvalidError({ deviceId: ['deviceId must be 1 to 200 printable ASCII characters'] });
    // One statement re-checks the key with the session (see HostSessionsRepository.mint, RechecksServerKey).
    const session = await this.repository.mint({
      workflowId: key.workflowId,
      keyId: key.keyId,
      hostUserId: user.id,
      email: user.email,
      name: user.name,
      deviceId,
      reuseMinRemainingSeconds: SESSION_REUSE_MIN_REMAINING_SECONDS,
      ttlSeconds: this.config.chatSessionTtlSeconds,
      keyLastUsedResolutionSeconds: KEY_LAST_USED_RESOLUTION_SECONDS,
    });
    if (!session || session.key !== 'ok' || !session.id) {
      // Revoked, or gone with its workflow, since the verifier last read it.
      this.keys.forget(key.keyId);
      throw session?.key === 'revoked' ? new ServerKeyRevokedError() : new ServerKeyInvalidError();
    }
    const claims: Record<string, unknown> = { sub: hostSubject(key.workflowId, user.id), wf: key.workflowId, sid: session.id, kind: HOST_TOKEN_KIND };
    if (user.email) claims.email = user.email;
    if (user.name) claims.name = user.name;
    const signed = await this.signing.sign(claims, { audience: HOST_TOKEN_AUDIENCE, ttlSeconds: this.config.chatTokenTtlSeconds });
    return { client_secret: signed.token, expires_at: Math.floor(signed.expiresAt.getTime() / 1000), session_id: session.id };
  }

  /** Ends a session from the host's side (hosted ChatKit's `sessions.cancel`); another workflow's session → 404. */
  async cancel(key: ServerKeyPrincipal, sessionId: string, log?: RequestLog): Promise<HostSessionView> {
    if (!isUUID(sessionId)) throw new NotFoundError('Session not found.');
    const view = await this.end(key.workflowId, sessionId, log);
    if (!view) throw new NotFoundError('Session not found.');
    return view;
  }

  /**
   * Verifies a host chat token: signature, issuer, audience, expiry, then claims (`kind: 'host'`,
   * `sub` namespaced by `wf`, lifetime ≤ 5 min), then the session row: revoked, expired or gone →
   * 401 `chat_session_revoked` (a deleted workflow → 404). The signature check is remembered per
   * token text; the row is read every time.
   */
  async verify(token: string): Promise<HostPrincipal> {
    const principal = await this.verifySignature(token);
    await this.assertSessionActive(principal);
    return principal;
  }

  private async verifySignature(token: string): Promise<HostPrincipal> {
    const cached = this.verified.get(token);
    if (cached && cached.expiresAtMs > Date.now()) return { ...cached.principal };
    if (cached) this.verified.delete(token);
    const claims = await this.signing.verify<HostClaims>(token, { audience: HOST_TOKEN_AUDIENCE });
    const { sub, wf, sid, jti, kind, email, name } = claims;
    if (kind !== HOST_TOKEN_KIND || typeof wf !== 'string' || !isUUID(wf) || typeof sid !== 'string' || !isUUID(sid) || typeof jti !== 'string') {
      throw new InvalidTokenError();
    }
    const prefix = `${wf}:`;
    if (typeof sub !== 'string' || !sub.startsWith(prefix) || sub.length === prefix.length || sub.length > prefix.length + 200) throw new InvalidTokenError();
    if (claims.exp - claims.iat > CHAT_TOKEN_MAX_TTL_SECONDS) throw new InvalidTokenError();
    const principal: HostPrincipal = {
      kind: 'host',
      workflowId: wf,
      hostUserId: sub.slice(prefix.length),
      id: sub,
      sessionId: sid,
      tokenId: jti,
      email: typeof email === 'string' ? email : null,
      name: typeof name === 'string' ? name : null,
    };
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, { principal, expiresAtMs: claims.exp * 1000 });
    return { ...principal };
  }

  private async assertSessionActive(principal: HostPrincipal): Promise<void> {
    const row = await this.repository.state(principal.sessionId, principal.workflowId, principal.hostUserId, LAST_USED_RESOLUTION_SECONDS);
    if (!row) {
      if (!(await this.workflows.exists(principal.workflowId))) throw new NotFoundError('Workflow not found.');
      throw new ChatSessionRevokedError();
    }
    if (!row.active) throw new ChatSessionRevokedError();
    if (row.stale) await this.repository.touchLastUsed(principal.sessionId, LAST_USED_RESOLUTION_SECONDS);
  }

  /** The workflow's end-user sessions for its owner: active first, newest first; `userId` narrows to one host user. */
  async list(ownerId: string, workflowId: string, userId?: string): Promise<HostSessionView[]> {
    await this.workflows.getOwned(ownerId, workflowId);
    const rows = await this.repository.list(workflowId, userId ?? null);
    return rows.map(toView);
  }

  /** The owner revokes one session (idempotent): its tokens fail at once and its live streams end on every instance. */
  async revoke(ownerId: string, workflowId: string, sessionId: string, requestId?: string, log?: RequestLog): Promise<void> {
    const wf = await this.workflows.getOwned(ownerId, workflowId);
    const view = await this.end(workflowId, sessionId, log, async (tx, row) => {
      await this.audit.record(tx, {
        action: 'workflow.host_session_revoked',
        actor: { kind: 'user', id: ownerId },
        workflowId,
        ownerId: wf.ownerId,
        requestId,
        metadata: { sessionId, hostUserId: row.host_user_id, deviceId: row.device_id },
      });
    });
    if (!view) throw new NotFoundError('Session not found.');
  }

  private async end(
    workflowId: string,
    sessionId: string,
    log: RequestLog | undefined,
    record?: (tx: Tx, row: HostSessionRow) => Promise<void>,
  ): Promise<HostSessionView | null> {
    const event: ClusterEvent = { kind: 'host_session_revoked', workflowId, sessionId };
    const view = await this.transactions.run(async (tx) => {
      const row = await this.repository.findForUpdate(workflowId, sessionId, tx);
      if (!row) return null;
      if (!row.revoked_at) {
        await this.repository.markRevoked(sessionId, tx);
        row.revoked_at = new Date();
        await record?.(tx, row);
        await this.cluster.notify(tx, event);
      }
      return toView(row);
    });
    if (view) this.cluster.deliverLocally(event, log);
    return view;
  }
}


function toView(row: HostSessionRow): HostSessionView {
  return {
    id: row.id,
    user: { id: row.host_user_id, email: row.email ?? null, name: row.name ?? null },
    deviceId: row.device_id,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
    expiresAt: new Date(row.expires_at).toISOString(),
    revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
  };
}
