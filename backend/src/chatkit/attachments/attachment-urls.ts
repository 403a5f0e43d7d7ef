import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { appConfig } from '../../config/app.config';
import { chatkitConfig } from '../chatkit.config';

/** Domain separation: PARLEY_SECRET_KEY derives other keys (signing-key encryption) with other salts. */
const HKDF_SALT = 'parley/attachment-previews';
const HKDF_INFO = 'parley preview url v1';
/** Expiries are rounded up to this step, so a URL stays the same (and cacheable) for a while. */
const EXPIRY_STEP_SECONDS = 60;

/** Outcome of checking a preview URL's signature. */
export type PreviewVerdict = 'valid' | 'expired' | 'invalid';

/**
 * The absolute URLs of attachments. Upload URLs need the chat credential; preview URLs are
 * capabilities: an HMAC over the attachment id and an expiry, keyed with a secret derived from
 * PARLEY_SECRET_KEY, so the OpenAI-hosted iframe can load an image without any bearer token in
 * the URL. They are regenerated on every load rather than stored.
 */
@Injectable()
export class AttachmentUrls {
  private readonly key: Buffer;

  constructor(
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(chatkitConfig.KEY) private readonly config: ConfigType<typeof chatkitConfig>,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(app.secretKey, 'utf8'), HKDF_SALT, HKDF_INFO, 32));
  }

  /** Where the client PUTs the bytes of a two-phase attachment. */
  uploadUrl(attachmentId: string): string {
    return `${this.app.publicBaseUrl}/api/chatkit/uploads/${encodeURIComponent(attachmentId)}`;
  }

  /** A signed preview URL valid for at least the configured TTL. */
  previewUrl(attachmentId: string, now = Date.now()): string {
    const exp = Math.ceil((Math.floor(now / 1000) + this.config.previewUrlTtlSeconds) / EXPIRY_STEP_SECONDS) * EXPIRY_STEP_SECONDS;
    return `${this.app.publicBaseUrl}/api/chatkit/attachments/${encodeURIComponent(attachmentId)}/preview?exp=${exp}&sig=${this.sign(attachmentId, exp)}`;
  }

  /** Checks a preview URL's `exp` and `sig` for `attachmentId`. */
  verifyPreview(attachmentId: string, exp: unknown, sig: unknown, now = Date.now()): PreviewVerdict {
    if (typeof exp !== 'string' || !/^\d{1,12}$/.test(exp) || typeof sig !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return 'invalid';
    const expected = Buffer.from(this.sign(attachmentId, Number(exp)), 'utf8');
    const given = Buffer.from(sig, 'utf8');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
    return Number(exp) * 1000 <= now ? 'expired' : 'valid';
  }

  private sign(attachmentId: string, exp: number): string {
    return createHmac('sha256', this.key).update(`preview\n${attachmentId}\n${exp}`).digest('base64url');
  }
}
