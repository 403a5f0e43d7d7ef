import { DomainError } from '../common/errors/domain-error';

export class PublishInvalidStateError extends DomainError {
  constructor(message: string) {
    super('publish_invalid_state', message);
  }
}

export class FeatureDisabledError extends DomainError {
  constructor(feature: string) {
    super('feature_disabled', `${feature} is disabled on this server.`);
  }
}

export class PublishTokenInvalidError extends DomainError {
  constructor() {
    super('publish_token_invalid', 'This share link is not valid.');
  }
}

export class PublishTokenRotatedError extends DomainError {
  constructor() {
    super('publish_token_rotated', 'This share link was replaced by a newer one; ask the owner for the new link.');
  }
}

export class WorkflowNotPublishedError extends DomainError {
  constructor() {
    super('workflow_not_published', 'This chat is offline.');
  }
}

export class WorkflowMismatchError extends DomainError {
  constructor() {
    super('workflow_mismatch', 'The credential belongs to another workflow.');
  }
}
