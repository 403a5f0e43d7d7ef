import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { DomainError } from '../../common/errors/domain-error';
import { SigningService } from '../../auth/signing.service';
import { chatkitConfig } from '../chatkit.config';

/** `aud` of visitor tokens. */
export const VISITOR_TOKEN_AUDIENCE = 'parley-visitor';

/** Visitor ids: `vis_` + 22 base64url characters (16 random bytes). */
const VISITOR_ID = /^vis_[A-Za-z0-9_-]{22}$/;

/** A visitor token older than this is re-signed (same visitor) when used, so active visitors survive key rotation. */
export const VISITOR_TOKEN_RENEW_AFTER_SECONDS = 86400;

/** The longest visitor token header read; anything longer is not one of ours. */
const MAX_TOKEN_LENGTH = 2048;

export interface VisitorIdentity {
  visitorId: string;
  /** The token the client should keep (the presented one, a renewed one or a new visitor's). */
  token: string;
  /** True when the presented token was absent or unusable and a new visitor was created. */
  created: boolean;
}

/**
 * Anonymous visitor identities of public chats: ES256 tokens (`aud=parley-visitor`,
 * `sub=vis_…`, `wf` = the workflow) signed by the auth module's keys. They prove only "the same
 * browser as before, on this workflow", which is all a visitor's history needs. Anything wrong
 * with a presented token (forged, expired, another workflow's, an old key) just means a new visitor.
 */
@Injectable()
export class VisitorTokensService {
  constructor(
    private readonly signing: SigningService,
    @Inject(chatkitConfig.KEY) private readonly config: ConfigType<typeof chatkitConfig>,
  ) {}

  /** The visitor of `presented` on `workflowId`, or a new one. */
  async identify(presented: string | undefined, workflowId: string): Promise<VisitorIdentity> {
    const known = presented ? await this.verify(presented, workflowId) : null;
    if (known) {
      if (Date.now() / 1000 - known.iat < VISITOR_TOKEN_RENEW_AFTER_SECONDS) return { visitorId: known.visitorId, token: presented!, created: false };
      return { visitorId: known.visitorId, token: await this.sign(known.visitorId, workflowId), created: false };
    }
    const visitorId = `vis_${randomBytes(16).toString('base64url')}`;
    return { visitorId, token: await this.sign(visitorId, workflowId), created: true };
  }

  async sign(visitorId: string, workflowId: string): Promise<string> {
    const signed = await this.signing.sign(
      { sub: visitorId, wf: workflowId },
      { audience: VISITOR_TOKEN_AUDIENCE, ttlSeconds: this.config.visitorTokenTtlSeconds, mayOutliveKey: true },
    );
    return signed.token;
  }

  /** The visitor id of a valid token bound to `workflowId`; null for anything else. */
  async verify(token: string, workflowId: string): Promise<{ visitorId: string; iat: number } | null> {
    if (token.length > MAX_TOKEN_LENGTH) return null;
    try {
      const claims = await this.signing.verify<{ wf?: unknown }>(token, { audience: VISITOR_TOKEN_AUDIENCE });
      if (typeof claims.sub !== 'string' || !VISITOR_ID.test(claims.sub)) return null;
      if (typeof claims.wf !== 'string' || claims.wf.toLowerCase() !== workflowId.toLowerCase()) return null;
      return { visitorId: claims.sub, iat: claims.iat };
    } catch (err) {
      // A refused token is a new visitor; a failing key store is a real error.
      if (err instanceof DomainError) return null;
      throw err;
    }
  }
}
