import { DomainError } from '../common/errors/domain-error';

/** 401: the `wsk_…` key is unknown or malformed. */
export class ServerKeyInvalidError extends DomainError {
  constructor() {
    super('server_key_invalid', 'The server key is not valid.');
  }
}

/** 401: the key was revoked by the workflow's owner. */
export class ServerKeyRevokedError extends DomainError {
  constructor() {
    super('server_key_revoked', 'This server key was revoked; ask the workflow owner for a new one.');
  }
}

/** 403: a server key arrived with browser credentials or an `Origin`: it belongs on a server. */
export class ServerKeyFromBrowserError extends DomainError {
  constructor() {
    super(
      'server_key_from_browser',
      'Server keys must not be used from a browser. Mint end-user sessions on your backend and give the browser only the client_secret.',
    );
  }
}

/** 400: the `user` of an end-user session request is missing or unacceptable. */
export class HostUserInvalidError extends DomainError {
  constructor(fields: Record<string, string[]>) {
    super('host_user_invalid', 'The end user is missing or not acceptable.', { fields });
  }
}
