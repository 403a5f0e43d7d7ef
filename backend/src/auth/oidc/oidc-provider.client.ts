import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { isEmail } from 'class-validator';
import * as oidc from 'openid-client';
import { ContextLogger, RequestLog } from '../../common/logging/request-log';
import { normaliseEmail } from '../email';
import type { OidcIdentity } from '../oauth-sessions.service';
import { oidcConfig } from './oidc.config';
import { OidcLoginFailedError, OidcUnavailableError } from './oidc.errors';
import { OidcTransaction } from './oidc-transaction';

/** Seconds before a request to the provider (discovery, token, userinfo) is abandoned. */
const PROVIDER_TIMEOUT_SECONDS = 10;

/** openid-client error codes that mean "could not talk to the provider properly". */
const OUTAGE_CODES = new Set(['OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON', 'OAUTH_TIMEOUT', 'OAUTH_ABORT']);

/** The random values a sign-in commits to before leaving for the provider. */
export interface AuthorizationChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** `email_verified` is a boolean in the spec; some providers send the string "true". */
const isTrue = (value: unknown): boolean => value === true || value === 'true';
const textClaim = (value: unknown, max: number): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : null;

/**
 * The relying-party side of the code flow, on `openid-client` v6: discovery (cached, retried
 * after a failure), the authorization URL with PKCE S256 + state + nonce, and the callback's code
 * exchange with every check openid-client makes (state, `iss`, ID token iss/aud/exp/iat/nonce).
 */
@Injectable()
export class OidcProviderClient {
  private readonly logger = new ContextLogger('OIDC');
  private configuration: Promise<oidc.Configuration> | null = null;

  constructor(@Inject(oidcConfig.KEY) private readonly config: ConfigType<typeof oidcConfig>) {}

  /** Fresh state, nonce and PKCE verifier for one sign-in. */
  newChecks(): AuthorizationChecks {
    return { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
  }

  /** Where to send the browser: the provider's authorization endpoint with this sign-in's parameters. */
  async authorizationUrl(checks: AuthorizationChecks, log?: RequestLog): Promise<string> {
    const configuration = await this.discover(log);
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.config.redirectUri,
      response_type: 'code',
      scope: this.config.scopes.join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
    });
    return url.href;
  }

  /**
   * Exchanges the callback's code and returns the verified identity. `query` is the callback's raw
   * query string; the caller has already matched its `state` against the transaction.
   */
  async identify(query: string, tx: OidcTransaction, log?: RequestLog): Promise<OidcIdentity> {
    const configuration = await this.discover(log);
    // The redirect URI the provider knows, with the parameters it sent: openid-client derives the
    // token request's redirect_uri from it, whatever host or proxy the request came through.
    const currentUrl = new URL(this.config.redirectUri);
    currentUrl.search = query;
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: tx.codeVerifier,
        expectedState: tx.state,
        expectedNonce: tx.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw this.failure('code exchange', err, log);
    }
    const claims = tokens.claims();
    if (!claims) throw new OidcLoginFailedError();
    let profile: Record<string, unknown> = claims;
    // Many providers keep email/name out of the ID token (they are scope claims); ask userinfo.
    if ((claims.email === undefined || claims.name === undefined) && configuration.serverMetadata().userinfo_endpoint) {
      try {
        profile = { ...(await oidc.fetchUserInfo(configuration, tokens.access_token, claims.sub)), ...claims };
      } catch (err) {
        throw this.failure('userinfo', err, log);
      }
    }
    const email = textClaim(profile.email, 320);
    const usableEmail = email && isEmail(email) ? normaliseEmail(email) : null;
    return {
      issuer: claims.iss,
      subject: claims.sub,
      email: usableEmail,
      emailVerified: usableEmail !== null && isTrue(profile.email_verified),
      name: textClaim(profile.name, 100),
    };
  }

  /** `log`: the request whose sign-in starts a discovery (others share it) logs its failure. */
  private discover(log: RequestLog | undefined): Promise<oidc.Configuration> {
    if (!this.configuration) {
      const { issuer, clientId, clientSecret, allowInsecureRequests } = this.config;
      const pending = oidc
        .discovery(new URL(issuer!), clientId!, undefined, oidc.ClientSecretBasic(clientSecret!), {
          execute: allowInsecureRequests ? [oidc.allowInsecureRequests] : [],
          timeout: PROVIDER_TIMEOUT_SECONDS,
        })
        .then((configuration) => {
          configuration.timeout = PROVIDER_TIMEOUT_SECONDS;
          return configuration;
        });
      // A failed discovery is retried by the next sign-in instead of being cached.
      this.configuration = pending.catch((err: unknown) => {
        this.configuration = null;
        throw this.failure('discovery', err, log);
      });
    }
    return this.configuration;
  }

  /**
   * Maps openid-client failures: the provider's own refusals and failed checks are a failed
   * sign-in (401); anything else (network, timeout, 5xx) means the provider is unavailable (503).
   * The reason is logged without any token; the response only says which.
   */
  private failure(step: string, err: unknown, log: RequestLog | undefined): Error {
    if (err instanceof OidcLoginFailedError || err instanceof OidcUnavailableError) return err;
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    if (err instanceof oidc.AuthorizationResponseError) {
      this.logger.in(log).warn(`OIDC ${step} refused by the provider: ${err.error}`);
      const code = /^[a-z_]{1,64}$/.test(err.error) ? err.error : 'provider_error';
      return new OidcLoginFailedError('The identity provider did not complete the sign-in.', { error: code });
    }
    if (err instanceof oidc.ResponseBodyError && err.status < 500) {
      this.logger.in(log).warn(`OIDC ${step} refused by the provider: ${err.error} (HTTP ${err.status})`);
      return new OidcLoginFailedError('The identity provider refused the sign-in (the code may have been used already or expired); start again.');
    }
    // Failed checks carry an OAUTH_* code. A proxy's error page, an unexpected status, a timeout or
    // an uncategorised failure (no code: network errors end up here) is an outage, not a refusal.
    if (err instanceof oidc.ClientError && err.code?.startsWith('OAUTH_') && !OUTAGE_CODES.has(err.code)) {
      this.logger.in(log).warn(`OIDC ${step} failed verification: ${err.code ?? ''} ${err.message}`);
      return new OidcLoginFailedError();
    }
    this.logger.in(log).error(`OIDC ${step}: the provider is unavailable (${reason})`);
    return new OidcUnavailableError();
  }
}
