import { ConfigError } from '../config/env';
import { loadChatKitConfig, parseByteSize } from './chatkit.config';

describe('chatkit config', () => {
  it('has defaults: 10mb bodies and uploads, 15-minute previews, 5-minute chat tokens', () => {
    expect(loadChatKitConfig({})).toMatchObject({
      bodyLimitBytes: 10 * 1024 * 1024,
      uploadLimitBytes: 10 * 1024 * 1024,
      previewUrlTtlSeconds: 900,
      chatTokenTtlSeconds: 300,
      keepAliveMs: 15_000,
    });
  });

  it('lets CHAT_TOKEN_TTL_SECONDS shorten the chat token lifetime but never beyond 300 s', () => {
    expect(loadChatKitConfig({ CHAT_TOKEN_TTL_SECONDS: '120' }).chatTokenTtlSeconds).toBe(120);
    expect(() => loadChatKitConfig({ CHAT_TOKEN_TTL_SECONDS: '301' })).toThrow(/must not exceed 300/);
    expect(() => loadChatKitConfig({ CHAT_TOKEN_TTL_SECONDS: '10' })).toThrow(/chatkit\.chatTokenTtlSeconds/);
  });

  it('parses sizes like Express body limits', () => {
    expect(parseByteSize('X', '512kb')).toBe(512 * 1024);
    expect(parseByteSize('X', '2MB')).toBe(2 * 1024 * 1024);
    expect(parseByteSize('X', '1000')).toBe(1000);
    expect(() => parseByteSize('X', 'ten megabytes')).toThrow(ConfigError);
    expect(loadChatKitConfig({ CHATKIT_BODY_LIMIT: '64kb', CHATKIT_UPLOAD_LIMIT: '1gb' })).toMatchObject({ bodyLimitBytes: 65536, uploadLimitBytes: 1024 ** 3 });
  });
});
