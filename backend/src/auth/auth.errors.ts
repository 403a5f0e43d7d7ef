import { DomainError } from '../common/errors/domain-error';

/** 401: the route needs a credential and the request has none the route accepts. */
export class UnauthenticatedError extends DomainError {
  constructor(message = 'Authentication is required.') {
    super('unauthenticated', message);
  }
}

/** 401: a token that was valid once has expired. */
export class ExpiredTokenError extends DomainError {
  constructor(message = 'The token has expired.') {
    super('token_expired', message);
  }
}

/** 401: a token that is malformed, forged, revoked, reused or meant for something else. Never says which. */
export class InvalidTokenError extends DomainError {
  constructor(message = 'The token is not valid.') {
    super('token_invalid', message);
  }
}

/** 403: the credential is valid but not accepted here. */
export class ForbiddenError extends DomainError {
  constructor(message = 'This credential is not allowed to use this route.') {
    super('forbidden', message);
  }
}

/** 403: a cookie-authenticated unsafe request from an origin that is not allowed. */
export class CsrfFailedError extends DomainError {
  constructor() {
    super(
      'csrf_failed',
      'Cookie-authenticated requests that change state must come from an allowed origin; API clients should send a Bearer token.',
    );
  }
}

/** 401: login failed; identical for an unknown email and a wrong password. */
export class InvalidCredentialsError extends DomainError {
  constructor() {
    super('invalid_credentials', 'The email or password is incorrect.');
  }
}

/** 409: registration with an email that already has an account. */
export class EmailTakenError extends DomainError {
  constructor() {
    super('email_taken', 'An account with this email already exists.');
  }
}
