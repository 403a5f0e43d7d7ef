import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Request, Response } from 'express';
import { AuthRequest } from '../../auth/guards/credentials';
import { CsrfPolicy } from '../../auth/guards/csrf.policy';
import { AuthVerifier, PrincipalVerifier } from '../../auth/guards/verifier';
import { OAuthSessionsService } from '../../auth/oidc/oauth-sessions.service';
import type { OAuthPrincipal, VisitorPrincipal } from '../../auth/principal';
import { DomainError } from '../../common/errors/domain-error';
import { appConfig } from '../../config/app.config';
import { featuresConfig } from '../../config/features.config';
import { FeatureDisabledError, PublishTokenInvalidError } from '../../publish/publish.errors';
import { PublishService } from '../../publish/publish.service';
import type { WorkflowSnapshot } from '../../workflows/workflows.service';
import { WORKFLOW_HEADER } from '../context/chat-context.resolver';
import { applyWorkflowCors } from './chatkit-cors';
import { LoginRequiredError, OriginNotAllowedError } from './public-access.errors';
import { VisitorTokensService } from './visitor-tokens.service';

export const PUBLISH_TOKEN_HEADER = 'x-parley-publish-token';
export const VISITOR_HEADER = 'x-parley-visitor';
/** As the response header is spelled. */
export const VISITOR_RESPONSE_HEADER = 'X-Parley-Visitor';

/**
 * Verifier of the `publishToken` mode (public pages and embeds): `X-Parley-Publish-Token: pub_…`.
 * Runs in the global guard, so the principal it returns — with the stable share-link id — is on
 * the request before the rate limiter keys its buckets. In order:
 *
 * 1. publishing switched off → 403 `feature_disabled`;
 * 2. the share link, always against the database (ARCHITECTURE §9 verdict order):
 *    `publish_token_invalid`, `workflow_not_published`, `publish_token_rotated`, then the
 *    `X-Parley-Workflow` hint → `workflow_mismatch`;
 * 3. the workflow's `allowedOrigins` (when set; Parley's own public origin always counts as
 *    listed): `Origin` missing or not listed → 403 `origin_not_allowed`, readable by the page
 *    (CORS without credentials) so the widget can say so; the same list decides the CORS
 *    headers of the answer;
 * 4. `requireLogin`: a valid `parley_oauth` session → an `oauth` principal (the OIDC subject, so
 *    history follows the person), none → 401 `login_required` with `details.loginUrl`;
 * 5. otherwise a `visitor`: the `X-Parley-Visitor` token when valid for this workflow, else a new
 *    visitor; the token to keep is returned in the `X-Parley-Visitor` response header.
 */
@AuthVerifier('publishToken')
@Injectable()
export class PublishTokenVerifier implements PrincipalVerifier {
  /**
   * A share-link token is a capability for one public chat, not an identity: on routes that do not
   * accept it, it counts as no credential at all (401 `unauthenticated`, as the workflows API
   * promises), never as "a valid credential of another mode" (403 `forbidden`).
   */
  readonly ambient = true;

  constructor(
    private readonly publish: PublishService,
    private readonly visitors: VisitorTokensService,
    private readonly oauthSessions: OAuthSessionsService,
    private readonly csrf: CsrfPolicy,
    @Inject(featuresConfig.KEY) private readonly features: ConfigType<typeof featuresConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  private get ownOrigin(): string {
    return new URL(this.app.publicBaseUrl).origin;
  }

  hasCredential(req: Request): boolean {
    return req.headers[PUBLISH_TOKEN_HEADER] !== undefined;
  }

  async verify(context: ExecutionContext): Promise<VisitorPrincipal | OAuthPrincipal | null> {
    const req = context.switchToHttp().getRequest<AuthRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    if (!this.features.publishEnabled) throw new FeatureDisabledError('Publishing');
    const token = req.headers[PUBLISH_TOKEN_HEADER];
    if (typeof token !== 'string' || token === '') throw new PublishTokenInvalidError();
    const hint = req.headers[WORKFLOW_HEADER];
    const { workflow, linkId } = await this.publish.verifyToken(token, hint === undefined ? undefined : String(hint).toLowerCase());

    // Parley's own public origin (the share page `/chat/:id`) is always allowed, listed or not.
    const allowedOrigins = workflow.allowedOrigins.length ? [...workflow.allowedOrigins, this.ownOrigin] : [];
    applyWorkflowCors(req, res, allowedOrigins);
    if (allowedOrigins.length) {
      const origin = req.headers.origin;
      if (typeof origin !== 'string' || !allowedOrigins.includes(origin)) throw new OriginNotAllowedError();
    }

    if (workflow.requireLogin) return this.signedIn(req, workflow, linkId);

    const presented = req.headers[VISITOR_HEADER];
    const visitor = await this.visitors.identify(typeof presented === 'string' ? presented : undefined, workflow.id);
    res.setHeader(VISITOR_RESPONSE_HEADER, visitor.token);
    return { kind: 'visitor', visitorId: visitor.visitorId, workflowId: workflow.id, publishLinkId: linkId };
  }

  private async signedIn(req: AuthRequest, workflow: WorkflowSnapshot, linkId: string): Promise<OAuthPrincipal> {
    let session: OAuthPrincipal | null;
    try {
      session = await this.oauthSessions.fromRequest(req);
    } catch (err) {
      // An ended, expired or foreign session is as good as none: the widget should sign in again.
      if (!(err instanceof DomainError)) throw err;
      session = null;
    }
    if (!session) throw new LoginRequiredError(this.loginUrl(req, workflow));
    // The cookie is ambient: a listed Origin already passed above; otherwise the CSRF policy decides.
    if (!workflow.allowedOrigins.length) this.csrf.assertAllowed(req);
    return { ...session, workflowId: workflow.id, publishLinkId: linkId };
  }

  /**
   * `/api/auth/oidc/login?returnTo=<the page>`: the page is the `Referer` (or, lacking one, the
   * `Origin`) when it is this site — as a path — or a site allowed to embed the chat; otherwise the
   * workflow's public page `/chat/<id>`.
   */
  loginUrl(req: Request, workflow: WorkflowSnapshot): string {
    const base = new URL(this.app.publicBaseUrl);
    let page = `/chat/${workflow.id}`;
    const source = req.headers.referer ?? req.headers.origin;
    if (typeof source === 'string' && source.length <= 2048) {
      try {
        const url = new URL(source);
        if (url.protocol === 'https:' || url.protocol === 'http:') {
          if (url.origin === base.origin) {
            if (!url.pathname.startsWith('/api/')) page = url.pathname + url.search;
          } else if (workflow.allowedOrigins.includes(url.origin) || this.app.corsOrigins.includes(url.origin)) {
            page = url.origin + url.pathname + url.search;
          }
        }
      } catch {
        // Not a URL: keep the public page.
      }
    }
    return `/api/auth/oidc/login?returnTo=${encodeURIComponent(page)}`;
  }
}
