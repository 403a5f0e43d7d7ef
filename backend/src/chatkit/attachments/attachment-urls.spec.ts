import type { ConfigType } from '@nestjs/config';
import { appConfig, loadAppConfig } from '../../config/app.config';
import { chatkitConfig, loadChatKitConfig } from '../chatkit.config';
import { AttachmentUrls } from './attachment-urls';

function urlsWith(secret: string, base = 'https://parley.example'): AttachmentUrls {
  const app = loadAppConfig({ PARLEY_SECRET_KEY: secret, PUBLIC_BASE_URL: base }) as ConfigType<typeof appConfig>;
  return new AttachmentUrls(app, loadChatKitConfig({ CHATKIT_PREVIEW_URL_TTL: '600' }) as ConfigType<typeof chatkitConfig>);
}

describe('AttachmentUrls', () => {
  const urls = urlsWith('s'.repeat(40));
  const now = Date.UTC(2026, 0, 1, 12, 0, 5);

  it('builds absolute upload URLs on PUBLIC_BASE_URL', () => {
    expect(urls.uploadUrl('atc_1')).toBe('https://parley.example/api/chatkit/uploads/atc_1');
  });

  it('signs previews for at least the TTL, with expiries rounded to the minute so URLs stay cacheable', () => {
    const a = new URL(urls.previewUrl('atc_1', now));
    const b = new URL(urls.previewUrl('atc_1', now + 20_000));
    expect(a.toString()).toBe(b.toString());
    const exp = Number(a.searchParams.get('exp'));
    expect(exp * 1000 - now).toBeGreaterThanOrEqual(600_000);
    expect(exp % 60).toBe(0);
    expect(a.pathname).toBe('/api/chatkit/attachments/atc_1/preview');
  });

  it('verifies its own signatures and nothing else', () => {
    const url = new URL(urls.previewUrl('atc_1', now));
    const exp = url.searchParams.get('exp');
    const sig = url.searchParams.get('sig');
    expect(urls.verifyPreview('atc_1', exp, sig, now)).toBe('valid');
    expect(urls.verifyPreview('atc_2', exp, sig, now)).toBe('invalid');
    expect(urls.verifyPreview('atc_1', String(Number(exp) + 60), sig, now)).toBe('invalid');
    expect(urls.verifyPreview('atc_1', exp, sig, Number(exp) * 1000)).toBe('expired');
    expect(urls.verifyPreview('atc_1', exp, undefined, now)).toBe('invalid');
    expect(urls.verifyPreview('atc_1', [exp], sig, now)).toBe('invalid');
    // Another PARLEY_SECRET_KEY derives another key.
    expect(urlsWith('t'.repeat(40)).verifyPreview('atc_1', exp, sig, now)).toBe('invalid');
  });
});
