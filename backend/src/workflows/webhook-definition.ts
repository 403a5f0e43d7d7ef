import { Injectable } from '@nestjs/common';
import { DomainError, ValidationFailedError } from '../common/errors/domain-error';
import { OutboundService } from '../outbound/outbound.service';
import { isSealed, SecretBox } from '../secrets/secret-box';

/** How every secret header value is shown by the API; sent back on update it keeps the stored value. */
export const MASKED_HEADER_VALUE = '***';

/** Binds sealed webhook header values to this use. */
export const WEBHOOK_HEADER_PURPOSE = 'webhook-header';

export const WEBHOOK_TIMEOUT_DEFAULT_MS = 30_000;
export const WEBHOOK_TIMEOUT_MAX_MS = 120_000;
export const WEBHOOK_HEADERS_MAX = 20;

/** `{kind: 'webhook'}` as stored: header values sealed (SecretBox, `WEBHOOK_HEADER_PURPOSE`). */
export interface WebhookRunnerDefinition {
  kind: 'webhook';
  url: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** What the API accepts for a webhook runner (values may be `"***"` to keep a stored one). */
export interface WebhookRunnerInput {
  url?: string;
  headers?: Record<string, unknown>;
  timeoutMs?: number;
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
/** Parley sets these itself (or HTTP does): an owner header must not replace them. */
const RESERVED = /^(host|content-length|content-type|transfer-encoding|connection|accept|x-parley-.*)$/i;

/**
 * The `webhook` runner definition (docs/embedding.md, section 8): the URL is checked by the outbound policy when
 * saved (and again on every request), header values are secrets — sealed at rest, shown as
 * `"***"`, and `"***"` on update keeps the stored value of that header.
 */
@Injectable()
export class WebhookDefinitions {
  constructor(
    private readonly outbound: OutboundService,
    private readonly box: SecretBox,
  ) {}

  async toDefinition(input: WebhookRunnerInput, previous?: { kind: string; headers?: Record<string, string> }): Promise<WebhookRunnerDefinition> {
    const url = input.url!;
    try {
      await this.outbound.check(url);
    } catch (error) {
      if (error instanceof DomainError) throw new DomainError(error.code, error.message, { ...error.details, fields: { 'runner.url': [error.message] } });
      throw error;
    }
    const stored = previous?.kind === 'webhook' ? (previous.headers ?? {}) : {};
    const storedByName = new Map(Object.entries(stored).map(([name, value]) => [name.toLowerCase(), value]));
    const headers: Record<string, string> = {};
    const problems: Record<string, string[]> = {};
    const entries = Object.entries(input.headers ?? {});
    if (entries.length > WEBHOOK_HEADERS_MAX) problems['runner.headers'] = [`at most ${WEBHOOK_HEADERS_MAX} headers`];
    for (const [name, value] of entries) {
      const field = `runner.headers.${name}`;
      if (!HEADER_NAME.test(name)) problems[field] = ['is not a valid header name'];
      else if (RESERVED.test(name)) problems[field] = ['is set by Parley and cannot be configured'];
      else if (typeof value !== 'string' || value.length > 4096 || /[\r\n\0]/.test(value)) problems[field] = ['must be a string of at most 4096 characters without line breaks'];
      else if (value === MASKED_HEADER_VALUE) {
        const kept = storedByName.get(name.toLowerCase());
        if (!kept || !isSealed(kept)) problems[field] = ['"***" keeps a stored value, but there is none for this header; send the value'];
        else headers[name] = kept;
      } else headers[name] = this.box.seal(value, WEBHOOK_HEADER_PURPOSE);
    }
    if (Object.keys(problems).length) throw new ValidationFailedError(problems);
    return {
      kind: 'webhook',
      url,
      ...(entries.length ? { headers } : {}),
      ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
    };
  }

  /** The definition as the API shows it: every header value `"***"`. */
  present(definition: WebhookRunnerDefinition): WebhookRunnerDefinition {
    if (!definition.headers) return definition;
    return { ...definition, headers: Object.fromEntries(Object.keys(definition.headers).map((name) => [name, MASKED_HEADER_VALUE])) };
  }

  /** Plain header values, for the outbound request only. */
  openHeaders(definition: WebhookRunnerDefinition): Record<string, string> {
    return Object.fromEntries(Object.entries(definition.headers ?? {}).map(([name, sealed]) => [name, this.box.open(sealed, WEBHOOK_HEADER_PURPOSE)]));
  }
}
