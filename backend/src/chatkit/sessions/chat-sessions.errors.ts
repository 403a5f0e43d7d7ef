import { DomainError } from '../../common/errors/domain-error';

/** 401: the chat token's session (`sid`) was revoked, has expired or no longer exists. */
export class ChatSessionRevokedError extends DomainError {
  constructor() {
    super('chat_session_revoked', 'This chat session was revoked or has expired; start a new one.');
  }
}
