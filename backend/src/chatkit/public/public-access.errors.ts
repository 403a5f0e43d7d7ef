import { DomainError } from '../../common/errors/domain-error';

/** 403: the workflow restricts its public chat to `allowedOrigins`; this request's `Origin` is not one (or is missing). */
export class OriginNotAllowedError extends DomainError {
  constructor() {
    super('origin_not_allowed', 'This chat cannot be used from this site.');
  }
}

/** 401: a `requireLogin` workflow and no valid OAuth session; `details.loginUrl` starts the sign-in. */
export class LoginRequiredError extends DomainError {
  constructor(loginUrl: string) {
    super('login_required', 'Sign in to use this chat.', { loginUrl });
  }
}
