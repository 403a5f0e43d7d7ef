import { DomainError } from '../../common/errors/domain-error';

/** 400: `returnTo` would send the browser somewhere that is neither this site nor an allow-listed origin. */
export class InvalidReturnToError extends DomainError {
  constructor() {
    super('invalid_return_to', 'returnTo must be a path on this site or a URL on an allowed origin.');
  }
}

/** 400: the callback does not belong to a sign-in this browser started (or it expired). */
export class OidcStateMismatchError extends DomainError {
  constructor(message = 'This sign-in does not match one started in this browser, or it expired; start again.') {
    super('oidc_state_mismatch', message);
  }
}

/** 401: the provider refused the sign-in or its answer failed verification. The reason is logged, not returned. */
export class OidcLoginFailedError extends DomainError {
  constructor(message = 'Sign-in with the identity provider failed; start again.', details?: { error?: string; returnTo?: string }) {
    super('oidc_login_failed', message, details);
  }
}

/** 403: owner sign-in needs an email the provider asserts as verified. */
export class OidcEmailUnverifiedError extends DomainError {
  constructor() {
    super('oidc_email_unverified', 'The identity provider did not confirm a verified email address, which owner sign-in requires.');
  }
}

/** 403: no provider is configured (OIDC_ISSUER unset). */
export class OidcDisabledError extends DomainError {
  constructor() {
    super('feature_disabled', 'Sign-in with OpenID Connect is not configured on this server.');
  }
}

/** 503: the provider could not be reached (discovery, token or userinfo endpoint). */
export class OidcUnavailableError extends DomainError {
  constructor() {
    super('service_unavailable', 'The identity provider is unavailable; try again later.');
  }
}

/**
 * 409: owner sign-in with a verified email that belongs to a password account whose email was never
 * proven. Merging would let whoever set that password into the SSO user's account (pre-account
 * takeover), so nothing is linked; the callback answers with an HTML page explaining the way out.
 */
export class OidcAccountUnverifiedError extends DomainError {
  constructor(readonly email: string) {
    super(
      'oidc_account_unverified',
      'An owner account with this email already exists with a password, and its email was never verified. ' +
        'Sign in with the password first, then use "Sign in with SSO" to connect it.',
    );
  }
}
